// Recording attempts' outcomes, guarded by the attempt number: an update only applies while the
// instance is still `running` with that try, so a late or duplicated completion (a worker that was
// given up for lost, a cancelled task finishing anyway) changes nothing.
//
// Completions arriving together go together (batch.ts). The common ones — successes whose
// downstream tasks are plain (a chain's hop), and anything with nothing downstream (a fan-out's
// tasks) — are a single database call, baton_complete_attempts: it records the outcomes, advances
// the plain successors, gives the slots back and admits, handing what it admits to the finishing
// slots. The others (failures and skips with something downstream, branches, mapped tasks,
// trigger rules other than all_success, start_within SLAs) go in one transaction of round trips:
// the outcomes in one statement, each run advanced once (advance.ts), each workspace admitted
// once. Runs are advanced in id order and workspaces admitted in id order, so two batches never
// wait on each other in a cycle.
import { retryDelaySeconds } from "@/server/dags/definition";
import { payloadSql } from "@/server/jobs/catalog";
import { log } from "@/server/observability/logger";
import { checksWhenReady } from "@/server/slas/arm";
import { meter } from "@/server/usage/meter";
import { advance, endRunIfDone, type Finished, type RunRow } from "./advance";
import { batched } from "./batch";
import { type ClaimedAttempt, claimedFromJson } from "./claim";
import { admissionSettings, dispatch } from "./dispatch";
import { wakeWaiting } from "./fair-share";
import { type CompiledDag, compiledVersion } from "./graph";
import { type LogChunk, storeLogChunk } from "./logs";
import { sql as pooled, type Sql, transaction } from "./sql";
import type { TaskState } from "./states";
import { runsHere } from "./worker-registry";

export type Outcome =
  | { state: "success"; output: unknown; follow?: string[] }
  | { state: "failed"; error: string; retryable: boolean }
  | { state: "skipped"; error: string }
  | { state: "deferred"; until: Date; deferState: unknown };

export interface AttemptRef {
  id: string;
  attemptId: string;
  taskId: string;
  tryNumber: number;
  maxTries: number;
  /** -1 for a top-level instance; unknown (the reaper's) takes the long way. */
  mapIndex?: number;
}

export interface Completion {
  run: RunRow;
  attempt: AttemptRef;
  outcome: Outcome;
  /** When this worker resumed a deferred attempt (ms), for the usage meter; without it the attempt's recorded duration counts. */
  executedSince?: number;
  /** The end of the attempt's log, stored with the outcome. */
  log?: LogChunk | null;
  /**
   * The calling slot (its graphile-worker id) will run another task: an instance this completion
   * admits is handed to it (dispatch.ts), or, when the completion finishes in one call, the
   * slot's next job is taken from the queue in that call if it is this workspace's
   * (baton_complete_attempts); it comes back claimed, and the slot must run it.
   */
  takeNextAs?: string;
}

/** Records one outcome (batched with the completions arriving with it); returns the instance handed to the caller, if any. */
export const complete: (completion: Completion) => Promise<ClaimedAttempt | null> = batched(completeMany);

/** What an outcome means for its instance, worked out before the transaction. */
interface Plan {
  compiled: CompiledDag;
  state: TaskState;
  terminal: boolean;
  requeueAt: Date | null;
}

async function plan({ run, attempt, outcome }: Completion): Promise<Plan> {
  const compiled = await compiledVersion(pooled, run.dagVersionId, run.workspaceId);
  const settings = compiled.tasks.get(attempt.taskId)?.settings;
  const retry =
    outcome.state === "failed" &&
    outcome.retryable &&
    attempt.tryNumber < attempt.maxTries &&
    settings !== undefined;
  const state = retry ? "up_for_retry" : outcome.state;
  const jitter = 0.9 + Math.random() * 0.2; // spreads retries of many failing tasks apart
  const requeueAt =
    outcome.state === "deferred"
      ? outcome.until
      : retry && settings
        ? new Date(Date.now() + retryDelaySeconds(settings, attempt.tryNumber) * 1000 * jitter)
        : null;
  return {
    compiled,
    state,
    terminal: state === "success" || state === "failed" || state === "skipped",
    requeueAt,
  };
}

