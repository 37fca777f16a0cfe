// `engine:run-callbacks`: a run ended, and its DAG version has onSuccess or onFailure callbacks.
// Each callback is a notify config; its templates read the run (dag, run, params, every task's
// output, vars, secrets, conn; no task or item), and it is sent by the notify operator's own code.
// Callbacks that fail in a way another try may cure are sent again later (only those), a few
// times; the others are recorded in the workspace's audit log.
import { z } from "zod";
import { resolveForExecution } from "@/server/config/resolve";
import { type DagDefinition, dagTimeZone } from "@/server/dags/definition";
import { runSecretMask } from "@/server/engine/secrets";
import { enqueue, type JobHandler } from "@/server/jobs/catalog";
import { notifyConfigSchema, notifyOperator, sendNotification } from "@/server/operators/definitions/notify";
import { NonRetryableError, type TaskLogger } from "@/server/operators/execution";
import {
  collectTemplatedStrings,
  findReferences,
  renderConfig,
  type TemplateContext,
  TemplateError,
} from "@/server/templating/template";
import { systemScope } from "@/server/tenancy/door";
import { workspaceSql } from "@/server/tenancy/workspace-sql";

const MAX_ROUNDS = 4;
const FIRST_RETRY_SECONDS = 30;
const SEND_TIMEOUT_MS = 60_000;

export const runCallbacks: JobHandler<"engine:run-callbacks"> = async (payload, helpers) => {
  const scope = await systemScope(payload.workspaceId);
  const run = await scope.db.dagRun.findUnique({
    where: { id: payload.runId },
    select: {
      id: true,
      params: true,
      logicalDate: true,
      dataIntervalStart: true,
      dataIntervalEnd: true,
      dag: { select: { key: true, folderId: true } },
      dagVersion: { select: { definition: true } },
    },
  });
  if (!run) return; // deleted meanwhile
  const definition = run.dagVersion.definition as unknown as DagDefinition;
  const key = payload.state === "success" ? "onSuccess" : "onFailure";
  const callbacks = definition[key] ?? [];
  const indexes = (payload.only ?? callbacks.map((_, i) => i)).filter((i) => i < callbacks.length);
  if (indexes.length === 0) return;

  // What the templates reference, loaded once for all callbacks.
  const fields = notifyOperator.templatedFields;
  const refs = collectTemplatedStrings(callbacks, fields).flatMap((s) => findReferences(s.text).refs);
  const taskIds = [...new Set(refs.filter((r) => r.root === "tasks" && r.path[0]).map((r) => r.path[0]!))];
  const outputs =
    taskIds.length > 0
      ? await scope.db.taskInstance.findMany({
          where: { runId: run.id, mapIndex: -1, taskId: { in: taskIds } },
          select: { taskId: true, output: true },
        })
      : [];
  const resolved = await resolveForExecution(scope, refs, run.dag);
  const context: TemplateContext = {
    params: run.params as Record<string, unknown>,
    run: {
      id: run.id,
      logical_date: run.logicalDate.toISOString(),
      data_interval_start: run.dataIntervalStart?.toISOString(),
      data_interval_end: run.dataIntervalEnd?.toISOString(),
    },
    dag: { id: run.dag.key, timezone: dagTimeZone(definition) },
    tasks: Object.fromEntries(outputs.map((o) => [o.taskId, { output: o.output }])),
    vars: resolved.vars,
    secrets: resolved.secrets,
    conn: resolved.conn,
  };
  // What a callback logs and records is masked with every secret the run can reach.
  const secretMask = await runSecretMask(scope, definition, resolved.secretValues);
  const mask = (text: string) => secretMask.text(text);
  const about = {
    event: `run.${payload.state}`,
    dag: { id: run.dag.key },
    run: { id: run.id, state: payload.state, logicalDate: run.logicalDate.toISOString() },
  };

  const retry: number[] = [];
  for (const index of indexes) {
    const name = `${key}[${index}]`;
    const log: TaskLogger = {
      info: (line) => helpers.logger.info(`${run.dag.key} ${run.id} ${name}: ${mask(line)}`),
      warn: (line) => helpers.logger.warn(`${run.dag.key} ${run.id} ${name}: ${mask(line)}`),
      error: (line) => helpers.logger.error(`${run.dag.key} ${run.id} ${name}: ${mask(line)}`),
    };
    try {
      const rendered = renderConfig(callbacks[index], fields, context);
      const config = notifyConfigSchema.parse(rendered);
      await sendNotification(config, {
        workspaceId: payload.workspaceId,
        runId: run.id,
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        log,
        about,
      });
    } catch (error) {
      const message = mask(error instanceof Error ? error.message : String(error));
      const permanent =
        error instanceof NonRetryableError || error instanceof TemplateError || error instanceof z.ZodError;
      const again = !permanent && payload.round < MAX_ROUNDS;
      log.error(`failed${again ? ", will try again" : ""}: ${message}`);
      if (again) retry.push(index);
      else await scope.audit("run.callback_failed", run.id, { callback: name, error: message });
    }
  }
  if (retry.length > 0) {
    await enqueue(
      workspaceSql(scope),
      "engine:run-callbacks",
      { ...payload, only: retry, round: payload.round + 1 },
      { runAt: new Date(Date.now() + FIRST_RETRY_SECONDS * 1000 * 2 ** payload.round), maxAttempts: 1 },
    );
  }
};
