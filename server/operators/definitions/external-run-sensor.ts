import { z } from "zod";
import { dagIdPattern } from "../../dags/definition";
import { NonRetryableError } from "../execution";
import { poke } from "../sensor";
import { defineOperator, sensorSettingsShape } from "../types";

export const externalRunSensorConfigSchema = z.strictObject({
  dagId: z.string().regex(dagIdPattern, { message: "must be a DAG id" }),
  /** The state the other run must reach. */
  state: z.enum(["success", "failed"]).default("success"),
  /** Which run: the one with this run's logical date (plus the offset), or the DAG's latest run. */
  match: z.enum(["logical_date", "latest"]).default("logical_date"),
  /** With match logical_date: the other run's logical date is this run's plus this many seconds (may be negative). */
  logicalDateOffsetSeconds: z.int().default(0),
  ...sensorSettingsShape,
});

export const externalRunSensorOperator = defineOperator({
  name: "external_run_sensor",
  title: "External run sensor",
  description: "Waits for a run of another DAG to reach a state.",
  icon: "link",
  docs:
    "Waits until a run of `dagId` (same workspace, at the root or in this DAG's own folder) reaches `state`. With `match: logical_date` " +
    "(the default) that is the run whose logical date equals this run's logical date plus " +
    "`logicalDateOffsetSeconds`: use it for dependencies between DAGs that run on related " +
    "schedules, such as a daily report waiting for the hourly load of the day's last hour (offset " +
    "82800). With `match: latest` it is the DAG's latest run. The output names the run.",
  configSchema: externalRunSensorConfigSchema,
  templatedFields: [],
  defaults: { dagId: "upstream_dag", state: "success" },
  async execute(context) {
    const { config, workspaceId, run } = context;
    const [{ systemScope }, { folderOfRun, reachOf }] = await Promise.all([
      import("../../tenancy/door"),
      import("../../tenancy/folders"),
    ]);
    const scope = await systemScope(workspaceId);
    // Only DAGs this DAG reaches (docs/permissions.md): another folder's answers as a missing DAG.
    const reach = reachOf(await folderOfRun(workspaceId, run.id));
    return poke(context, async () => {
      const dag = await scope.db.dag.findFirst({
        where: { key: config.dagId, ...reach },
        select: { id: true },
      });
      if (!dag) throw new NonRetryableError(`DAG "${config.dagId}" does not exist in this workspace`);
      const logicalDate = new Date(run.logicalDate.getTime() + config.logicalDateOffsetSeconds * 1000);
      const other = await scope.db.dagRun.findFirst({
        where: {
          dagId: dag.id,
          id: { not: run.id },
          ...(config.match === "logical_date" ? { logicalDate } : {}),
        },
        orderBy: [{ logicalDate: "desc" }, { queuedAt: "desc" }],
        select: { id: true, state: true, logicalDate: true },
      });
      if (!other) {
        return {
          done: false,
          reason:
            config.match === "latest"
              ? `${config.dagId} has no run yet`
              : `${config.dagId} has no run for ${logicalDate.toISOString()}`,
        };
      }
      if (other.state !== config.state) return { done: false, reason: `run ${other.id} is ${other.state}` };
      return {
        done: true,
        output: { runId: other.id, state: other.state, logicalDate: other.logicalDate.toISOString() },
      };
    });
  },
});