interface Recorded {
  id: string;
  mapIndex: number;
  pool: string;
  seconds: number | null;
}

async function completeMany(all: Completion[]): Promise<Array<ClaimedAttempt | null>> {
  // Two completions of one instance in a batch (a worker's and the reaper's): the first is
  // recorded, the second is as stale as it would be a moment later.
  const seen = new Set<string>();
  const completions = all.filter((c) => !seen.has(c.attempt.id) && seen.add(c.attempt.id));
  const plans = await Promise.all(completions.map(plan));
  const edges = oneCallEdges(completions, plans);
  const finished = edges ? await completeInOneCall(completions, plans, edges) : null;
  const { recorded, claimed } =
    finished ??
    (await transaction(async (sql) => {
      const recorded = await recordOutcomes(sql, completions, plans);
      const applied = completions.flatMap((c, i) => {
        const row = recorded.get(c.attempt.id);
        return row ? [{ completion: c, plan: plans[i]!, row }] : [];
      });
      const requeues = applied.filter((a) => a.plan.requeueAt);
      if (requeues.length > 0)
        await addRequeueJobs(
          sql,
          requeues.map((a) => ({ ...a.completion, at: a.plan.requeueAt! })),
        );

      const queuedIn = new Set<string>();
      for (const runId of [...new Set(applied.map((a) => a.completion.run.id))].sort()) {
        const ofRun = applied.filter((a) => a.completion.run.id === runId && a.plan.terminal);
        if (ofRun.length === 0) continue;
        const { run } = ofRun[0]!.completion;
        const finished: Finished[] = ofRun.map(({ completion: { attempt, outcome }, plan, row }) => ({
          id: attempt.id,
          taskId: attempt.taskId,
          mapIndex: row.mapIndex,
          state: plan.state,
          follow: outcome.state === "success" ? outcome.follow : undefined,
        }));
        if ((await advance(sql, run, ofRun[0]!.plan.compiled, finished)) > 0) queuedIn.add(run.workspaceId);
      }

      const claimed = new Map<Completion, ClaimedAttempt>();
      for (const workspaceId of [...new Set(applied.map((a) => a.completion.run.workspaceId))].sort()) {
        const ofWorkspace = applied.filter((a) => a.completion.run.workspaceId === workspaceId);
        const askers = ofWorkspace.filter((a) => a.completion.takeNextAs).map((a) => a.completion);
        const admission = await dispatch(
          sql,
          workspaceId,
          ofWorkspace.map((a) => a.row.pool),
          { takers: askers.map((c) => c.takeNextAs!), queuedHere: queuedIn.has(workspaceId) },
        );
        for (const attempt of admission.claimed) {
          const asker = askers.find((c) => c.takeNextAs === attempt.workerId && !claimed.has(c));
          if (asker) claimed.set(asker, attempt);
        }
      }
      return { recorded, claimed };
    }));

  const ranOn = new Set([...claimed.values()].map((c) => c.runId));
  const toCheck = new Map<string, RunRow>();
  for (const completion of all) {
    const i = completions.indexOf(completion);
    const row = i < 0 ? undefined : recorded.get(completion.attempt.id);
    if (!row) {
      // Stale: the instance moved on without this attempt. Its log is still the attempt's.
      if (completion.log)
        await storeLogChunk(completion.run.workspaceId, completion.attempt.attemptId, completion.log);
      // Another completion may have left the check to this attempt, running alongside (below).
      if (!runsHere(completion.run.id)) toCheck.set(completion.run.id, completion.run);
      continue;
    }
    // Usage, counted in memory once the outcome is committed (the meter writes in batches): an
    // attempt that ended success or failed is a task run; its execution time counts either way (a
    // deferred attempt's waits do not: it held no worker).
    const executed =
      completion.executedSince === undefined
        ? (row.seconds ?? 0)
        : (Date.now() - completion.executedSince) / 1000;
    meter(completion.run.workspaceId, {
      taskRuns: completion.outcome.state === "deferred" ? 0 : 1,
      taskSeconds: executed,
    });
    // A run with an instance just admitted, or with another attempt running in this process, is
    // not done: no need to look (that attempt's completion will).
    if (plans[i]!.terminal && !ranOn.has(completion.run.id) && !runsHere(completion.run.id))
      toCheck.set(completion.run.id, completion.run);
  }
  for (const run of toCheck.values()) void checkRunEnd(run);
  return all.map((c) => claimed.get(c) ?? null);
}

