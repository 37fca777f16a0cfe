// Advancing a run. When task instances finish, the same transaction updates the upstream counters
// of their downstream tasks, applies trigger rules (skips and upstream failures propagate),
// expands mapped tasks, queues what became ready, and ends the run when nothing is left. No loop
// polls for dependencies: a hop costs the queries of one completion.
//
// Instances found by id or by (run, task) compare their state as text, so that a prepared plan
// never picks them by state instead (server/db/sql.ts).

import { enqueueRunAlerts } from "@/server/alerts/jobs";
import { enqueue } from "@/server/jobs/catalog";
import type { BranchConfig } from "@/server/operators/definitions/branch";
import { armSlaChecks, checksAtRunStart, checksWhenReady, settleSlaChecks } from "@/server/slas/arm";
import { parseReference } from "@/server/templating/template";
import { enqueueDagOutcome } from "@/server/triggers/jobs";
import { type CompiledDag, compiledVersion } from "./graph";
import {
  lockRunGate,
  type MonthlyUse,
  monthlyQuotaBlock,
  monthlyUse,
  type RunGate,
  waitingReasons,
} from "./run-gate";
import { sql as pooled, type Sql, transaction } from "./sql";
import type { TaskState } from "./states";
import { decide } from "./trigger-rules";

export interface RunRow {
  id: string;
  workspaceId: string;
  dagId: string;
  dagVersionId: string;
  params: Record<string, unknown>;
}

/** A task instance that reached a terminal state. */
export interface Finished {
  id: string;
  taskId: string;
  mapIndex: number;
  state: TaskState;
  /** For a branch: the downstream task ids it chose; the others see it as skipped. */
  follow?: string[];
}

interface CounterRow {
  id: string;
  taskId: string;
  state: TaskState;
  upstreamTotal: number;
  upstreamDone: number;
  upstreamSuccess: number;
  upstreamFailed: number;
  upstreamSkipped: number;
}

/**
 * Applies finished instances and newly ready task ids to the run. `ready` names top-level task
 * ids whose instances should leave `none`. The caller admits (dispatch) at the end of its
 * transaction, after this. Returns how many instances it queued.
 */
export async function advance(
  sql: Sql,
  run: RunRow,
  compiled: CompiledDag,
  finished: Finished[],
  ready: string[] = [],
): Promise<number> {
  let toFinish = finished;
  let toReady = ready;
  const queued = { count: 0 };
  while (toFinish.length > 0 || toReady.length > 0) {
    const next: Finished[] = [];
    const nextReady: string[] = [];
    const children = toFinish.filter((f) => f.mapIndex >= 0);
    const parents = toFinish.filter((f) => f.mapIndex < 0);
    if (children.length > 0) next.push(...(await finishChildren(sql, run, children)));
    if (parents.length > 0) {
      const outcome = await propagate(sql, run, compiled, parents);
      next.push(...outcome.finished);
      nextReady.push(...outcome.ready);
    }
    if (toReady.length > 0) next.push(...(await makeReady(sql, run, compiled, toReady, queued)));
    toFinish = next;
    toReady = nextReady;
  }
  return queued.count;
}

