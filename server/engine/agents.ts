// The engine's side of agents (server/agents): processes on a workspace's own machines that run
// the attempts of one agent pool, pulling them over the REST API. An agent is a worker to the
// engine: its Worker row (same id) counts its slots into its pool's worker pool `agent:<poolId>`,
// so admission (dispatch.ts) schedules the pool's tasks only while an agent is online and only as
// many as agents have slots; its attempts record `agent:<agentId>` as their worker, so the reaper
// fails and retries them when its heartbeats stop, and its outcomes go through complete.ts with
// the attempt number's fencing, as any worker's.
//
// Admission leaves a graphile-worker job `engine:run-task@agent:<poolId>` per scheduled instance,
// which no worker process fetches: an agent's claim deletes the job and claims its instance in one
// transaction (as baton_finish_attempts takes a slot's next job), in graphile-worker's own order.
// Claims long-poll: a claim finding nothing waits for graphile-worker's `jobs:insert`
// notification (one LISTEN per web process), and looks again at least every second.
//
// Every statement names the agent's workspace, and every attempt an agent touches must be one it
// claimed (`workerId`): another agent's or another workspace's attempt is NOT_FOUND.

import { agentPoolWorkerPool, agentWorkerId, sha256 } from "@/server/agents/tokens";
import { AppError, notFound } from "@/server/errors";
import { metrics } from "@/server/observability/metrics";
import { operatorCatalog } from "@/server/operators/catalog";
import { NonRetryableError } from "@/server/operators/execution";
import type { SecretMask } from "@/server/secrets/mask";
import { type ClaimedAttempt, claimMany } from "./claim";
import { complete, type Outcome } from "./complete";
import {
  attemptMask,
  maskResult,
  prepareAttempt,
  renderTaskConfig,
  toOutcome,
  upstreamOutputs,
} from "./execute";
import { compiledVersion } from "./graph";
import { type LogChunk, storeLogChunk } from "./logs";
import { kickWorkspace } from "./operations";
import { listen, sql, transaction } from "./sql";
import { cutText, MAX_ERROR_CHARS, storableText } from "./storable";
import { heartbeatEveryMs, lostAfterSeconds } from "./worker-registry";

/** The agent protocol this server speaks; an agent of another refuses to start, saying so. */
export const AGENT_PROTOCOL = 1;

/** An authenticated agent: what every call after registration acts as. */
export interface AgentCaller {
  id: string;
  workspaceId: string;
  poolId: string;
  poolName: string;
  concurrency: number;
  apiRateLimitPerMinute: number;
}

const unauthorized = () =>
  new AppError(
    "UNAUTHORIZED",
    "Invalid or revoked agent token: register the agent again with its pool's join token",
  );

/** Resolves an agent's own token; a revoked agent, or one of a deleted pool, is UNAUTHORIZED. */
export async function authenticateAgent(raw: string): Promise<AgentCaller> {
  const { rows } = await sql.query<AgentCaller>(
    `SELECT a.id, a."workspaceId", a."poolId", p.name AS "poolName", a.concurrency, w."apiRateLimitPerMinute"
     FROM "Agent" a JOIN "Pool" p ON p.id = a."poolId" JOIN "Workspace" w ON w.id = a."workspaceId"
     WHERE a."tokenHash" = $1 AND a."revokedAt" IS NULL AND p.agents`,
    [sha256(raw)],
  );
  if (!rows[0]) throw unauthorized();
  return rows[0];
}

export interface Registration {
  name: string;
  version: string;
  concurrency: number;
  labels: string[];
}

/**
 * Registers an agent in the pool whose join token it holds: an Agent row with the hash of its own
 * token, and its Worker row, so the pool's queued tasks are admitted for it at once. Refused
 * beyond the plan's maxAgents agents online in the workspace (counted under the Workspace row's
 * lock, so concurrent registrations cannot together pass it).
 */
