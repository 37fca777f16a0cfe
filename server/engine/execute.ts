// Running one attempt of a task instance on a worker: claim it, render its config, run the
// operator's executor under a timeout and the cancellation signal, capture its log, and record
// the outcome (server/engine/complete.ts).
import { resolveForExecution } from "@/server/config/resolve";
import { operatorCatalog } from "@/server/operators/catalog";
import { type ExecutionResult, NonRetryableError } from "@/server/operators/execution";
import {
  collectTemplatedStrings,
  findReferences,
  renderConfig,
  type TemplateContext,
  type TemplateReference,
} from "@/server/templating/template";
import { systemScope } from "@/server/tenancy/door";
import { complete, type Outcome } from "./complete";
import { type CompiledTask, compiledVersion } from "./graph";
import { AttemptLog } from "./logs";
import { sql } from "./sql";
import { track, untrack } from "./worker-registry";

export interface ClaimedAttempt {
  id: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  mapItem: unknown;
  tryNumber: number;
  maxTries: number;
  pool: string;
  deferState: unknown;
  attemptId: string;
  dagId: string;
  dagVersionId: string;
  params: Record<string, unknown>;
  logicalDate: Date;
  dataIntervalStart: Date | null;
  dataIntervalEnd: Date | null;
  maxOutputBytes: number;
  maxLogBytesPerAttempt: number;
}

/** Moves a scheduled instance to running and opens its attempt, in one statement. */
export async function claim(
  taskInstanceId: string,
  workspaceId: string,
  workerId: string,
): Promise<ClaimedAttempt | null> {
  const { rows } = await sql.query<ClaimedAttempt>(
    `WITH ti AS (
       UPDATE "TaskInstance" SET state = 'running',
         "tryNumber" = CASE WHEN "deferState" IS NULL THEN "tryNumber" + 1 ELSE "tryNumber" END,
         "startedAt" = coalesce("startedAt", now())
       WHERE id = $1 AND "workspaceId" = $2 AND state = 'scheduled'
       RETURNING id, "runId", "taskId", "mapIndex", "mapItem", "tryNumber", "maxTries", pool, "deferState"),
     attempt AS (
       INSERT INTO "TaskAttempt" (id, "workspaceId", "taskInstanceId", number, state, "workerId")
       SELECT gen_random_uuid(), $2, ti.id, ti."tryNumber", 'running', $3 FROM ti
       ON CONFLICT ("taskInstanceId", number)
         DO UPDATE SET state = 'running', "heartbeatAt" = now(), "workerId" = EXCLUDED."workerId"
       RETURNING id)
     SELECT ti.*, attempt.id AS "attemptId", r."dagId", r."dagVersionId", r.params, r."logicalDate",
            r."dataIntervalStart", r."dataIntervalEnd", w."maxOutputBytes", w."maxLogBytesPerAttempt"
     FROM ti, attempt, "DagRun" r, "Workspace" w
     WHERE r.id = ti."runId" AND w.id = $2`,
    [taskInstanceId, workspaceId, workerId],
  );
  return rows[0] ?? null;
}

/** The job handler of `engine:run-task`. */
export async function runTask(taskInstanceId: string, workspaceId: string, workerId: string): Promise<void> {
  const claimed = await claim(taskInstanceId, workspaceId, workerId);
  if (!claimed) return; // cancelled, or a duplicate delivery of a job already handled
  const compiled = await compiledVersion(sql, claimed.dagVersionId);
  const task = compiled.tasks.get(claimed.taskId);
  const run = {
    id: claimed.runId,
    workspaceId,
    dagId: claimed.dagId,
    dagVersionId: claimed.dagVersionId,
    params: claimed.params,
  };
  const controller = new AbortController();
  track(claimed.attemptId, controller);
  let outcome: Outcome;
  let log: AttemptLog | undefined;
  try {
    if (!task) throw new NonRetryableError(`Task ${claimed.taskId} is not in the run's DAG version`);
    const resolved = await resolveTemplates(task, claimed, workspaceId, compiled.dag.id);
    log = new AttemptLog(
      workspaceId,
      claimed.attemptId,
      claimed.maxLogBytesPerAttempt,
      resolved.secretValues,
    );
    const result = await execute(task, claimed, workspaceId, resolved.context, controller, log);
    outcome = toOutcome(result, claimed.maxOutputBytes);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log?.error(message);
    outcome = { state: "failed", error: message, retryable: !(error instanceof NonRetryableError) };
  } finally {
    untrack(claimed.attemptId);
  }
  await log?.flush();
  await complete(run, claimed, outcome);
}

