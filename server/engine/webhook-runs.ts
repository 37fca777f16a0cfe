// Webhook deliveries into runs: the engine's intake of them (one insert, on the web process's hot
// path) and their batches (in every worker).
//
// A delivery is accepted by one insert (acceptPending, called by server/webhooks/deliver.ts): its
// log row, `pending`, naming its run id and carrying its mapped params; then the web process
// notifies PENDING_CHANNEL. Every worker listens
// (and polls every second, for a notification lost with a web process, or a worker that died
// mid-batch) and takes the pending deliveries of a workspace in one transaction:
//
//   lock the workspace's run gate (the lock order of run starts) → lock up to BATCH pending
//   deliveries (SKIP LOCKED) → insert their runs and task instances (engine/runs.ts insertRuns,
//   run key `webhook__<delivery id>`) → start what may start → mark the deliveries `accepted`, or
//   refused with the reason (DAG archived, params no longer valid, workspace suspended) → commit.
//
// So a delivery's run and its settled log row commit together or not at all: a worker killed
// mid-batch leaves the deliveries pending for the next one, and the run key makes a second run of
// a delivery impossible. The sender's 202 never waited for any of it.
import { paramsValidator } from "@/server/dags/definition";
import { log } from "@/server/observability/logger";
import { suspendedMessage } from "@/server/quotas/errors";
import { type ParamMapping, withSources } from "@/server/triggers/mapping";
import { meter } from "@/server/usage/meter";
import { deliveryInsert, type LoggedRequest } from "@/server/webhooks/delivery-log";
import { endRunIfDone } from "./advance";
import { compiledVersion } from "./graph";
import { lockRunGate } from "./run-gate";
import { insertRuns, type NewRun } from "./runs";
import { listen, type Sql, sql, transaction } from "./sql";

/** The channel a pending delivery's web process notifies; every worker listens. */
export const PENDING_CHANNEL = "baton_webhook_deliveries";

/** A delivery being accepted: its id, the run it names, its idempotency key and mapped params. */
export interface PendingDelivery {
  id: string;
  runId: string;
  key: string | null;
  params: Record<string, unknown>;
  replayOf: string | null;
}

/**
 * Accepts a delivery durably in one statement: its log row, `pending`, holding its idempotency key
 * (if any), naming the run it will start and carrying the params mapped for it. Then the workers
 * are told (startDeliveryRuns creates the run). False when another delivery of the endpoint holds the key
 * (nothing is written).
 */
export async function acceptPending(
  workspaceId: string,
  endpointId: string,
  delivery: PendingDelivery,
  logged: LoggedRequest,
): Promise<boolean> {
  const outcome = { statusCode: 202, result: "pending", runId: delivery.runId, replayOf: delivery.replayOf };
  // The engine's own connection: one round trip on the web process's hot path (the statement
  // names its workspace, like every engine statement).
  const insert = deliveryInsert(
    workspaceId,
    endpointId,
    delivery.id,
    logged,
    outcome,
    delivery.key,
    delivery.params,
  );
  const accepting = `${insert.text} ON CONFLICT ("endpointId", "idempotencyKey") DO NOTHING`;
  const nudge = takeNudge(workspaceId);
  if (!nudge) {
    const { rowCount } = await sql.query(accepting, insert.values);
    if (rowCount !== 1) return false;
    nudgeEngine(workspaceId); // committed: the nudge in flight, or one more after it, tells of it
    return true;
  }
  // No nudge in flight: this insert notifies the workers itself, at its commit (no second round
  // trip before they hear of it: an idle system's delivery → first task start).
  try {
    const { rowCount } = await sql.query(
      `WITH accepted AS (${accepting} RETURNING id)
       SELECT pg_notify('${PENDING_CHANNEL}', $${insert.values.length + 1}) FROM accepted`,
      [...insert.values, workspaceId],
    );
    return rowCount === 1;
  } finally {
    nudge.done();
  }
}

/**
 * Tells the workers that a workspace's deliveries are pending: one notification in flight at a
 * time per process and workspace (an accepting insert that notifies itself, or a pg_notify), and
 * one more after it for whatever was accepted meanwhile. Every other accepting statement is a
 * plain insert: PostgreSQL commits notifying transactions one after another (a global lock held
 * through the commit's flush), which would queue every delivery behind the one before. A lost
 * nudge costs at most the workers' one-second poll.
 */
const nudging = new Map<string, { again: boolean }>();

/** Claims the workspace's nudge when none is in flight; `done` then sends one more if asked meanwhile. */
function takeNudge(workspaceId: string): { done: () => void } | null {
  if (nudging.has(workspaceId)) return null;
  const state = { again: false };
  nudging.set(workspaceId, state);
  return { done: () => void sendAgain(workspaceId, state) };
}