export async function registerAgent(
  joinToken: string,
  input: Registration,
  agentTokenHash: string,
): Promise<{ agentId: string; workspaceId: string; pool: string }> {
  const registered = await transaction(async (tx) => {
    const { rows: pools } = await tx.query<{ id: string; workspaceId: string; name: string }>(
      `SELECT id, "workspaceId", name FROM "Pool" WHERE "joinTokenHash" = $1 AND agents`,
      [sha256(joinToken)],
    );
    const pool = pools[0];
    if (!pool)
      throw new AppError("UNAUTHORIZED", "Invalid or revoked join token: copy the pool's current one");
    const { rows: quota } = await tx.query<{ maxAgents: number; online: number }>(
      `SELECT w."maxAgents",
              (SELECT count(*)::int FROM "Agent" a WHERE a."workspaceId" = w.id AND a."revokedAt" IS NULL
                 AND a."stoppedAt" IS NULL AND a."lastSeenAt" > now() - make_interval(secs => $2)) AS online
       FROM "Workspace" w WHERE w.id = $1 FOR NO KEY UPDATE`,
      [pool.workspaceId, lostAfterSeconds()],
    );
    const { maxAgents, online } = quota[0]!;
    if (online >= maxAgents) {
      throw new AppError(
        "TOO_MANY_REQUESTS",
        `This workspace has ${online} agents online, its plan's limit (quota maxAgents): stop one, revoke one, or ask for a larger plan`,
      );
    }
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO "Agent" (id, "workspaceId", "poolId", name, version, labels, concurrency, "tokenHash")
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [pool.workspaceId, pool.id, input.name, input.version, input.labels, input.concurrency, agentTokenHash],
    );
    const agentId = rows[0]!.id;
    await upsertWorker(tx, {
      id: agentId,
      name: input.name,
      poolId: pool.id,
      concurrency: input.concurrency,
    });
    return { agentId, workspaceId: pool.workspaceId, pool: pool.name };
  });
  await kickWorkspace(registered.workspaceId);
  return registered;
}

/** The agent's Worker row, fresh; answers whether it was (re)created (then admission is due). */
async function upsertWorker(
  tx: typeof sql,
  agent: { id: string; name: string; poolId: string; concurrency: number },
): Promise<boolean> {
  const { rows } = await tx.query<{ created: boolean }>(
    `INSERT INTO "Worker" (id, name, pools, slots, "lockIds") VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET "heartbeatAt" = now()
     RETURNING (xmax = 0) AS created`,
    [
      agent.id,
      `agent ${agent.name}`,
      [agentPoolWorkerPool(agent.poolId)],
      agent.concurrency,
      [agentWorkerId(agent.id)],
    ],
  );
  return rows[0]?.created ?? false;
}

/**
 * An agent is alive: its Worker row's heartbeat and its lastSeenAt, in one round trip. `slots`:
 * a draining agent offers none (its running attempts go on).
 */
async function touch(agent: AgentCaller, slots?: number): Promise<void> {
  const { rows } = await sql.query<{ name: string; created: boolean | null }>(
    `WITH seen AS (
       UPDATE "Agent" SET "lastSeenAt" = now() WHERE id = $1 AND "workspaceId" = $2 AND "revokedAt" IS NULL
       RETURNING name),
     beat AS (
       UPDATE "Worker" SET "heartbeatAt" = now(), slots = coalesce($3, slots) WHERE id = $1 RETURNING 1)
     SELECT (SELECT name FROM seen) AS name, EXISTS (SELECT 1 FROM beat) AS created`,
    [agent.id, agent.workspaceId, slots ?? null],
  );
  const row = rows[0];
  if (!row?.name) throw unauthorized();
  // Gone from the registry (the reaper forgets workers silent for an hour): back, and admission is due.
  if (!row.created) {
    await upsertWorker(sql, {
      id: agent.id,
      name: row.name,
      poolId: agent.poolId,
      concurrency: slots ?? agent.concurrency,
    });
    await kickWorkspace(agent.workspaceId);
  }
}

/**
 * A heartbeat: the agent lives, and of the attempts it says it runs, those it must stop (no longer
 * running in the database: cancelled, timed out as lost, or not its own).
 */