/** Counts finished children into their mapped parent; a parent whose children are all done finishes. */
async function finishChildren(sql: Sql, run: RunRow, children: Finished[]): Promise<Finished[]> {
  const byTask = new Map<string, { done: number; failed: number }>();
  for (const child of children) {
    const entry = byTask.get(child.taskId) ?? { done: 0, failed: 0 };
    entry.done++;
    if (child.state === "failed" || child.state === "upstream_failed") entry.failed++;
    byTask.set(child.taskId, entry);
  }
  const { rows } = await sql.query<{ id: string; taskId: string; failed: boolean }>(
    `UPDATE "TaskInstance" p
     SET "childrenDone" = p."childrenDone" + x.done, "childrenFailed" = p."childrenFailed" + x.failed
     FROM unnest($2::text[], $3::int[], $4::int[]) AS x(task_id, done, failed)
     WHERE p."runId" = $1 AND p."workspaceId" = $5 AND p."taskId" = ANY($2::text[]) AND p."taskId" = x.task_id
       AND p."mapIndex" = -1
     RETURNING p.id, p."taskId", p."childrenFailed" > 0 AS failed,
               p."childrenDone" >= p."mapCount" AS complete`,
    [
      run.id,
      [...byTask.keys()],
      [...byTask.values()].map((v) => v.done),
      [...byTask.values()].map((v) => v.failed),
      run.workspaceId,
    ],
  );
  const complete = (rows as Array<{ id: string; taskId: string; failed: boolean; complete: boolean }>).filter(
    (r) => r.complete,
  );
  if (complete.length === 0) return [];
  // The parent's output is the list of its children's outputs, in item order.
  const { rows: done } = await sql.query<{ id: string; taskId: string; state: TaskState }>(
    `UPDATE "TaskInstance" p SET
       state = (CASE WHEN p."childrenFailed" > 0 THEN 'failed' ELSE 'success' END)::"TaskState",
       "endedAt" = now(),
       output = (SELECT coalesce(jsonb_agg(c.output ORDER BY c."mapIndex"), '[]'::jsonb) FROM "TaskInstance" c
                 WHERE c."runId" = p."runId" AND c."workspaceId" = p."workspaceId" AND c."taskId" = p."taskId"
                   AND c."mapIndex" >= 0)
     WHERE p.id = ANY($1::uuid[]) AND p."workspaceId" = $2 AND p.state::text = 'running'
     RETURNING p.id, p."taskId", p.state`,
    [complete.map((r) => r.id), run.workspaceId],
  );
  return done.map((r) => ({ id: r.id, taskId: r.taskId, mapIndex: -1, state: r.state }));
}

const outcomeOf = (state: TaskState): "success" | "failed" | "skipped" =>
  state === "success" ? "success" : state === "skipped" ? "skipped" : "failed";

/**
 * The tasks a branch with `ignoreDownstreamTriggerRules` skips outright: every task downstream of
 * the ones it did not follow, except those also downstream of one it followed (where trigger
 * rules still decide). Airflow's ShortCircuitOperator default, for a branch that follows nothing.
 */
function skippedOutright(compiled: CompiledDag, item: Finished): string[] {
  const task = compiled.tasks.get(item.taskId);
  const config = task?.def.operator === "branch" ? (task.def.config as BranchConfig | undefined) : undefined;
  if (!item.follow || !config?.ignoreDownstreamTriggerRules) return [];
  const reach = (from: string[]) => {
    const seen = new Set<string>();
    const stack = [...from];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...(compiled.tasks.get(id)?.downstream ?? []));
    }
    return seen;
  };
  const followed = reach(task!.downstream.filter((down) => item.follow!.includes(down)));
  return [...reach(task!.downstream.filter((down) => !item.follow!.includes(down)))].filter(
    (id) => !followed.has(id),
  );
}

