import { z } from "zod";
import { dagIdPattern } from "../../dags/definition";
import { defineOperator, sensorSettingsShape } from "../types";

export const externalRunSensorConfigSchema = z.strictObject({
  dagId: z.string().regex(dagIdPattern, { message: "must be a DAG id" }),
  /** The state the other run must reach. */
  state: z.enum(["success", "failed"]).default("success"),
  /** Which run: the one whose logical date is this run's plus this many seconds (may be negative). */
  logicalDateOffsetSeconds: z.int().default(0),
  ...sensorSettingsShape,
});

export const externalRunSensorOperator = defineOperator({
  name: "external_run_sensor",
  title: "External run sensor",
  description: "Waits for a run of another DAG to reach a state.",
  icon: "🔗",
  docs:
    "Waits until the run of `dagId` (same workspace) whose logical date equals this run's logical " +
    "date plus `logicalDateOffsetSeconds` reaches `state`. Use it for dependencies between DAGs " +
    "that run on related schedules, such as a daily report waiting for the hourly load of the " +
    "day's last hour (offset 82800).",
  configSchema: externalRunSensorConfigSchema,
  templatedFields: [],
  defaults: { dagId: "upstream_dag", state: "success" },
});