export async function agentHeartbeat(
  agent: AgentCaller,
  input: { running: string[]; draining?: boolean | undefined },
): Promise<{ cancel: string[] }> {
  await touch(agent, input.draining ? 0 : undefined);
  await releaseUnknown(agent, input.running);
  if (input.running.length === 0) return { cancel: [] };
  const { rows } = await sql.query<{ id: string }>(
    `SELECT id FROM "TaskAttempt" WHERE id = ANY($1::uuid[]) AND "workspaceId" = $2 AND "workerId" = $3
       AND state = 'running'`,
    [input.running, agent.workspaceId, agentWorkerId(agent.id)],
  );
  const live = new Set(rows.map((r) => r.id));
  return { cancel: input.running.filter((id) => !live.has(id)) };
}

/**
 * Attempts claimed for the agent that it does not say it runs, a while after their claim: the
 * claim's answer never reached it (the connection dropped as it was sent). They would otherwise
 * stay `running` for as long as the agent lives; they fail as lost and retry per their retries.
 */
async function releaseUnknown(agent: AgentCaller, running: string[]): Promise<void> {
  const { rows } = await sql.query<ReturnType<typeof attemptRef>>(
    `SELECT a.id AS "attemptId", t.id, t."taskId", a.number AS "tryNumber", t."maxTries", t."mapIndex",
            r.id AS "runId", r."workspaceId", r."dagId", r."dagVersionId", r.params
     FROM "TaskAttempt" a
     JOIN "TaskInstance" t ON t.id = a."taskInstanceId" AND t."tryNumber" = a.number AND t.state = 'running'
     JOIN "DagRun" r ON r.id = t."runId"
     WHERE a."workspaceId" = $1 AND a."workerId" = $2 AND a.state = 'running'
       AND NOT a.id = ANY($3::uuid[]) AND a."startedAt" < now() - make_interval(secs => $4)`,
    [agent.workspaceId, agentWorkerId(agent.id), running, lostAfterSeconds()],
  );
  for (const attempt of rows) {
    await finish(agent.workspaceId, attempt, {
      state: "failed",
      retryable: true,
      error: "Lost: the agent never received this attempt (the answer to its claim was lost on the way)",
    });
  }
}

/** An agent stopping cleanly (drained): its slots leave the pool at once. */
export async function agentStopped(agent: AgentCaller): Promise<void> {
  await sql.query(`UPDATE "Agent" SET "stoppedAt" = now() WHERE id = $1 AND "workspaceId" = $2`, [
    agent.id,
    agent.workspaceId,
  ]);
  await forgetAgentWorkers([agent.id]);
}

/** Takes agents' slots out of their pools at once (revoked, stopped, their pool deleted); their running attempts count as lost. */
export async function forgetAgentWorkers(agentIds: string[]): Promise<void> {
  if (agentIds.length > 0) await sql.query(`DELETE FROM "Worker" WHERE id = ANY($1::uuid[])`, [agentIds]);
}

/** An attempt as an agent receives it: what to run, rendered, and what it may read. */
export interface AgentAttempt {
  attemptId: string;
  tryNumber: number;
  maxTries: number;
  runId: string;
  dagId: string;
  taskId: string;
  mapIndex: number;
  operator: string;
  /** The task's config, rendered (variables, secrets, upstream outputs) and with its defaults. */
  config: unknown;
  /** Seconds before the agent kills it (the task's timeout), or null. */
  timeoutSeconds: number | null;
  /** What a python_script reads on stdin. */
  inputs: { params: Record<string, unknown>; upstream: Record<string, unknown>; item: unknown; run: object };
}

/** Masks of attempts agents run, kept for their log appends and outcomes (built again when missing). */
const masks = new Map<string, SecretMask>();
const MAX_MASKS = 10_000;

/**
 * Claims up to `max` attempts of the agent's pool, waiting up to `waitMs` for one (a long poll).
 * An attempt whose task cannot run on an agent, or whose config does not render, fails at once
 * (without retry) and is not handed out.
 */
