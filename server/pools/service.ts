// Pools of a workspace: named limits on how many of its task instances run at once, across DAGs.
// Tasks join a pool by name (`pool` in the DAG document, "default" unless set); a pool name with
// no row here has no limit of its own (only the workspace's maxConcurrentTasks holds its tasks).
//
// `admitted` is the dispatcher's count of the pool's instances holding a slot
// (server/engine/dispatch.ts); nothing here writes it. A pool created while tasks of that name are
// already running starts at 0, and their ends are still counted against it (never below 0): until
// those have all finished, the pool can run a few more than its slots. Create pools before use.
//
// Quotas: at most Workspace.maxPools pools, each with at most Workspace.maxPoolSlots slots.
//
// An agent pool (`agents: true`) is served by the workspace's own agents (server/agents) instead:
// its worker pool is `agent:<its id>`, which only its agents serve, and its join token (shown once
// at creation, stored as a sha256) registers them.
//
// Tasks run on a worker pool (server/engine/worker-pools.ts): the workspace's, or the one the
// platform console assigned a pool to. The list shows each pool's, and the worker pools' state as
// the workspace sees it (how many slots, whether any worker serves them, what its tasks hold).
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { forgetPoolAgents } from "@/server/agents/service";
import { agentPoolWorkerPool, newJoinToken } from "@/server/agents/tokens";
import { type WorkspaceWorkerPool, workspaceWorkerPools } from "@/server/engine/capacity";
import { kickWorkspace } from "@/server/engine/operations";
import { AppError, notFound } from "@/server/errors";
import { keyset, type PageInput } from "@/server/pagination";
import { quotaExceeded, quotaReached } from "@/server/quotas/limits";
import { lockWorkspaceQuotas, type WorkspaceScope } from "@/server/tenancy/door";
import { workspaceSql } from "@/server/tenancy/workspace-sql";

/** The DAG format's pool names (server/dags/definition.ts), so every pool a task names can exist. */
export const poolName = z
  .string()
  .regex(
    /^[a-z][a-z0-9_-]{0,62}$/,
    "Must be a pool name: a lower-case letter, then lower-case letters, digits, _ or - (at most 63)",
  );
/** 0 holds every task of the pool in `queued` (a way to drain it); the plan caps the rest. */
export const poolSlots = z
  .number({ error: "Must be a number of slots" })
  .int("Must be a whole number of slots")
  .min(0, "Must be 0 or more");
export const poolDescription = z.string().max(1000, "Descriptions are at most 1000 characters");

export interface PoolView {
  name: string;
  slots: number;
  /** Instances of the pool admitted now (scheduled or running), as the dispatcher counts them. */
  admitted: number;
  /** Instances of the pool ready and waiting for a slot (or for the workspace's quota). */
  queued: number;
  description: string;
  /** The worker pool its tasks run in. */
  workerPool: string;
  /** An agent pool: its tasks run on the workspace's own agents. */
  agents: boolean;
}

/** A pool name tasks use that has no row: its tasks are limited only by the workspace's quota. */
export interface UnlimitedPoolView {
  name: string;
  queued: number;
  running: number;
  /** The worker pool its tasks run in (the workspace's). */
  workerPool: string;
}

const slotStates = ["scheduled", "running"] as const;

async function quotasOf(workspaceId: string) {
  const { rows } = await workspaceSql(workspaceId).query<{ maxPools: number; maxPoolSlots: number }>(
    `SELECT "maxPools", "maxPoolSlots" FROM "Workspace" WHERE id = $1`,
    [workspaceId],
  );
  if (!rows[0]) throw notFound("Workspace");
  return rows[0];
}

const poolsOrder = keyset([["name", "asc"]]);

