// Agent pools as their workspace sees them (server/engine/agents.ts runs them): the agents of a
// pool (online or not, last seen, version, labels, what they run), revoking one, and the pool's
// join token (a new one replaces it; revoking it stops new registrations, the agents already
// registered keep their own tokens). Everything through the workspace's scoped client.

import { forgetAgentWorkers } from "@/server/engine/agents";
import { lostAfterSeconds } from "@/server/engine/worker-registry";
import { AppError, notFound } from "@/server/errors";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { agentWorkerId, newJoinToken } from "./tokens";

async function agentPool(scope: WorkspaceScope, name: string) {
  const pool = await scope.db.pool.findFirst({
    where: { name },
    select: { id: true, name: true, agents: true, joinTokenHash: true },
  });
  if (!pool) throw notFound("Pool");
  if (!pool.agents) {
    throw new AppError("BAD_REQUEST", `Pool "${name}" is not an agent pool`, [
      { path: "pool", message: "Not an agent pool: create one with agents: true" },
    ]);
  }
  return pool;
}

export interface AgentView {
  id: string;
  name: string;
  version: string;
  labels: string[];
  concurrency: number;
  /** Heartbeating now: not revoked, not stopped, seen within the engine's grace. */
  online: boolean;
  lastSeenAt: Date;
  registeredAt: Date;
  revokedAt: Date | null;
  stoppedAt: Date | null;
  running: Array<{ attemptId: string; runId: string; taskId: string; startedAt: Date }>;
}

/** A pool's agents, newest first (the last 100), with what each runs, and whether its join token is usable. */
export async function listAgents(scope: WorkspaceScope, poolName: string) {
  const pool = await agentPool(scope, poolName);
  const agents = await scope.db.agent.findMany({
    where: { poolId: pool.id },
    orderBy: [{ registeredAt: "desc" }, { id: "desc" }],
    take: 100,
    select: {
      id: true,
      name: true,
      version: true,
      labels: true,
      concurrency: true,
      lastSeenAt: true,
      registeredAt: true,
      revokedAt: true,
      stoppedAt: true,
    },
  });
  const attempts = await scope.db.taskAttempt.findMany({
    where: { state: "running", workerId: { in: agents.map((a) => agentWorkerId(a.id)) } },
    select: {
      id: true,
      workerId: true,
      startedAt: true,
      taskInstance: { select: { runId: true, taskId: true } },
    },
  });
  const since = Date.now() - lostAfterSeconds() * 1000;
  return {
    pool: pool.name,
    joinTokenActive: pool.joinTokenHash !== null,
    agents: agents.map(
      (agent): AgentView => ({
        ...agent,
        online: !agent.revokedAt && !agent.stoppedAt && agent.lastSeenAt.getTime() > since,
        running: attempts
          .filter((a) => a.workerId === agentWorkerId(agent.id))
          .map((a) => ({ attemptId: a.id, startedAt: a.startedAt, ...a.taskInstance })),
      }),
    ),
  };
}

/** A new join token for the pool (shown once); the old one stops registering agents. */
export async function rotateJoinToken(scope: WorkspaceScope, poolName: string) {
  const pool = await agentPool(scope, poolName);
  const join = newJoinToken();
  await scope.db.pool.updateMany({ where: { id: pool.id }, data: { joinTokenHash: join.hash } });
  await scope.audit("pool.join-token.rotate", pool.name);
  return { pool: pool.name, joinToken: join.token };
}

/** No agent can join the pool any more (until a new token is made); registered agents go on. */
export async function revokeJoinToken(scope: WorkspaceScope, poolName: string): Promise<void> {
  const pool = await agentPool(scope, poolName);
  await scope.db.pool.updateMany({ where: { id: pool.id }, data: { joinTokenHash: null } });
  await scope.audit("pool.join-token.revoke", pool.name);
}

/**
 * Revokes an agent: its token stops working at once (its next heartbeat tells it to stop and kill
 * what it runs), its slots leave the pool, and its running attempts are lost, retried per their
 * tasks' retries.
 */
export async function revokeAgent(scope: WorkspaceScope, poolName: string, agentId: string): Promise<void> {
  const pool = await agentPool(scope, poolName);
  const { count } = await scope.db.agent.updateMany({
    where: { id: agentId, poolId: pool.id, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 0) {
    const exists = await scope.db.agent.count({ where: { id: agentId, poolId: pool.id } });
    if (exists === 0) throw notFound("Agent");
    return;
  }
  await forgetAgentWorkers([agentId]);
  await scope.audit("agent.revoke", pool.name, { agentId });
}

/** Takes the slots of a pool's agents out of the engine (the pool is being deleted). */
export async function forgetPoolAgents(scope: WorkspaceScope, poolId: string): Promise<void> {
  const agents = await scope.db.agent.findMany({ where: { poolId }, select: { id: true } });
  await forgetAgentWorkers(agents.map((a) => a.id));
}