export async function claimForAgent(
  agent: AgentCaller,
  max: number,
  waitMs: number,
  signal?: AbortSignal,
): Promise<AgentAttempt[]> {
  await touch(agent);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const claimed = await takeJobs(agent, max);
    const ready: AgentAttempt[] = [];
    for (const attempt of claimed) {
      const prepared = await prepareForAgent(attempt);
      if (prepared) ready.push(prepared);
    }
    if (ready.length > 0 || Date.now() >= deadline || signal?.aborted) return ready;
    await jobsInserted(Math.min(1_000, deadline - Date.now()), signal);
  }
}

/** Deletes up to `max` of the pool's run-task jobs, in graphile-worker's order, and claims their instances. */
async function takeJobs(agent: AgentCaller, max: number): Promise<ClaimedAttempt[]> {
  const claimed = await transaction(async (tx) => {
    const { rows } = await tx.query<{ taskInstanceId: string }>(
      `DELETE FROM graphile_worker._private_jobs j WHERE j.id IN (
         SELECT j.id FROM graphile_worker._private_jobs j
         JOIN graphile_worker._private_tasks t ON t.id = j.task_id AND t.identifier = $1
         WHERE j.is_available AND j.run_at <= now() AND j.payload->>'workspaceId' = $2
         ORDER BY j.priority, j.run_at, j.id LIMIT $3 FOR UPDATE OF j SKIP LOCKED)
       RETURNING j.payload->>'taskInstanceId' AS "taskInstanceId"`,
      [`engine:run-task@${agentPoolWorkerPool(agent.poolId)}`, agent.workspaceId, max],
    );
    return claimMany(
      tx,
      rows.map((r) => ({
        taskInstanceId: r.taskInstanceId,
        workspaceId: agent.workspaceId,
        workerId: agentWorkerId(agent.id),
      })),
    );
  });
  return claimed.filter((c): c is ClaimedAttempt => c !== null);
}

async function prepareForAgent(claimed: ClaimedAttempt): Promise<AgentAttempt | null> {
  const compiled = await compiledVersion(sql, claimed.dagVersionId, claimed.workspaceId);
  const task = compiled.tasks.get(claimed.taskId);
  const operatorName = task?.def.operator ?? "unknown";
  metrics.attemptsStarted.inc({ operator: operatorName });
  try {
    if (!task) throw new NonRetryableError(`Task ${claimed.taskId} is not in the run's DAG version`);
    const operator = operatorCatalog.get(operatorName);
    if (operator?.runsOn !== "agent") {
      throw new NonRetryableError(
        `The ${operatorName} operator does not run on agents: agent pools run shell and python_script tasks`,
      );
    }
    const { context, mask } = await prepareAttempt(claimed, compiled, task);
    rememberMask(claimed.attemptId, mask);
    const config = renderTaskConfig(task, operator, context);
    const upstream = operator.needsUpstream ? await upstreamOutputs(task, claimed, claimed.workspaceId) : {};
    return {
      attemptId: claimed.attemptId,
      tryNumber: claimed.tryNumber,
      maxTries: claimed.maxTries,
      runId: claimed.runId,
      dagId: compiled.dag.id,
      taskId: claimed.taskId,
      mapIndex: claimed.mapIndex,
      operator: operatorName,
      config,
      timeoutSeconds: task.settings.timeoutSeconds ?? null,
      inputs: {
        params: claimed.params,
        upstream,
        item: claimed.mapItem ?? null,
        run: { id: claimed.runId, logical_date: claimed.logicalDate.toISOString() },
      },
    };
  } catch (error) {
    const message = storableText(cutText((error as Error).message ?? String(error), MAX_ERROR_CHARS));
    await storeLogChunk(claimed.workspaceId, claimed.attemptId, logLines("ERROR", [message]));
    await finish(claimed.workspaceId, attemptRef(claimed), {
      state: "failed",
      error: message,
      retryable: !(error instanceof NonRetryableError),
    });
    return null;
  }
}

function rememberMask(attemptId: string, mask: SecretMask) {
  if (masks.size >= MAX_MASKS) masks.delete(masks.keys().next().value!);
  masks.set(attemptId, mask);
}