/** Updates downstream counters and applies trigger rules to the instances still waiting. */
async function propagate(sql: Sql, run: RunRow, compiled: CompiledDag, finished: Finished[]) {
  // Skipped outright before the counters are read: their trigger rules are not asked.
  const outright = [...new Set(finished.flatMap((item) => skippedOutright(compiled, item)))];
  const skippedNow = outright.length > 0 ? await settleTasks(sql, run, outright.sort(), "skipped") : [];
  // One counter increment per edge, grouped per downstream task.
  const increments = new Map<string, { done: number; success: number; failed: number; skipped: number }>();
  for (const item of finished) {
    const task = compiled.tasks.get(item.taskId);
    for (const down of task?.downstream ?? []) {
      const seen = item.follow && !item.follow.includes(down) ? "skipped" : outcomeOf(item.state);
      const entry = increments.get(down) ?? { done: 0, success: 0, failed: 0, skipped: 0 };
      entry.done++;
      entry[seen]++;
      increments.set(down, entry);
    }
  }
  if (increments.size === 0) return { finished: skippedNow, ready: [] };
  const ids = [...increments.keys()].sort();
  const counts = ids.map((id) => increments.get(id)!);
  const { rows } = await sql.query<CounterRow>(
    `UPDATE "TaskInstance" t SET
       "upstreamDone" = t."upstreamDone" + x.done, "upstreamSuccess" = t."upstreamSuccess" + x.success,
       "upstreamFailed" = t."upstreamFailed" + x.failed, "upstreamSkipped" = t."upstreamSkipped" + x.skipped
     FROM unnest($2::text[], $3::int[], $4::int[], $5::int[], $6::int[]) AS x(task_id, done, success, failed, skipped)
     -- taskId = ANY as well as the join: a prepared plan then reads these instances, not the run's.
     WHERE t."runId" = $1 AND t."workspaceId" = $7 AND t."taskId" = ANY($2::text[]) AND t."taskId" = x.task_id
       AND t."mapIndex" = -1
       -- Lock in task id order: completions sharing downstream tasks then never deadlock.
       AND t.id IN (SELECT id FROM "TaskInstance" WHERE "runId" = $1 AND "workspaceId" = $7 AND "taskId" = ANY($2::text[])
                    AND "mapIndex" = -1 ORDER BY "taskId" FOR UPDATE)
     RETURNING t.id, t."taskId", t.state, t."upstreamTotal", t."upstreamDone", t."upstreamSuccess",
               t."upstreamFailed", t."upstreamSkipped"`,
    [
      run.id,
      ids,
      counts.map((c) => c.done),
      counts.map((c) => c.success),
      counts.map((c) => c.failed),
      counts.map((c) => c.skipped),
      run.workspaceId,
    ],
  );
  const ready: string[] = [];
  const skipped: CounterRow[] = [];
  const upstreamFailed: CounterRow[] = [];
  for (const row of rows) {
    if (row.state !== "none") continue;
    const rule = compiled.tasks.get(row.taskId)?.def.triggerRule ?? "all_success";
    const decision = decide(rule, {
      total: row.upstreamTotal,
      done: row.upstreamDone,
      success: row.upstreamSuccess,
      failed: row.upstreamFailed,
      skipped: row.upstreamSkipped,
    });
    if (decision === "run") ready.push(row.taskId);
    else if (decision === "skip") skipped.push(row);
    else if (decision === "upstream_failed") upstreamFailed.push(row);
  }
  const done = [
    ...skippedNow,
    ...(await settle(sql, run, skipped, "skipped")),
    ...(await settle(sql, run, upstreamFailed, "upstream_failed")),
  ];
  return { finished: done, ready };
}

/** Ends the waiting top-level instances of these tasks without running them. */
async function settleTasks(sql: Sql, run: RunRow, taskIds: string[], state: "skipped"): Promise<Finished[]> {
  const { rows: updated } = await sql.query<{ id: string; taskId: string }>(
    `UPDATE "TaskInstance" SET state = $3::"TaskState", "endedAt" = now()
     WHERE "runId" = $1 AND "workspaceId" = $4 AND "taskId" = ANY($2::text[]) AND "mapIndex" = -1
       AND state::text = 'none'
     RETURNING id, "taskId"`,
    [run.id, taskIds, state, run.workspaceId],
  );
  return updated.map((r) => ({ id: r.id, taskId: r.taskId, mapIndex: -1, state }));
}

/** Ends waiting instances without running them. */
async function settle(
  sql: Sql,
  run: RunRow,
  rows: CounterRow[],
  state: "skipped" | "upstream_failed",
): Promise<Finished[]> {
  if (rows.length === 0) return [];
  const { rows: updated } = await sql.query<{ id: string; taskId: string }>(
    `UPDATE "TaskInstance" SET state = $2::"TaskState", "endedAt" = now()
     WHERE id = ANY($1::uuid[]) AND "workspaceId" = $3 AND state::text = 'none' RETURNING id, "taskId"`,
    [rows.map((r) => r.id), state, run.workspaceId],
  );
  return updated.map((r) => ({ id: r.id, taskId: r.taskId, mapIndex: -1, state }));
}

/**
 * Moves ready instances from `none` to `queued`. A mapped task instead gets one child instance
 * per element of its list (or is skipped for an empty list, or fails if the source is no list).
 */
async function makeReady(
  sql: Sql,
  run: RunRow,
  compiled: CompiledDag,
  taskIds: string[],
  queued: { count: number },
): Promise<Finished[]> {
  const plain = taskIds.filter((id) => !compiled.tasks.get(id)?.def.map);
  const mapped = taskIds.filter((id) => compiled.tasks.get(id)?.def.map);
  if (plain.length > 0) {
    const { rowCount } = await sql.query(
      `UPDATE "TaskInstance" SET state = 'queued', "queuedAt" = now()
       WHERE "runId" = $1 AND "workspaceId" = $3 AND "taskId" = ANY($2::text[]) AND "mapIndex" = -1
         AND state::text = 'none'`,
      [run.id, plain, run.workspaceId],
    );
    queued.count += rowCount ?? 0;
    // Tasks' start_within SLAs run from now (server/slas; nothing for DAGs without).
    await armSlaChecks(sql, run.workspaceId, checksWhenReady(compiled.dag, run.id, plain));
  }
  const finished: Finished[] = [];
  for (const taskId of mapped) finished.push(...(await expand(sql, run, compiled, taskId, queued)));
  return finished;
}