/** Runs whose end check is under way in this process; `again`: a completion committed since it began. */
const checking = new Map<string, { again: boolean }>();

/**
 * Ends the run if it is done, after the callers' commits and without holding them up. Checks of
 * one run coalesce: a completion committing while a check is under way has it look once more
 * afterwards (with a snapshot that includes its commit) instead of starting another, so a wide
 * fan-out pays a check per round trip, not per task. A failure is only logged: the outcomes are
 * committed, and a run left unended is ended by the reaper's repair.
 */
async function checkRunEnd(run: RunRow): Promise<void> {
  const under = checking.get(run.id);
  if (under) {
    under.again = true;
    return;
  }
  const state = { again: true };
  checking.set(run.id, state);
  try {
    while (state.again) {
      state.again = false;
      await endRunIfDone(run);
    }
  } catch (error) {
    log.warn({ err: error, runId: run.id }, "could not end the run; the reaper will");
  } finally {
    checking.delete(run.id);
  }
}

/**
 * The edges to advance when the completions may complete in one call (baton_complete_attempts),
 * else null. They may when every completion ends its top-level instance and either has nothing
 * downstream or succeeded with only plain downstream tasks: not mapped, trigger rule all_success,
 * no start_within SLA (arming one is TypeScript's), and no branch choice. A success then counts
 * as one success upstream of each, which SQL can decide on; anything else needs advance.ts.
 */
function oneCallEdges(completions: Completion[], plans: Plan[]): { from: string[]; to: string[] } | null {
  const edges = { from: [] as string[], to: [] as string[] };
  for (const [i, c] of completions.entries()) {
    const { compiled, terminal, state } = plans[i]!;
    const downstream = compiled.tasks.get(c.attempt.taskId)?.downstream;
    if (!terminal || c.attempt.mapIndex !== -1 || !downstream) return null;
    if (downstream.length === 0) continue;
    if (state !== "success" || (c.outcome.state === "success" && c.outcome.follow)) return null;
    const plain = downstream.every((id) => {
      const def = compiled.tasks.get(id)?.def;
      return def && !def.map && (def.triggerRule ?? "all_success") === "all_success";
    });
    if (!plain || checksWhenReady(compiled.dag, c.run.id, downstream).length > 0) return null;
    for (const id of downstream) {
      edges.from.push(c.attempt.id);
      edges.to.push(id);
    }
  }
  return edges;
}

/**
 * The one call; the slots that asked (`takeNextAs`) may come back with their next task, admitted
 * for them or taken from the job queue, claimed (see baton_complete_attempts). A deadlock (two
 * calls advancing or admitting in one workspace) changes nothing: the long way follows.
 */