/** An attempt of this agent that is still running, with what recording its outcome needs. */
interface HeldAttempt {
  attemptId: string;
  id: string;
  taskId: string;
  tryNumber: number;
  maxTries: number;
  mapIndex: number;
  state: string;
  logBytes: number;
  runId: string;
  workspaceId: string;
  dagId: string;
  dagVersionId: string;
  params: Record<string, unknown>;
  maxOutputBytes: number;
  maxLogBytesPerAttempt: number;
}

async function heldAttempt(agent: AgentCaller, attemptId: string): Promise<HeldAttempt> {
  const { rows } = await sql.query<HeldAttempt>(
    `SELECT a.id AS "attemptId", t.id, t."taskId", a.number AS "tryNumber", t."maxTries", t."mapIndex",
            a.state, a."logBytes", r.id AS "runId", r."workspaceId", r."dagId", r."dagVersionId", r.params,
            w."maxOutputBytes", w."maxLogBytesPerAttempt"
     FROM "TaskAttempt" a
     JOIN "TaskInstance" t ON t.id = a."taskInstanceId"
     JOIN "DagRun" r ON r.id = t."runId"
     JOIN "Workspace" w ON w.id = a."workspaceId"
     WHERE a.id = $1 AND a."workspaceId" = $2 AND a."workerId" = $3`,
    [attemptId, agent.workspaceId, agentWorkerId(agent.id)],
  );
  if (!rows[0]) throw notFound("Attempt");
  return rows[0];
}

async function maskOf(held: HeldAttempt): Promise<SecretMask> {
  const cached = masks.get(held.attemptId);
  if (cached) return cached;
  // Another web process claimed it, or this one restarted: the mask of every secret the run reaches.
  const compiled = await compiledVersion(sql, held.dagVersionId, held.workspaceId);
  const mask = await attemptMask(held.workspaceId, compiled.dag, []);
  rememberMask(held.attemptId, mask);
  return mask;
}

export interface AgentLogLine {
  stream: "stdout" | "stderr" | "agent";
  text: string;
}

function logLines(level: string, lines: string[], at = new Date()): LogChunk {
  const text = lines.map((line) => `${at.toISOString()} ${level} ${line}\n`).join("");
  return { text, bytes: Buffer.byteLength(text) };
}

/**
 * Appends lines an agent's attempt wrote to its log, masked, up to the workspace's
 * maxLogBytesPerAttempt (the rest is dropped with one marker). Answers whether the attempt still
 * runs (a cancelled one is for the agent to kill).
 */
export async function appendAgentLog(
  agent: AgentCaller,
  attemptId: string,
  lines: AgentLogLine[],
): Promise<{ running: boolean; capped: boolean }> {
  const held = await heldAttempt(agent, attemptId);
  const running = held.state === "running";
  const cap = held.maxLogBytesPerAttempt;
  if (held.logBytes >= cap || lines.length === 0) return { running, capped: held.logBytes >= cap };
  const mask = await maskOf(held);
  const now = new Date().toISOString();
  let text = "";
  let bytes = 0;
  let capped = false;
  for (const line of lines) {
    const level = line.stream === "stderr" ? "WARN" : "INFO";
    const entry = `${now} ${level} ${storableText(mask.text(line.text))}\n`;
    const size = Buffer.byteLength(entry);
    if (held.logBytes + bytes + size > cap) {
      capped = true;
      const marker = `… log cut: this attempt reached its limit of ${cap} bytes (plan quota maxLogBytesPerAttempt); later lines were dropped\n`;
      text += marker;
      bytes += Buffer.byteLength(marker);
      break;
    }
    text += entry;
    bytes += size;
  }
  await storeLogChunk(held.workspaceId, held.attemptId, { text, bytes });
  return { running, capped };
}

export type AgentOutcome =
  | { state: "success"; output?: unknown }
  | { state: "failed"; error: string; retryable?: boolean | undefined }
  | { state: "skipped"; reason: string };

/**
 * Records the outcome an agent reports, masked and capped as any worker's (the output over
 * maxOutputBytes stored cut). Fenced by the attempt number (complete.ts): an outcome for an
 * attempt no longer running (cancelled, given up as lost, already recorded) changes nothing and
 * answers `recorded: false`.
 */