async function expand(
  sql: Sql,
  run: RunRow,
  compiled: CompiledDag,
  taskId: string,
  queued: { count: number },
): Promise<Finished[]> {
  const task = compiled.tasks.get(taskId)!;
  const source = await mapSource(sql, run, task.def.map!.over);
  const { rows } = await sql.query<{ id: string }>(
    `SELECT id FROM "TaskInstance"
     WHERE "runId" = $1 AND "workspaceId" = $3 AND "taskId" = $2 AND "mapIndex" = -1 AND state::text = 'none' FOR UPDATE`,
    [run.id, taskId, run.workspaceId],
  );
  const parent = rows[0];
  if (!parent) return [];
  const fail = async (error: string): Promise<Finished[]> => {
    await sql.query(
      `UPDATE "TaskInstance" SET state = 'failed', error = $2, "endedAt" = now() WHERE id = $1 AND "workspaceId" = $3`,
      [parent.id, error, run.workspaceId],
    );
    return [{ id: parent.id, taskId, mapIndex: -1, state: "failed" }];
  };
  if (!Array.isArray(source.value)) {
    return fail(
      source.error ?? `map.over "${task.def.map!.over}" is not a list (got ${typeName(source.value)})`,
    );
  }
  const items = source.value;
  const overQuota = await mappedOverQuota(sql, run, parent.id, items.length);
  if (overQuota) return fail(overQuota);
  if (items.length === 0) {
    await sql.query(
      `UPDATE "TaskInstance" SET state = 'skipped', "mapCount" = 0, output = '[]', "endedAt" = now()
       WHERE id = $1 AND "workspaceId" = $2`,
      [parent.id, run.workspaceId],
    );
    return [{ id: parent.id, taskId, mapIndex: -1, state: "skipped" }];
  }
  await sql.query(
    `WITH parent AS (
       UPDATE "TaskInstance" SET state = 'running', "mapCount" = $2, "startedAt" = now()
       WHERE id = $1 AND "workspaceId" = $4
       RETURNING "workspaceId", "runId", "taskId", "maxTries", priority, pool)
     INSERT INTO "TaskInstance" (id, "workspaceId", "runId", "taskId", "mapIndex", "mapItem", state, "maxTries", priority, pool, "queuedAt")
     SELECT gen_random_uuid(), p."workspaceId", p."runId", p."taskId", x.ord - 1, x.item, 'queued', p."maxTries", p.priority, p.pool, now()
     FROM parent p, jsonb_array_elements($3::jsonb) WITH ORDINALITY AS x(item, ord)`,
    [parent.id, items.length, JSON.stringify(items), run.workspaceId],
  );
  queued.count += items.length;
  return [];
}

/**
 * Why expanding `count` elements would break the workspace's mapped-instance quotas, or null.
 * A hostile list (a param, an upstream output) must not become any number of rows: the task
 * fails before any element exists. The run's count is its other mapped tasks' elements.
 */
async function mappedOverQuota(
  sql: Sql,
  run: RunRow,
  parentId: string,
  count: number,
): Promise<string | null> {
  const { rows } = await sql.query<{ perTask: number; perRun: number; used: number }>(
    `SELECT w."maxMapInstancesPerTask" AS "perTask", w."maxMapInstancesPerRun" AS "perRun",
            (SELECT COALESCE(sum(t."mapCount"), 0)::int FROM "TaskInstance" t
              WHERE t."runId" = $1 AND t."workspaceId" = w.id AND t."mapIndex" = -1 AND t.id <> $3
                AND t."mapCount" IS NOT NULL) AS used
       FROM "Workspace" w WHERE w.id = $2`,
    [run.id, run.workspaceId, parentId],
  );
  const { perTask, perRun, used } = rows[0]!;
  if (count > perTask) {
    return (
      `The list has ${count.toLocaleString("en")} items, above this workspace's limit of ` +
      `${perTask.toLocaleString("en")} mapped instances per task (quota maxMapInstancesPerTask)`
    );
  }
  if (used + count > perRun) {
    return (
      `The list has ${count.toLocaleString("en")} items and the run's other mapped tasks ` +
      `${used.toLocaleString("en")}, above this workspace's limit of ${perRun.toLocaleString("en")} ` +
      "mapped instances per run (quota maxMapInstancesPerRun)"
    );
  }
  return null;
}

