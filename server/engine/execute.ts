// Running one attempt of a task instance on a worker: claim it, render its config, run the
// operator's executor under a timeout and the cancellation signal, capture its log, and record
// the outcome (server/engine/complete.ts).
import { resolveForExecution } from "@/server/config/resolve";
import { type DagDefinition, dagTimeZone } from "@/server/dags/definition";
import { untilDatabaseAnswers } from "@/server/db/availability";
import { withContext } from "@/server/observability/context";
import { log as processLog } from "@/server/observability/logger";
import { metrics } from "@/server/observability/metrics";
import { operatorCatalog } from "@/server/operators/catalog";
import { type ExecutionResult, NonRetryableError, TaskSkipped } from "@/server/operators/execution";
import type { OperatorDefinition } from "@/server/operators/types";
import { SecretMask } from "@/server/secrets/mask";
import { armSlaChecks, checksWhenStarted } from "@/server/slas/arm";
import {
  collectTemplatedStrings,
  findReferences,
  renderConfig,
  type TemplateContext,
  type TemplateReference,
} from "@/server/templating/template";
import { systemScope } from "@/server/tenancy/door";
import { type ClaimedAttempt, claim } from "./claim";
import { type Completion, complete, type Outcome } from "./complete";
import { type CompiledDag, type CompiledTask, compiledVersion } from "./graph";
import { AttemptLog } from "./logs";
import { runSecretMask, secretReach } from "./secrets";
import { sql } from "./sql";
import { cutText, isDataException, MAX_ERROR_CHARS, storableText, unstorableJson } from "./storable";
import { inAttemptSpan } from "./traces";
import { mayContinue, track, untrack } from "./worker-registry";

/**
 * The job handler of `engine:run-task`: claims the instance and runs it, then, as long as its
 * completion hands this slot a newly admitted instance of the workspace (dispatch.ts), that one.
 */
export async function runTask(
  taskInstanceId: string,
  workspaceId: string,
  workerId: string,
  /** When its job became available (queue-to-start) and when it was made (the hop's start), for metrics. */
  job?: { availableAt: Date; createdAt: Date },
): Promise<void> {
  let next = await claim({ taskInstanceId, workspaceId, workerId });
  if (next && job) {
    const now = Date.now();
    metrics.queueToStart.observe(Math.max(0, now - job.availableAt.getTime()) / 1000);
    // A job made by a completion's commit and due at once: its wait is the hop from its upstream.
    if (job.availableAt.getTime() - job.createdAt.getTime() < 1000)
      metrics.hopLatency.observe(Math.max(0, now - job.createdAt.getTime()) / 1000);
  }
  while (next) {
    const claimed: ClaimedAttempt = next;
    const finishedAt = Date.now();
    next = await withContext(
      {
        workspaceId: claimed.workspaceId,
        runId: claimed.runId,
        taskInstanceId: claimed.id,
        attemptId: claimed.attemptId,
      },
      () => inAttemptSpan(sql, claimed, (ended) => runAttempt(claimed, workerId, ended)),
    );
    // Handed to this slot in the completion: the hop is the completion itself.
    if (next) metrics.hopLatency.observe((Date.now() - finishedAt) / 1000);
  }
}

