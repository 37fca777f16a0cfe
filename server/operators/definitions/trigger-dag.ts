import { z } from "zod";
import { dagIdPattern } from "../../dags/definition";
import { NonRetryableError, wait } from "../execution";
import { defineOperator } from "../types";

export const triggerDagConfigSchema = z.strictObject({
  /** Another DAG of the same workspace that this DAG reaches: at the root or in its own folder. */
  dagId: z.string().regex(dagIdPattern, { message: "must be a DAG id" }),
  params: z.record(z.string(), z.unknown()).default(() => ({})),
  /** Succeed only when the triggered run succeeds (fail when it fails), instead of at once. */
  waitForCompletion: z.boolean().default(false),
  pollSeconds: z.number().min(1).max(3600).default(30),
});

interface TriggerState {
  runId: string;
}

export const triggerDagOperator = defineOperator({
  name: "trigger_dag",
  title: "Trigger DAG",
  description: "Starts a run of another DAG, optionally waiting for it.",
  icon: "rocket",
  docs:
    "Starts a run of `dagId` in the same workspace (at the workspace root or in this DAG's own " +
    "folder; another folder's DAG is unknown to it) with `params` (templated, validated against " +
    "that DAG's params). The output is `{ runId }`. With `waitForCompletion` the task follows the " +
    "run without holding a worker, checking every `pollSeconds`, and ends as the run ends: on " +
    "success its output adds `state` and `outputs` (each task's output, by task id); a failed or " +
    "cancelled run fails the task. Each attempt starts its own run.",
  configSchema: triggerDagConfigSchema,
  templatedFields: ["params"],
  defaults: { dagId: "other_dag", waitForCompletion: false },
  async execute({ config, deferState, workspaceId, run, task, attempt, log, signal }) {
    const [{ systemScope }, { triggerRun }, { AppError }, { folderOfRun, reachOf }] = await Promise.all([
      import("../../tenancy/door"),
      import("../../engine/runs"),
      import("../../errors"),
      import("../../tenancy/folders"),
    ]);
    const scope = await systemScope(workspaceId);
    // Only DAGs this DAG reaches (docs/permissions.md): another folder's answers as a missing DAG.
    const reach = reachOf(await folderOfRun(workspaceId, run.id));
    const defer = (state: TriggerState) => ({
      defer: { until: new Date(Date.now() + config.pollSeconds * 1000), state },
    });

    const waiting = deferState as TriggerState | null;
    if (!waiting?.runId) {
      const target = await scope.db.dag.findFirst({
        where: { key: config.dagId, ...reach },
        select: { id: true },
      });
      if (!target) throw new NonRetryableError(`Cannot trigger ${config.dagId}: DAG not found`);
      let started: { id: string; created: boolean };
      const trigger = () =>
        triggerRun(
          { ...scope, actor: { kind: "system", label: `run ${run.id}, task ${task.id}` } },
          {
            dagKey: config.dagId,
            params: config.params,
            triggeredBy: "dag",
            // One run per attempt, so a repeated delivery of the same attempt starts nothing new.
            runKey: `dag__${run.id}__${task.id}__${task.mapIndex}__${attempt}`,
          },
        );
      try {
        // Concurrent triggers of one DAG can deadlock in triggerRun (each run's insert holds a key
        // share on the DAG row that the next statement upgrades); the engine's own retries are
        // immediate, so several tasks triggering the same DAG at once try again here, spread apart.
        for (let tries = 1; ; tries++) {
          try {
            started = await trigger();
            break;
          } catch (error) {
            if ((error as { code?: string }).code !== "40P01" || tries >= 5) throw error;
            await wait(50 + Math.random() * 200 * tries, signal);
          }
        }
      } catch (error) {
        if (error instanceof AppError) {
          const problems = error.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
          throw new NonRetryableError(
            `Cannot trigger ${config.dagId}: ${error.message}${problems ? ` (${problems})` : ""}`,
          );
        }
        throw error;
      }
      log.info(`triggered run ${started.id} of ${config.dagId}`);
      if (!config.waitForCompletion) return { output: { runId: started.id } };
      return defer({ runId: started.id });
    }

    // Its outputs are read only while its DAG is still in reach (it may have moved meanwhile).
    const other = await scope.db.dagRun.findFirst({
      where: { id: waiting.runId, dag: reach },
      select: {
        state: true,
        taskInstances: { where: { mapIndex: -1 }, select: { taskId: true, output: true } },
      },
    });
    if (!other) throw new NonRetryableError(`The triggered run ${waiting.runId} no longer exists`);
    if (other.state === "queued" || other.state === "running") {
      log.info(`run ${waiting.runId} of ${config.dagId} is ${other.state}`);
      return defer(waiting);
    }
    if (other.state !== "success") {
      throw new NonRetryableError(
        `The triggered run ${waiting.runId} of ${config.dagId} ended ${other.state}`,
      );
    }
    return {
      output: {
        runId: waiting.runId,
        state: other.state,
        outputs: Object.fromEntries(other.taskInstances.map((t) => [t.taskId, t.output])),
      },
    };
  },
});