function typeName(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "a list" : typeof value;
}

/** Reads the list a mapped task iterates: `params.x…`, `tasks.<id>.output…`, or a literal list. */
async function mapSource(
  sql: Sql,
  run: RunRow,
  over: string | unknown[],
): Promise<{ value: unknown; error?: string }> {
  if (Array.isArray(over)) return { value: over };
  // The template parser reads the path as validation did: brackets, and dotted task ids.
  const parsed = parseReference(over.replace(/^\{\{\s*|\s*\}\}$/g, ""));
  const ref = "ref" in parsed ? parsed.ref : undefined;
  let value: unknown;
  let rest: string[];
  if (ref?.root === "params") {
    value = run.params;
    rest = ref.path;
  } else if (ref?.root === "tasks") {
    const { rows } = await sql.query<{ output: unknown }>(
      `SELECT output FROM "TaskInstance" WHERE "runId" = $1 AND "workspaceId" = $3 AND "taskId" = $2 AND "mapIndex" = -1`,
      [run.id, ref.path[0], run.workspaceId],
    );
    value = rows[0]?.output;
    rest = ref.path.slice(2);
  } else {
    return { value: undefined, error: `map.over "${over}" must start with params. or tasks.<id>.output` };
  }
  for (const key of rest) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key))
      return { value: undefined };
    value = (value as Record<string, unknown>)[key];
  }
  return { value };
}

/** SQL list of the task states a run still waits on (everything but the terminal ones). */
export const unfinished = `('none', 'queued', 'scheduled', 'running', 'deferred', 'up_for_retry')`;

/**
 * Ends the run if none of its task instances is left unfinished. Called after the transaction
 * that finished instances has committed, rather than counting them down in it: a counter on the
 * run row would serialise every completion of the run. Of completions committing together, the
 * last one's check sees them all, so the run ends exactly once (the UPDATE is conditional).
 */
export async function endRunIfDone(run: RunRow): Promise<void> {
  const { rows } = await pooled.query(
    `SELECT 1 FROM "DagRun" r WHERE r.id = $1 AND r."workspaceId" = $2 AND r.state = 'running'
       AND NOT EXISTS (SELECT 1 FROM "TaskInstance" t WHERE t."runId" = r.id AND t."mapIndex" = -1 AND t.state IN ${unfinished})`,
    [run.id, run.workspaceId],
  );
  if (rows.length === 0) return;
  await transaction(async (sql) => {
    const { rows: locked } = await sql.query(
      `SELECT 1 FROM "DagRun" r WHERE r.id = $1 AND r."workspaceId" = $2 AND r.state = 'running'
         AND NOT EXISTS (SELECT 1 FROM "TaskInstance" t WHERE t."runId" = r.id AND t."mapIndex" = -1 AND t.state IN ${unfinished})
       FOR UPDATE`,
      [run.id, run.workspaceId],
    );
    if (locked.length > 0)
      await endRun(sql, run, await compiledVersion(sql, run.dagVersionId, run.workspaceId));
  });
}