export async function completeForAgent(
  agent: AgentCaller,
  attemptId: string,
  reported: AgentOutcome,
): Promise<{ recorded: boolean }> {
  const held = await heldAttempt(agent, attemptId);
  if (held.state !== "running") return { recorded: false };
  const mask = await maskOf(held);
  const notes: string[] = [];
  let outcome: Outcome;
  try {
    if (reported.state === "success") {
      outcome = toOutcome(maskResult({ output: reported.output ?? null }, mask), held.maxOutputBytes, {
        warn: (line) => notes.push(line),
      });
    } else if (reported.state === "skipped") {
      outcome = {
        state: "skipped",
        error: storableText(cutText(mask.text(reported.reason), MAX_ERROR_CHARS)),
      };
    } else {
      outcome = {
        state: "failed",
        error: storableText(cutText(mask.text(reported.error), MAX_ERROR_CHARS)),
        retryable: reported.retryable ?? true,
      };
    }
  } catch (error) {
    outcome = { state: "failed", error: (error as Error).message, retryable: false };
    notes.push((error as Error).message);
  }
  const recorded = await finish(
    held.workspaceId,
    held,
    outcome,
    notes.length ? logLines("WARN", notes) : null,
  );
  if (recorded) metrics.attemptsEnded.inc({ operator: "agent", outcome: outcome.state });
  masks.delete(attemptId);
  return { recorded };
}

function attemptRef(claimed: ClaimedAttempt) {
  return {
    attemptId: claimed.attemptId,
    id: claimed.id,
    taskId: claimed.taskId,
    tryNumber: claimed.tryNumber,
    maxTries: claimed.maxTries,
    mapIndex: claimed.mapIndex,
    runId: claimed.runId,
    workspaceId: claimed.workspaceId,
    dagId: claimed.dagId,
    dagVersionId: claimed.dagVersionId,
    params: claimed.params,
  };
}

/** Records an outcome; answers whether it applied (the attempt was still running with that try). */
async function finish(
  workspaceId: string,
  attempt: ReturnType<typeof attemptRef>,
  outcome: Outcome,
  log: LogChunk | null = null,
): Promise<boolean> {
  await complete({
    run: {
      id: attempt.runId,
      workspaceId,
      dagId: attempt.dagId,
      dagVersionId: attempt.dagVersionId,
      params: attempt.params,
    },
    attempt,
    outcome,
    log,
  });
  const { rows } = await sql.query<{ state: string }>(
    `SELECT state FROM "TaskAttempt" WHERE id = $1 AND "workspaceId" = $2`,
    [attempt.attemptId, workspaceId],
  );
  return rows[0]?.state !== "running";
}

// --- Waking long polls ---------------------------------------------------------------------------

const waiting = new Set<() => void>();
let stopListening: (() => Promise<void>) | undefined;
let idle: NodeJS.Timeout | undefined;

/**
 * Resolves when graphile-worker announces new jobs, after `ms`, or when `signal` aborts. The
 * LISTEN connection is held while claims wait, and given back to the pool 10 s after the last.
 */
function jobsInserted(ms: number, signal?: AbortSignal): Promise<void> {
  clearTimeout(idle);
  stopListening ??= listen("jobs:insert", () => {
    for (const wake of [...waiting]) wake();
  });
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      waiting.delete(done);
      signal?.removeEventListener("abort", done);
      if (waiting.size === 0) {
        clearTimeout(idle);
        idle = setTimeout(() => void stopAgentWakeups(), 10_000);
        idle.unref();
      }
      resolve();
    };
    const timer = setTimeout(done, Math.max(ms, 0));
    waiting.add(done);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Stops listening for new jobs (idle, tests, shutdown). */
export async function stopAgentWakeups(): Promise<void> {
  clearTimeout(idle);
  const stop = stopListening;
  stopListening = undefined;
  await stop?.();
}

/** How often agents heartbeat: several times within the reaper's grace. */
export const agentHeartbeatSeconds = () => Math.max(1, Math.floor(heartbeatEveryMs() / 1000));