async function completeInOneCall(
  completions: Completion[],
  plans: Plan[],
  edges: { from: string[]; to: string[] },
) {
  try {
    const { rows } = await pooled.query<{
      outcome: Recorded | null;
      taken: Record<string, unknown> | null;
      wake: string | null;
    }>(
      "SELECT * FROM baton_complete_attempts($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
      [
        ...outcomeParams(completions, plans),
        edges.from,
        edges.to,
        ...admissionSettings(completions.map((c) => c.takeNextAs ?? null)),
      ],
    );
    const recorded = new Map<string, Recorded>();
    const claimed = new Map<Completion, ClaimedAttempt>();
    const wake: string[] = [];
    for (const row of rows) {
      if (row.outcome) recorded.set(row.outcome.id, row.outcome);
      if (row.wake) wake.push(row.wake);
      if (!row.taken) continue;
      const attempt = claimedFromJson(row.taken);
      const taker = completions.find((c) => c.takeNextAs === attempt.workerId && !claimed.has(c));
      if (taker) claimed.set(taker, attempt);
    }
    if (wake.length > 0) wakeWaiting(wake);
    return { recorded, claimed };
  } catch (error) {
    if ((error as { code?: string }).code !== "40P01") throw error;
    return null;
  }
}

/** The guarded state changes, the attempts' records and the ends of their logs (a database function). */
async function recordOutcomes(
  sql: Sql,
  completions: Completion[],
  plans: Plan[],
): Promise<Map<string, Recorded>> {
  const { rows } = await sql.query<Recorded>(
    "SELECT * FROM baton_record_outcomes($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    outcomeParams(completions, plans),
  );
  return new Map(rows.map((r) => [r.id, r]));
}

/** The outcomes as the parallel arrays the database functions take. */
function outcomeParams(completions: Completion[], plans: Plan[]): unknown[] {
  return [
    completions.map((c) => c.attempt.id),
    completions.map((c) => c.run.workspaceId),
    completions.map((c) => c.attempt.tryNumber),
    plans.map((p) => p.state),
    completions.map((c) => (c.outcome.state === "success" ? JSON.stringify(c.outcome.output) : null)),
    completions.map((c) => ("error" in c.outcome ? c.outcome.error : null)),
    completions.map((c) => (c.outcome.state === "deferred" ? JSON.stringify(c.outcome.deferState) : null)),
    plans.map((p) => p.terminal),
    completions.map((c) => c.attempt.attemptId),
    // The attempt's own state: a skip is recorded as one (not as a success with an error text).
    completions.map((c) => c.outcome.state),
    completions.map((c) => c.log?.text ?? null),
    completions.map((c) => c.log?.bytes ?? null),
  ];
}

const requeuePayload = payloadSql("engine:requeue-task", {
  taskInstanceId: "x.id",
  workspaceId: "x.w",
  tryNumber: "x.n",
});

/** Retries after their delay and deferrals until their time: a job queues each instance again. */
async function addRequeueJobs(sql: Sql, items: Array<Completion & { at: Date }>): Promise<void> {
  await sql.query(
    `SELECT graphile_worker.add_jobs(ARRAY(
       SELECT ROW('engine:requeue-task', ${requeuePayload}, NULL, x.at, 10,
                  NULL, NULL, NULL)::graphile_worker.job_spec
       FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::timestamptz[]) AS x(id, w, n, at)))`,
    [
      items.map((i) => i.attempt.id),
      items.map((i) => i.run.workspaceId),
      items.map((i) => i.attempt.tryNumber),
      items.map((i) => i.at),
    ],
  );
}

/** `engine:requeue-task`: a retry's delay or a deferral is over; queue the instance again. */
export async function requeue(taskInstanceId: string, workspaceId: string, tryNumber: number): Promise<void> {
  await transaction(async (sql) => {
    const { rowCount } = await sql.query(
      // queuedAt stays when the instance first became ready: it never comes after its startedAt.
      `UPDATE "TaskInstance" SET state = 'queued', "queuedAt" = coalesce("queuedAt", now())
       WHERE id = $1 AND "workspaceId" = $2 AND "tryNumber" = $3 AND state IN ('up_for_retry', 'deferred')`,
      [taskInstanceId, workspaceId, tryNumber],
    );
    if (rowCount) await dispatch(sql, workspaceId);
  });
}
