// The job catalog: every graphile-worker job Baton runs, by name, with the zod schema of its
// payload. Whatever adds a job goes through it (`enqueue` here, or `payloadSql` for payloads built
// inside a SQL statement), and the worker's handlers (worker/tasks) parse their payload with the
// same schema, so a payload cannot drift from what its handler reads.
// test/integration/jobs.catalog.test.ts checks the payloads SQL builds against these schemas.
//
// Payloads carry ids only (the workspace's always): a handler that touches tenant rows opens the
// workspace the payload names. Field names are spelled out; jobs queued with the short names of
// before (`{ti, w, n}`) were rewritten by migration 20261207123700_job_catalog.
//
// Task instances run as `engine:run-task@<worker pool>` jobs, one identifier per worker pool:
// graphile-worker only fetches jobs whose identifier is in its task list, so a worker serving the
// pools `shared` and `gpu` never fetches a `dedicated:acme` task (see server/engine/worker-pools.ts).
import type { JobHelpers, Task } from "graphile-worker";
import { z } from "zod";
import type { Sql } from "@/server/tenancy/workspace-sql";

const id = z.uuid();
const runOutcome = z.enum(["success", "failed"]);
const nothing = z.object({});

export const jobCatalog = {
  /** Claims, runs and completes one task instance (server/engine/execute.ts); one identifier per worker pool. */
  "engine:run-task": z.object({ taskInstanceId: id, workspaceId: id }),
  /** A retry's delay or a deferral is over: the instance is queued again (server/engine/complete.ts). */
  "engine:requeue-task": z.object({ taskInstanceId: id, workspaceId: id, tryNumber: z.int() }),
  /** The run passed its runTimeoutSeconds. */
  "engine:timeout-run": z.object({ runId: id, workspaceId: id }),
  /** Starts a workspace's queued runs after one of its runs ended; one pending per workspace (job key). */
  "engine:start-runs": z.object({ workspaceId: id }),
  /** A run ended: send its DAG's onSuccess or onFailure notifications (worker/tasks/callbacks.ts). */
  "engine:run-callbacks": z.object({
    runId: id,
    workspaceId: id,
    state: runOutcome,
    /** Indexes of the callbacks still to send (all when absent). */
    only: z.array(z.int().min(0)).optional(),
    /** How many times failed callbacks were sent again. */
    round: z.int().min(0).default(0),
  }),
  /** Claims due schedule ticks; re-adds itself every few seconds (job key), crontab as fallback. */
  "schedule:tick": nothing,
  /** Creates the runs of claimed ticks (or of a backfill batch); idempotent by run key. */
  "schedule:create-runs": z.object({
    workspaceId: id,
    dagId: id,
    /** [data interval start, end] of each tick, ISO timestamps. */
    ticks: z.array(z.tuple([z.iso.datetime(), z.iso.datetime()])),
  }),
  /** Creates a backfill's next batch of runs. */
  "backfill:step": z.object({ workspaceId: id, backfillId: id }),
  /** Starts the DAGs triggered by a run's outcome. */
  "triggers:dag-outcome": z.object({ runId: id, workspaceId: id, state: runOutcome }),
  /** Frees expired webhook idempotency keys. */
  "webhooks:purge": nothing,
  /** Expired sign-in counters and dead invitations. */
  "maintenance:purge-expired": nothing,
  /** Retention of runs, logs and deliveries; graphile-worker's own tables kept lean. */
  "retention:purge": nothing,
  /** One SLA of one run at its deadline (server/slas); `sla` is the SLA's key (`dag.finish_by`…). */
  "sla:check": z.object({ runId: id, workspaceId: id, sla: z.string().min(1).max(200) }),
  /** A run ended and an alert rule watches its DAG's outcomes (server/alerts/evaluate.ts). */
  "alerts:run-ended": z.object({ runId: id, workspaceId: id, state: runOutcome }),
  /** Sends one alert on its channels (server/alerts/deliver.ts). */
  "alerts:deliver": z.object({
    alertId: id,
    workspaceId: id,
    /** Indexes of the channels still to send (all when absent). */
    only: z.array(z.int().min(0)).optional(),
    /** How many times failed channels were tried again. */
    round: z.int().min(0).default(0),
  }),
  /** Every minute: queues `alerts:check` for the workspaces with rules that need looking (server/alerts/sweep.ts). */
  "alerts:sweep": nothing,
  /** Tasks running longer than usual and webhook endpoints refusing deliveries, in one workspace. */
  "alerts:check": z.object({ workspaceId: id }),
} as const;