/** After a delivery committed: asks the nudge in flight for one more, or sends one. */
function nudgeEngine(workspaceId: string): void {
  const inFlight = nudging.get(workspaceId);
  if (inFlight) {
    inFlight.again = true;
    return;
  }
  const state = { again: true };
  nudging.set(workspaceId, state);
  void sendAgain(workspaceId, state);
}

async function sendAgain(workspaceId: string, state: { again: boolean }): Promise<void> {
  while (state.again) {
    state.again = false;
    await sql.query(`SELECT pg_notify('${PENDING_CHANNEL}', $1)`, [workspaceId]).catch(() => {});
  }
  nudging.delete(workspaceId);
}

/** Deliveries turned into runs per transaction. */
const BATCH = 100;
/** How often workers look for pending deliveries without being told. */
const POLL_MS = 1_000;

interface Pending {
  id: string;
  runId: string;
  params: Record<string, unknown>;
  replayOf: string | null;
  endpointName: string;
  paramMapping: ParamMapping;
  dagId: string;
  dagKey: string;
  versionId: string | null;
  archived: boolean;
}

interface Refusal {
  statusCode: number;
  result: string;
  message: string;
}

/**
 * Creates the runs of one workspace's pending deliveries, up to BATCH, in one transaction (above).
 * Answers how many deliveries it settled (0: none were pending, or another worker holds them).
 */
export async function startDeliveryRuns(workspaceId: string, batch = BATCH): Promise<number> {
  const done = await transaction(async (tx) => {
    const gate = await lockRunGate(tx, workspaceId);
    const pending = await lockPending(tx, workspaceId, batch);
    if (!gate || pending.length === 0) return null;
    const refused = new Map<string, Refusal>();
    const runs: NewRun[] = [];
    for (const delivery of pending) {
      const refusal = gate.suspended
        ? { statusCode: 403, result: "suspended", message: suspendedMessage(gate.suspendedReason) }
        : await refusalOf(tx, workspaceId, delivery);
      if (refusal) refused.set(delivery.id, refusal);
      else runs.push(newRun(delivery));
    }
    const { created, started } = await insertRuns(tx, workspaceId, gate, runs);
    await settle(tx, workspaceId, pending, refused);
    await auditRuns(tx, workspaceId, pending, created);
    return { created: created.size, started, settled: pending.length };
  });
  if (!done) return 0;
  if (done.created > 0) meter(workspaceId, { webhookDeliveries: done.created });
  if (done.started.length > 0) meter(workspaceId, { runs: done.started.length });
  for (const run of done.started) await endRunIfDone(run);
  return done.settled;
}

function newRun(delivery: Pending): NewRun {
  return {
    id: delivery.runId,
    dagId: delivery.dagId,
    versionId: delivery.versionId!,
    runKey: `webhook__${delivery.id}`,
    triggeredBy: "webhook",
    label: `webhook ${delivery.endpointName}`,
    note: delivery.replayOf
      ? `replay of webhook delivery ${delivery.replayOf}`
      : `webhook ${delivery.endpointName}`,
    params: delivery.params,
    logicalDate: new Date(),
    dataIntervalStart: null,
    dataIntervalEnd: null,
  };
}