async function execute(
  task: CompiledTask,
  claimed: ClaimedAttempt,
  workspaceId: string,
  context: TemplateContext,
  controller: AbortController,
  log: AttemptLog,
): Promise<ExecutionResult> {
  const operator = operatorCatalog.get(task.def.operator);
  if (!operator?.execute)
    throw new NonRetryableError(`Operator "${task.def.operator}" cannot run on this installation`);
  let config: unknown;
  try {
    config = renderConfig(task.def.config, task.templatedFields, context);
  } catch (error) {
    throw new NonRetryableError(`Could not render the config: ${(error as Error).message}`);
  }
  const parsed = operator.configSchema.safeParse(config);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${["config", ...i.path].join(".")}: ${i.message}`);
    throw new NonRetryableError(`The rendered config is invalid: ${problems.join("; ")}`);
  }
  const timeoutSeconds = task.settings.timeoutSeconds;
  const timer = timeoutSeconds
    ? setTimeout(
        () => controller.abort(new Error(`Timed out after ${timeoutSeconds} s`)),
        timeoutSeconds * 1000,
      )
    : undefined;
  try {
    const upstream = operator.needsUpstream ? await upstreamOutputs(task, claimed, workspaceId) : undefined;
    // An executor that ignores its signal still loses the race against an abort.
    const aborted = new Promise<never>((_, reject) => {
      if (controller.signal.aborted) reject(controller.signal.reason);
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
    });
    return await Promise.race([
      operator.execute({
        config: parsed.data,
        attempt: claimed.tryNumber,
        maxTries: claimed.maxTries,
        signal: controller.signal,
        log,
        deferState: claimed.deferState,
        workspaceId,
        run: { id: claimed.runId, logicalDate: claimed.logicalDate, params: claimed.params },
        task: { id: claimed.taskId, mapIndex: claimed.mapIndex },
        item: claimed.mapItem ?? undefined,
        upstream,
      }),
      aborted,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Outputs of the task's direct upstream tasks (a mapped one's is its children's list), in one query. */
async function upstreamOutputs(
  task: CompiledTask,
  claimed: ClaimedAttempt,
  workspaceId: string,
): Promise<Record<string, unknown>> {
  if (task.upstream.length === 0) return {};
  const { rows } = await sql.query<{ taskId: string; output: unknown }>(
    `SELECT "taskId", output FROM "TaskInstance"
     WHERE "runId" = $1 AND "workspaceId" = $2 AND "taskId" = ANY($3::text[]) AND "mapIndex" = -1`,
    [claimed.runId, workspaceId, task.upstream],
  );
  return Object.fromEntries(rows.map((r) => [r.taskId, r.output]));
}

function toOutcome(result: ExecutionResult, maxOutputBytes: number): Outcome {
  if ("defer" in result)
    return { state: "deferred", until: result.defer.until, deferState: result.defer.state ?? {} };
  if ("skip" in result) return { state: "skipped", error: result.skip };
  const output = result.output ?? null;
  const bytes = Buffer.byteLength(JSON.stringify(output) ?? "null");
  if (bytes > maxOutputBytes) {
    return {
      state: "failed",
      retryable: false,
      error: `The task's output is ${bytes} bytes, above this workspace's limit of ${maxOutputBytes} bytes`,
    };
  }
  return { state: "success", output, follow: result.follow };
}

/** Template references of a task, found once per compiled version. */
const referencesCache = new WeakMap<CompiledTask, TemplateReference[]>();
function references(task: CompiledTask): TemplateReference[] {
  let refs = referencesCache.get(task);
  if (!refs) {
    refs = collectTemplatedStrings(task.def.config, task.templatedFields).flatMap(
      (s) => findReferences(s.text).refs,
    );
    referencesCache.set(task, refs);
  }
  return refs;
}

/** Builds what the task's templates can read, loading only what they reference. */
async function resolveTemplates(
  task: CompiledTask,
  claimed: ClaimedAttempt,
  workspaceId: string,
  dagKey: string,
) {
  const refs = references(task);
  const context: TemplateContext = {
    params: claimed.params,
    run: {
      id: claimed.runId,
      logical_date: claimed.logicalDate.toISOString(),
      data_interval_start: claimed.dataIntervalStart?.toISOString(),
      data_interval_end: claimed.dataIntervalEnd?.toISOString(),
    },
    dag: { id: dagKey },
    task: { id: claimed.taskId },
    item: claimed.mapItem ?? undefined,
    tasks: {},
  };
  let secretValues: string[] = [];
  if (refs.length === 0) return { context, secretValues };
  const taskIds = [...new Set(refs.filter((r) => r.root === "tasks" && r.path[0]).map((r) => r.path[0]!))];
  if (taskIds.length > 0) {
    const { rows } = await sql.query<{ taskId: string; output: unknown }>(
      `SELECT "taskId", output FROM "TaskInstance" WHERE "runId" = $1 AND "taskId" = ANY($2::text[]) AND "mapIndex" = -1`,
      [claimed.runId, taskIds],
    );
    context.tasks = Object.fromEntries(rows.map((r) => [r.taskId, { output: r.output }]));
  }
  if (refs.some((r) => r.root === "vars" || r.root === "secrets" || r.root === "conn")) {
    const resolved = await resolveForExecution(await systemScope(workspaceId), refs);
    context.vars = resolved.vars;
    context.secrets = resolved.secrets;
    context.conn = resolved.conn;
    secretValues = resolved.secretValues;
  }
  return { context, secretValues };
}