/** Runs one claimed attempt; returns the instance handed to this slot next, already claimed. */
async function runAttempt(
  claimed: ClaimedAttempt,
  workerId: string,
  /** Tells the attempt's span (traces.ts) how it ended. */
  ended: (outcome: { operator: string; state: string; error?: string | undefined }) => void = () => {},
): Promise<ClaimedAttempt | null> {
  const { workspaceId } = claimed;
  // For the usage meter: an attempt that starts here is measured by its own record (complete.ts);
  // one resumed after a deferral only from now (its waits held no worker).
  const executedSince = claimed.deferState == null ? undefined : Date.now();
  // What the attempt reads before its task runs waits out a database restart: it is not the task's failure.
  const compiled = await untilDatabaseAnswers(() =>
    compiledVersion(sql, claimed.dagVersionId, claimed.workspaceId),
  );
  const task = compiled.tasks.get(claimed.taskId);
  const run = {
    id: claimed.runId,
    workspaceId,
    dagId: claimed.dagId,
    dagVersionId: claimed.dagVersionId,
    params: claimed.params,
  };
  const controller = new AbortController();
  const operator = task?.def.operator ?? "unknown";
  metrics.attemptsStarted.inc({ operator });
  track(claimed.attemptId, claimed.runId, controller);
  let outcome: Outcome;
  let log: AttemptLog | undefined;
  // Everything the attempt stores is masked with every secret the run can reach (secrets.ts), at
  // the write: its log lines, its error, its output and deferred state.
  let mask: SecretMask | undefined;
  try {
    if (!task) throw new NonRetryableError(`Task ${claimed.taskId} is not in the run's DAG version`);
    const prepared = await prepareAttempt(claimed, compiled, task);
    mask = prepared.mask;
    log = new AttemptLog(workspaceId, claimed.attemptId, claimed.maxLogBytesPerAttempt, mask);
    const result = await execute(task, claimed, workspaceId, prepared.context, controller, log);
    outcome = toOutcome(maskResult(result, mask), claimed.maxOutputBytes, log);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const message = storableText(cutText(mask ? mask.text(text) : text, MAX_ERROR_CHARS));
    if (error instanceof TaskSkipped) {
      log?.info(`skipped: ${message}`);
      outcome = { state: "skipped", error: message };
    } else {
      log?.error(message);
      outcome = { state: "failed", error: message, retryable: !(error instanceof NonRetryableError) };
    }
  } finally {
    untrack(claimed.attemptId, claimed.runId);
  }
  metrics.attemptsEnded.inc({ operator, outcome: outcome.state });
  ended({ operator, state: outcome.state, error: "error" in outcome ? outcome.error : undefined });
  processLog.debug({ operator, outcome: outcome.state }, "attempt ended");
  const completion: Completion = {
    run,
    attempt: claimed,
    outcome,
    executedSince,
    log: await log?.rest(),
    takeNextAs: mayContinue() ? workerId : undefined,
  };
  return completeOnceWritten(completion).catch((error: unknown) => {
    if (!isDataException(error)) throw error;
    // PostgreSQL refused what the attempt produced, in a way no check above foresaw: the attempt
    // fails with that reason rather than staying `running` until it is reaped as lost and retried.
    const { detail } = error as { detail?: string };
    const reason = storableText(
      `The attempt's outcome could not be stored: ${error.message}${detail ? ` (${detail})` : ""}`,
    );
    return complete({
      ...completion,
      outcome: { state: "failed", error: reason, retryable: false },
      log: null,
    });
  });
}

/**
 * Records the outcome, retrying while the database is away (a restart, a failover): the task's
 * effect has happened, and letting the job fail would run it again elsewhere. Meanwhile this
 * process keeps heartbeating (worker-registry.ts), so no reaper takes its attempt for lost.
 * Completions are guarded by the attempt number, so one that did commit before its answer was
 * lost changes nothing the second time.
 */
function completeOnceWritten(completion: Completion): Promise<ClaimedAttempt | null> {
  return untilDatabaseAnswers(() => complete(completion), {
    onWait: (error) =>
      processLog.warn(
        { err: error },
        "the attempt's outcome cannot be written yet (database unavailable); retrying",
      ),
  });
}

/**
 * What an attempt reads before its task runs, on a worker or for an agent (agents.ts): its
 * maxDurationMinutes SLA armed, its templates' context, and the mask of every secret it can reach.
 * Waits out a database restart: that is not the task's failure.
 */
export async function prepareAttempt(claimed: ClaimedAttempt, compiled: CompiledDag, task: CompiledTask) {
  const { workspaceId } = claimed;
  // A task's maxDurationMinutes SLA runs from its first start: a retry keeps the check's time
  // (a mapped task's first child arms its parent's).
  if (claimed.deferState == null && claimed.mapIndex <= 0) {
    const checks = checksWhenStarted(compiled.dag, claimed.runId, task.def.id);
    if (checks.length > 0)
      await untilDatabaseAnswers(() => armSlaChecks(sql, workspaceId, checks, { keepEarlier: true }));
  }
  const resolved = await untilDatabaseAnswers(() =>
    resolveTemplates(task, claimed, workspaceId, compiled.dag),
  );
  const mask = await untilDatabaseAnswers(() =>
    attemptMask(workspaceId, compiled.dag, resolved.secretValues),
  );
  return { context: resolved.context, mask };
}