/** Why a delivery accepted earlier cannot start its run now (the DAG changed since), if it cannot. */
async function refusalOf(tx: Sql, workspaceId: string, delivery: Pending): Promise<Refusal | undefined> {
  if (delivery.archived) {
    return {
      statusCode: 409,
      result: "error",
      message: `DAG ${delivery.dagKey} is archived; unarchive it to run it`,
    };
  }
  if (!delivery.versionId) {
    return { statusCode: 409, result: "error", message: `DAG ${delivery.dagKey} has no version yet` };
  }
  const compiled = await compiledVersion(tx, delivery.versionId, workspaceId);
  const checked = paramsValidator(compiled.dag).safeParse(delivery.params);
  if (checked.success) return undefined;
  const problems = withSources(
    checked.error.issues.map((issue) => ({
      path: ["params", ...issue.path].join("."),
      message: issue.message,
    })),
    delivery.paramMapping,
  );
  return {
    statusCode: 422,
    result: "invalid",
    message: `The payload does not map to valid params for the DAG: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
  };
}

async function lockPending(tx: Sql, workspaceId: string, limit: number): Promise<Pending[]> {
  const { rows } = await tx.query<Pending>(
    `SELECT d.id, d."runId", d.params, d."replayOf", e.name AS "endpointName", e."paramMapping",
            g.id AS "dagId", g.key AS "dagKey", g."currentVersionId" AS "versionId", g."archivedAt" IS NOT NULL AS archived
     FROM "WebhookDelivery" d
       JOIN "WebhookEndpoint" e ON e.id = d."endpointId"
       JOIN "Dag" g ON g.id = e."dagId"
     WHERE d."workspaceId" = $1 AND d.result = 'pending'
     ORDER BY d."receivedAt"
     LIMIT $2
     FOR UPDATE OF d SKIP LOCKED`,
    [workspaceId, limit],
  );
  return rows;
}

/** Accepted deliveries become `accepted`; refused ones say why, free their key and name no run. */
async function settle(tx: Sql, workspaceId: string, pending: Pending[], refused: Map<string, Refusal>) {
  const failed = pending.filter((d) => refused.has(d.id));
  await tx.query(
    `UPDATE "WebhookDelivery" d SET
       result = coalesce(x.result, 'accepted'),
       "statusCode" = coalesce(x.status, d."statusCode"),
       message = coalesce(x.message, d.message),
       "runId" = CASE WHEN x.result IS NULL THEN d."runId" END,
       "idempotencyKey" = CASE WHEN x.result IS NULL THEN d."idempotencyKey" END,
       params = NULL
     FROM unnest($2::uuid[]) AS p(id)
       LEFT JOIN unnest($3::uuid[], $4::text[], $5::int[], $6::text[]) AS x(id, result, status, message) ON x.id = p.id
     WHERE d."workspaceId" = $1 AND d.id = p.id`,
    [
      workspaceId,
      pending.map((d) => d.id),
      failed.map((d) => d.id),
      failed.map((d) => refused.get(d.id)!.result),
      failed.map((d) => refused.get(d.id)!.statusCode),
      failed.map((d) => refused.get(d.id)!.message),
    ],
  );
}

/** `run.trigger` in the audit log for each run created, as triggerRun writes it. */
async function auditRuns(tx: Sql, workspaceId: string, pending: Pending[], created: Map<string, string>) {
  const audited = pending.filter((d) => created.has(`webhook__${d.id}`));
  if (audited.length === 0) return;
  await tx.query(
    `INSERT INTO "AuditEvent" ("workspaceId", actor, "actorLabel", action, target, metadata)
     SELECT $1, 'system', x.label, 'run.trigger', x.dag, jsonb_build_object('runId', x.run_id, 'triggeredBy', 'webhook')
     FROM unnest($2::text[], $3::text[], $4::uuid[]) AS x(label, dag, run_id)`,
    [
      workspaceId,
      audited.map((d) => `webhook ${d.endpointName}`),
      audited.map((d) => d.dagKey),
      audited.map((d) => d.runId),
    ],
  );
}

/** Workspaces with pending deliveries, oldest first (system work across workspaces, like the reaper). */
async function workspacesWithPending(): Promise<string[]> {
  const { rows } = await sql.query<{ workspaceId: string }>(
    `SELECT "workspaceId" FROM "WebhookDelivery" WHERE result = 'pending'
     GROUP BY "workspaceId" ORDER BY min("receivedAt") LIMIT 100`,
  );
  return rows.map((r) => r.workspaceId);
}

/** Creates the runs of a workspace's pending deliveries, batch after batch while batches are full. */
async function startWorkspaceRuns(workspaceId: string): Promise<number> {
  let settled = 0;
  try {
    for (;;) {
      const n = await startDeliveryRuns(workspaceId);
      settled += n;
      if (n < BATCH) return settled;
    }
  } catch (error) {
    // One workspace's failure (its batch rolled back, nothing lost) must not hold up the others.
    log.warn({ err: error, workspaceId }, "creating webhook deliveries' runs failed");
    return settled;
  }
}

/** Creates the runs of every pending delivery (those no other worker holds). */
export async function startAllDeliveryRuns(): Promise<number> {
  let settled = 0;
  for (const workspaceId of await workspacesWithPending()) settled += await startWorkspaceRuns(workspaceId);
  return settled;
}

/**
 * Every worker's delivery pump: on each pending delivery's notification, and every second, creates
 * the pending deliveries' runs. Notifications arriving while it works are folded into one more pass.
 */
export function startDeliveryPump(): () => Promise<void> {
  let running: Promise<void> | undefined;
  /** What to look at next: the workspaces named by notifications, or all (a poll). */
  let next: Set<string> | "all" | undefined;
  let stopped = false;
  const pass = (workspaceId?: string) => {
    if (stopped) return;
    if (!workspaceId || next === "all") next = "all";
    else {
      next ??= new Set();
      next.add(workspaceId);
    }
    if (running) return;
    running = (async () => {
      while (next && !stopped) {
        const these = next;
        next = undefined;
        const work =
          these === "all"
            ? startAllDeliveryRuns()
            : Promise.all([...these].map((id) => startWorkspaceRuns(id)));
        await work.catch((error: Error) =>
          log.warn({ err: error }, "creating webhook deliveries' runs failed"),
        );
      }
      running = undefined;
    })();
  };
  const unlisten = listen(PENDING_CHANNEL, (payload) => pass(payload || undefined));
  const timer = setInterval(() => pass(), POLL_MS);
  timer.unref();
  pass();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await unlisten();
    await running;
  };
}