/** The pools (a page, by name), the pool names tasks use without a row, and the plan's pool quotas. */
export async function listPools(scope: WorkspaceScope, input: PageInput) {
  const [page, counts, quotas, capacity] = await Promise.all([
    poolsOrder.page(input, (query) =>
      scope.db.pool.findMany({
        ...query,
        select: { name: true, slots: true, admitted: true, description: true, agents: true },
      }),
    ),
    scope.db.taskInstance.groupBy({
      by: ["pool", "state"],
      where: { state: { in: ["queued", ...slotStates] } },
      _count: { _all: true },
    }),
    quotasOf(scope.workspace.id),
    workspaceWorkerPools(scope.workspace.id),
  ]);
  const workerPoolOf = (name: string) => capacity.byNamedPool.get(name) ?? capacity.home;
  const byName = new Map<string, { queued: number; running: number }>();
  for (const row of counts) {
    const entry = byName.get(row.pool) ?? { queued: 0, running: 0 };
    if (row.state === "queued") entry.queued += row._count._all;
    else entry.running += row._count._all;
    byName.set(row.pool, entry);
  }
  const known = new Set(
    (
      await scope.db.pool.findMany({ where: { name: { in: [...byName.keys()] } }, select: { name: true } })
    ).map((p) => p.name),
  );
  return {
    items: page.items.map(
      (p): PoolView => ({ ...p, queued: byName.get(p.name)?.queued ?? 0, workerPool: workerPoolOf(p.name) }),
    ),
    nextCursor: page.nextCursor,
    unlimited: [...byName]
      .filter(([name]) => !known.has(name))
      .map(([name, c]): UnlimitedPoolView => ({ name, ...c, workerPool: capacity.home }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    quota: { maxPools: quotas.maxPools, maxPoolSlots: quotas.maxPoolSlots },
    /** The worker pools the workspace's tasks run in; one without a live worker runs nothing. */
    workerPools: capacity.pools satisfies WorkspaceWorkerPool[],
  };
}

async function getPool(scope: WorkspaceScope, name: string): Promise<PoolView> {
  const pool = await scope.db.pool.findFirst({
    where: { name },
    select: { name: true, slots: true, admitted: true, description: true, agents: true },
  });
  if (!pool) throw notFound("Pool");
  const [queued, capacity] = await Promise.all([
    scope.db.taskInstance.count({ where: { state: "queued", pool: name } }),
    workspaceWorkerPools(scope.workspace.id),
  ]);
  return { ...pool, queued, workerPool: capacity.byNamedPool.get(name) ?? capacity.home };
}

/**
 * Creates a pool, refused beyond maxPools pools or maxPoolSlots slots, counting under the
 * Workspace row's lock so that concurrent creations cannot together pass the limit.
 */
export async function createPool(
  scope: WorkspaceScope,
  input: { name: string; slots: number; description?: string | undefined; agents?: boolean | undefined },
): Promise<PoolView & { joinToken?: string }> {
  const id = randomUUID();
  const join = input.agents ? newJoinToken() : undefined;
  await scope.db.$transaction(async (tx) => {
    const quota = await lockWorkspaceQuotas(tx, scope.workspace.id);
    const existing = await tx.pool.findMany({ select: { name: true } });
    if (existing.some((p) => p.name === input.name)) {
      throw new AppError("CONFLICT", `A pool named "${input.name}" already exists`, [
        { path: "name", message: "Already exists; edit it instead" },
      ]);
    }
    if (existing.length >= quota.maxPools) {
      throw quotaReached(
        "maxPools",
        { used: existing.length, limit: quota.maxPools, noun: "pools" },
        "Delete a pool it no longer needs, or ask for a larger plan.",
      );
    }
    if (input.slots > quota.maxPoolSlots) throw quotaExceeded("maxPoolSlots", "slots", quota.maxPoolSlots);
    await tx.pool.create({
      data: {
        id,
        workspaceId: scope.workspace.id,
        name: input.name,
        slots: input.slots,
        description: input.description ?? "",
        ...(join ? { agents: true, workerPool: agentPoolWorkerPool(id), joinTokenHash: join.hash } : {}),
      },
    });
  });
  await scope.audit("pool.create", input.name, { slots: input.slots, agents: input.agents ?? false });
  // Tasks of that name already waiting in `queued` are unaffected (they were not held by a pool);
  // those of a new agent pool wait for its agents (server/agents/protocol.ts admits them).
  if (join) await admitWaiting(scope.workspace.id);
  const pool = await getPool(scope, input.name);
  return join ? { ...pool, joinToken: join.token } : pool;
}

/**
 * Changes a pool's slots and/or description. Fewer slots than are in use stop admissions until
 * enough instances finish (running ones are never interrupted); more slots admit waiting
 * instances at once.
 */
export async function updatePool(
  scope: WorkspaceScope,
  input: { name: string; slots?: number | undefined; description?: string | undefined },
): Promise<PoolView> {
  if (input.slots !== undefined) {
    const { maxPoolSlots } = await quotasOf(scope.workspace.id);
    if (input.slots > maxPoolSlots) {
      // A pool left above a lowered quota may come down step by step (4 → 3 under a limit of 2);
      // it may not grow.
      const current = await scope.db.pool.findFirst({ where: { name: input.name }, select: { slots: true } });
      if (!current) throw notFound("Pool");
      if (input.slots > current.slots) throw quotaExceeded("maxPoolSlots", "slots", maxPoolSlots);
    }
  }
  const { count } = await scope.db.pool.updateMany({
    where: { name: input.name },
    data: {
      ...(input.slots !== undefined ? { slots: input.slots } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
    },
  });
  if (count === 0) throw notFound("Pool");
  await scope.audit("pool.update", input.name, {
    ...(input.slots !== undefined ? { slots: input.slots } : {}),
    fields: [
      ...(input.slots !== undefined ? ["slots"] : []),
      ...(input.description !== undefined ? ["description"] : []),
    ],
  });
  if (input.slots !== undefined) await admitWaiting(scope.workspace.id);
  return getPool(scope, input.name);
}

/**
 * Deletes a pool; refused while any of its task instances hold a slot (scheduled or running), so
 * a pool never disappears under the tasks it is limiting. Its queued instances then run with no
 * pool limit (a pool name without a row is unlimited). Setting the slots to 0 first drains it.
 */
export async function deletePool(scope: WorkspaceScope, name: string): Promise<void> {
  const pool = await scope.db.pool.findFirst({ where: { name }, select: { id: true } });
  if (!pool) throw notFound("Pool");
  const inUse = await scope.db.taskInstance.count({ where: { pool: name, state: { in: [...slotStates] } } });
  if (inUse > 0) {
    throw new AppError(
      "CONFLICT",
      `Pool "${name}" has ${inUse} task instance${inUse === 1 ? "" : "s"} running; delete it once they finish (set its slots to 0 to admit no more meanwhile)`,
    );
  }
  await forgetPoolAgents(scope, pool.id);
  await scope.db.pool.deleteMany({ where: { id: pool.id } });
  await scope.audit("pool.delete", name);
  await admitWaiting(scope.workspace.id);
}

/**
 * Admission happens when something frees a slot or makes a task ready, with no loop polling for
 * room: more slots, or a pool gone, must ask the engine to admit what now fits. Its own
 * transaction, after the pool change committed (the dispatcher locks the workspace's dispatch row
 * before pool rows, and so must anyone holding both).
 */
async function admitWaiting(workspaceId: string): Promise<void> {
  await kickWorkspace(workspaceId);
}