/** A run succeeds unless one of its leaf tasks failed (as in Airflow). */
export async function endRun(
  sql: Sql,
  run: RunRow,
  compiled: CompiledDag,
  forced?: "failed" | "cancelled",
): Promise<void> {
  let state: "success" | "failed" | "cancelled" = forced ?? "success";
  if (!forced) {
    const leaves = [...compiled.tasks.values()].filter((t) => t.downstream.length === 0).map((t) => t.def.id);
    const { rows } = await sql.query<{ failed: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM "TaskInstance" WHERE "runId" = $1 AND "workspaceId" = $3 AND "mapIndex" = -1
         AND "taskId" = ANY($2::text[]) AND state IN ('failed', 'upstream_failed')) AS failed`,
      [run.id, leaves, run.workspaceId],
    );
    if (rows[0]?.failed) state = "failed";
  }
  const { rowCount } = await sql.query(
    `UPDATE "DagRun" SET state = $2::"RunState", "endedAt" = now()
     WHERE id = $1 AND "workspaceId" = $3 AND state IN ('running', 'queued')`,
    [run.id, state, run.workspaceId],
  );
  // The workspace's queued runs (of any DAG: the run held one of its maxConcurrentRuns) start in
  // a job of their own: taking the workspace's run-gate lock here, behind the run and task locks
  // this transaction holds, would make every run end wait on every trigger.
  if (rowCount) {
    await enqueue(
      sql,
      "engine:start-runs",
      { workspaceId: run.workspaceId },
      { jobKey: `start-runs:${run.workspaceId}` },
    );
  }
  // Runs of other DAGs triggered by this outcome (server/triggers), started by a job.
  if (rowCount) await enqueueDagOutcome(sql, run, state);
  // SLA checks a success or a cancel makes moot go; alert rules watching the outcome get a job.
  if (rowCount) {
    await settleSlaChecks(sql, run, compiled.dag, state);
    await enqueueRunAlerts(sql, run, state);
  }
  // The DAG's onSuccess / onFailure notifications, sent by a job once this transaction commits.
  const callbacks =
    state === "success" ? compiled.dag.onSuccess : state === "failed" ? compiled.dag.onFailure : [];
  if (rowCount && callbacks?.length && state !== "cancelled") {
    await enqueue(sql, "engine:run-callbacks", { runId: run.id, workspaceId: run.workspaceId, state });
  }
}

interface QueuedRun extends RunRow {
  dagKey: string;
  stateReason: string | null;
  maxActiveRuns: number;
  timeoutSeconds: number | null;
  /** Runs of this run's DAG running now. */
  dagRunning: number;
}

/**
 * Starts the workspace's queued runs that may start now and returns them. A run starts while its
 * DAG runs fewer than maxActiveRuns and the workspace fewer than maxConcurrentRuns, the workspace
 * is not suspended, and its monthly quotas are not used up; otherwise it stays queued with its
 * stateReason saying why, or, over a monthly quota under the `refuse` policy, ends failed at once
 * (without triggers or callbacks: it never ran). DAGs take turns (each DAG's first queued run,
 * then each one's second…), each DAG's runs by logical date: a long backfill does not hold back
 * the workspace's other DAGs.
 *
 * Takes the workspace's run-gate lock (run-gate.ts) unless the caller holds it and passes `gate`.
 * `newRunIds`: runs the caller just queued, told why they wait even when nothing is looked at.
 */
export async function startQueuedRuns(
  sql: Sql,
  workspaceId: string,
  options: { gate?: RunGate; newRunIds?: string[] } = {},
): Promise<RunRow[]> {
  const gate = options.gate ?? (await lockRunGate(sql, workspaceId));
  if (!gate) return [];
  const reasons = new Map<string, string>();
  // Nothing can start: only the new run needs telling why (the others were told before).
  if (gate.suspended || gate.running >= gate.maxConcurrentRuns) {
    if (options.newRunIds?.length) {
      const why = gate.suspended ? waitingReasons.suspended(gate) : waitingReasons.workspaceFull(gate);
      for (const id of options.newRunIds) reasons.set(id, why);
      await setReasons(sql, workspaceId, reasons);
    }
    return [];
  }
  const { rows: queued } = await sql.query<QueuedRun>(
    `WITH dags AS MATERIALIZED (
       SELECT d.id, d.key,
              (SELECT count(*)::int FROM "DagRun" a
               WHERE a."dagId" = d.id AND a."workspaceId" = $1 AND a.state = 'running') AS running
       FROM "Dag" d
       WHERE d."workspaceId" = $1
         AND EXISTS (SELECT 1 FROM "DagRun" q WHERE q."dagId" = d.id AND q."workspaceId" = $1 AND q.state = 'queued'))
     SELECT r.id, r."workspaceId", r."dagId", r."dagVersionId", r.params, r."stateReason",
            d.key AS "dagKey", d.running AS "dagRunning",
            (v.definition->>'maxActiveRuns')::int AS "maxActiveRuns",
            (v.definition->>'runTimeoutSeconds')::float AS "timeoutSeconds"
     FROM dags d
     CROSS JOIN LATERAL (
       SELECT q.*, row_number() OVER (ORDER BY q."logicalDate", q."queuedAt") AS turn
       FROM "DagRun" q WHERE q."dagId" = d.id AND q."workspaceId" = $1 AND q.state = 'queued'
       ORDER BY q."logicalDate", q."queuedAt" LIMIT 100) r
     JOIN "DagVersion" v ON v.id = r."dagVersionId" AND v."workspaceId" = $1
     ORDER BY r.turn, r."queuedAt"
     LIMIT 1000`,
    [workspaceId],
  );
  const dagRunning = new Map(queued.map((r) => [r.dagId, r.dagRunning]));
  let running = gate.running;
  let use: MonthlyUse | undefined; // read once, when a run is about to start, then kept up to date
  const refused = new Map<string, string>(); // run id → why
  const started: RunRow[] = [];
  for (const run of queued) {
    const ofDag = dagRunning.get(run.dagId) ?? 0;
    if (ofDag >= run.maxActiveRuns) {
      reasons.set(run.id, waitingReasons.dagFull(run.dagKey, run.maxActiveRuns));
      continue;
    }
    if (running >= gate.maxConcurrentRuns) {
      reasons.set(run.id, waitingReasons.workspaceFull(gate));
      continue;
    }
    use ??= await monthlyUse(sql, workspaceId);
    const quota = monthlyQuotaBlock(gate, use);
    if (quota) {
      if (gate.overQuotaPolicy === "refuse") refused.set(run.id, quota.refused);
      else reasons.set(run.id, quota.queued);
      continue;
    }
    const timeoutAt = run.timeoutSeconds ? new Date(Date.now() + run.timeoutSeconds * 1000) : null;
    const { rowCount } = await sql.query(
      `UPDATE "DagRun" SET state = 'running', "startedAt" = now(), "timeoutAt" = $2, "stateReason" = NULL
       WHERE id = $1 AND "workspaceId" = $3 AND state = 'queued'`,
      [run.id, timeoutAt, workspaceId],
    );
    if (!rowCount) continue; // cancelled meanwhile
    running++;
    dagRunning.set(run.dagId, ofDag + 1);
    started.push(run);
    if (timeoutAt)
      await enqueue(
        sql,
        "engine:timeout-run",
        { runId: run.id, workspaceId: run.workspaceId },
        { runAt: timeoutAt },
      );
    const compiled = await compiledVersion(sql, run.dagVersionId, run.workspaceId);
    // Its task runs are reserved now (monthlyUse counts them from here on), so the next run
    // looked at in this loop, or by the next start, sees them.
    use.reservedTaskRuns += compiled.tasks.size;
    await armSlaChecks(sql, run.workspaceId, checksAtRunStart(compiled.dag, run.id));
    if (compiled.tasks.size === 0) {
      await endRun(sql, run, compiled);
      continue;
    }
    await advance(sql, run, compiled, [], rootsOf(compiled));
  }
  if (refused.size > 0) {
    await sql.query(
      `UPDATE "DagRun" r SET state = 'failed', "endedAt" = now(), "stateReason" = x.reason
       FROM unnest($1::uuid[], $2::text[]) AS x(id, reason)
       WHERE r.id = x.id AND r."workspaceId" = $3 AND r.state = 'queued'`,
      [[...refused.keys()], [...refused.values()], workspaceId],
    );
  }
  for (const run of queued) if (reasons.get(run.id) === run.stateReason) reasons.delete(run.id);
  await setReasons(sql, workspaceId, reasons);
  return started;
}

/** The tasks a run queues when it starts: those without upstream tasks, and those that always run. */
export const rootsOf = (compiled: CompiledDag): string[] =>
  [...compiled.tasks.values()]
    .filter((t) => t.upstream.length === 0 || t.def.triggerRule === "always")
    .map((t) => t.def.id);

/** Writes why queued runs wait (run id → reason). */
async function setReasons(sql: Sql, workspaceId: string, reasons: Map<string, string>): Promise<void> {
  if (reasons.size === 0) return;
  await sql.query(
    `UPDATE "DagRun" r SET "stateReason" = x.reason FROM unnest($1::uuid[], $2::text[]) AS x(id, reason)
     WHERE r.id = x.id AND r."workspaceId" = $3 AND r.state = 'queued' AND r."stateReason" IS DISTINCT FROM x.reason`,
    [[...reasons.keys()], [...reasons.values()], workspaceId],
  );
}