export type JobName = keyof typeof jobCatalog;
/** What `enqueue` takes (defaults not yet applied). */
export type JobInput<N extends JobName> = z.input<(typeof jobCatalog)[N]>;
/** What a handler gets. */
export type JobPayload<N extends JobName> = z.output<(typeof jobCatalog)[N]>;

export const jobNames = Object.keys(jobCatalog) as JobName[];

const RUN_TASK = "engine:run-task";

/** The graphile-worker task identifier of the task instances of a worker pool. */
export function runTaskIdentifier(workerPool: string): string {
  return `${RUN_TASK}@${workerPool}`;
}

/** The job name of a task identifier (`engine:run-task@gpu` → `engine:run-task`). */
export function jobNameOf(identifier: string): JobName | undefined {
  const name = identifier.startsWith(`${RUN_TASK}@`) ? RUN_TASK : identifier;
  return Object.hasOwn(jobCatalog, name) ? (name as JobName) : undefined;
}

export interface EnqueueOptions {
  runAt?: Date;
  /** One pending job per key: adding another replaces it. */
  jobKey?: string;
  /** Tries before graphile-worker gives up on the job (default 10). */
  maxAttempts?: number;
}

/**
 * Adds a job in the caller's transaction (or on its own), so the job exists exactly when the state
 * that calls for it was committed. The payload is checked against the catalog first: a malformed
 * one fails here, where it is made, not later in a worker. The caller's transaction may be inside a
 * workspace (workspaceSql): baton_add_job adds the job as the queue's owner (migration
 * 20261207130000_tenant_row_security).
 */
export async function enqueue<N extends Exclude<JobName, typeof RUN_TASK>>(
  sql: Sql,
  name: N,
  payload: JobInput<N>,
  options: EnqueueOptions = {},
): Promise<void> {
  const checked = jobCatalog[name].parse(payload);
  await sql.query(`SELECT baton_add_job($1, $2::json, $3, $4, $5)`, [
    name,
    JSON.stringify(checked),
    options.runAt ?? null,
    options.jobKey ?? null,
    options.maxAttempts ?? 10,
  ]);
}

/**
 * A payload built inside a SQL statement: `json_build_object('taskInstanceId', x.id, …)` from one
 * SQL expression per field. The fields are the schema's (checked by TypeScript and here); the
 * values are checked by the catalog test.
 */
export function payloadSql<N extends JobName>(
  name: N,
  fields: { [K in keyof JobInput<N>]-?: string },
): string {
  const shape = Object.keys(jobCatalog[name].shape);
  const given = Object.keys(fields);
  const wrong = given.filter((key) => !shape.includes(key));
  if (wrong.length > 0) throw new Error(`${name} payloads have no field ${wrong.join(", ")}`);
  const parts = given.map((key) => `'${key}', ${(fields as Record<string, string>)[key]}`);
  return `json_build_object(${parts.join(", ")})`;
}

/** A handler of a job: its payload parsed with the catalog's schema. */
export type JobHandler<N extends JobName> = (payload: JobPayload<N>, helpers: JobHelpers) => Promise<void>;

/** The graphile-worker task of a handler: the payload is parsed before the handler sees it. */
export function jobTask<N extends JobName>(name: N, handler: JobHandler<N>): Task {
  const schema = jobCatalog[name] as unknown as z.ZodType<JobPayload<N>>;
  return (payload, helpers) => handler(schema.parse(payload), helpers);
}