/** The task's config rendered with its templates and checked by its operator's schema. */
export function renderTaskConfig(task: CompiledTask, operator: OperatorDefinition, context: TemplateContext) {
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
  return parsed.data;
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
  if (operator?.runsOn === "agent")
    throw new NonRetryableError(
      `The ${operator.name} operator runs only on agents: give the task an agent pool (\`pool: <agent pool>\`)`,
    );
  if (!operator?.execute)
    throw new NonRetryableError(`Operator "${task.def.operator}" cannot run on this installation`);
  const config = renderTaskConfig(task, operator, context);
  const timeoutSeconds = task.settings.timeoutSeconds;
  const timer = timeoutSeconds
    ? setTimeout(
        () => controller.abort(new Error(`Timed out after ${timeoutSeconds} s`)),
        timeoutSeconds * 1000,
      )
    : undefined;
  try {
    const upstream = operator.needsUpstream
      ? await untilDatabaseAnswers(() => upstreamOutputs(task, claimed, workspaceId))
      : undefined;
    // An executor that ignores its signal still loses the race against an abort.
    const aborted = new Promise<never>((_, reject) => {
      if (controller.signal.aborted) reject(controller.signal.reason);
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
    });
    return await Promise.race([
      operator.execute({
        config,
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

const noSecrets = new SecretMask([]);

/** The mask of an attempt: the run's reachable secrets, and those the task's templates resolved. */
export async function attemptMask(
  workspaceId: string,
  dag: Parameters<typeof secretReach>[0],
  resolved: readonly string[],
): Promise<SecretMask> {
  const reach = secretReach(dag);
  if (reach.secrets.length + reach.connections.length === 0 && resolved.length === 0) return noSecrets;
  return runSecretMask(await systemScope(workspaceId), dag, resolved);
}

/** What the executor answered, with the secrets masked out of everything that is stored. */
export function maskResult(result: ExecutionResult, mask: SecretMask): ExecutionResult {
  if (mask.empty) return result;
  if ("defer" in result) return { defer: { ...result.defer, state: mask.value(result.defer.state) } };
  if ("skip" in result) return { skip: mask.text(result.skip) };
  return { ...result, output: mask.value(result.output) };
}

/** Outputs of the task's direct upstream tasks (a mapped one's is its children's list), in one query. */
export async function upstreamOutputs(
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

export function toOutcome(
  result: ExecutionResult,
  maxOutputBytes: number,
  log: { warn(line: string): void },
): Outcome {
  if ("defer" in result)
    return { state: "deferred", until: result.defer.until, deferState: result.defer.state ?? {} };
  if ("skip" in result) return { state: "skipped", error: storableText(result.skip) };
  const output = result.output ?? null;
  const text = JSON.stringify(output) ?? "null";
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxOutputBytes) {
    const unstorable = unstorableJson(output, text, "output");
    if (unstorable) {
      throw new NonRetryableError(
        `The output cannot be stored: ${unstorable}, which PostgreSQL refuses; remove it or encode the value (e.g. base64)`,
      );
    }
    return { state: "success", output, follow: result.follow };
  }
  log.warn(
    `The output is ${bytes} bytes, above this workspace's limit of ${maxOutputBytes} bytes (maxOutputBytes): ` +
      "stored cut, as a marker with its first part as text",
  );
  return { state: "success", output: cutOutput(text, bytes, maxOutputBytes), follow: result.follow };
}

/** What an output over the limit is stored as: a marker holding as much of its JSON text as fits. */
export interface CutOutput {
  truncated: true;
  /** The whole output's size (its JSON text, in bytes). */
  bytes: number;
  limit: number;
  /** The start of the output's JSON text. */
  preview: string;
}

export function cutOutput(text: string, bytes: number, limit: number): CutOutput {
  const marker: CutOutput = { truncated: true, bytes, limit, preview: "" };
  const whole = Buffer.from(text);
  let room = limit - Buffer.byteLength(JSON.stringify(marker));
  // Escaping can grow the preview inside the marker: cut again until the marker fits the limit.
  while (room > 0) {
    // A character cut in two decodes as U+FFFD: drop it.
    marker.preview = whole
      .subarray(0, room)
      .toString("utf8")
      .replace(/\uFFFD$/, "");
    const over = Buffer.byteLength(JSON.stringify(marker)) - limit;
    if (over <= 0) break;
    room -= over;
  }
  if (room <= 0) marker.preview = "";
  return marker;
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
  dag: DagDefinition,
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
    dag: { id: dag.id, timezone: dagTimeZone(dag) },
    task: { id: claimed.taskId },
    item: claimed.mapItem ?? undefined,
    tasks: {},
  };
  let secretValues: string[] = [];
  if (refs.length === 0) return { context, secretValues };
  const taskIds = [...new Set(refs.filter((r) => r.root === "tasks" && r.path[0]).map((r) => r.path[0]!))];
  if (taskIds.length > 0) {
    const { rows } = await sql.query<{ taskId: string; output: unknown }>(
      `SELECT "taskId", output FROM "TaskInstance"
       WHERE "runId" = $1 AND "workspaceId" = $3 AND "taskId" = ANY($2::text[]) AND "mapIndex" = -1`,
      [claimed.runId, taskIds, workspaceId],
    );
    context.tasks = Object.fromEntries(rows.map((r) => [r.taskId, { output: r.output }]));
  }
  if (refs.some((r) => r.root === "vars" || r.root === "secrets" || r.root === "conn")) {
    // Secrets and connections kept in a folder serve only that folder's DAGs (docs/permissions.md).
    const { rows: folder } = await sql.query<{ folderId: string | null }>(
      `SELECT d."folderId" FROM "DagRun" r JOIN "Dag" d ON d.id = r."dagId"
        WHERE r.id = $1 AND r."workspaceId" = $2`,
      [claimed.runId, workspaceId],
    );
    const resolved = await resolveForExecution(await systemScope(workspaceId), refs, {
      folderId: folder[0]?.folderId ?? null,
    });
    context.vars = resolved.vars;
    context.secrets = resolved.secrets;
    context.conn = resolved.conn;
    secretValues = resolved.secretValues;
  }
  return { context, secretValues };
}
