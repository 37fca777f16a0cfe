import { z } from "zod";
import { dagIdPattern } from "../../dags/definition";
import { defineOperator } from "../types";

export const triggerDagConfigSchema = z.strictObject({
  /** Another DAG of the same workspace. */
  dagId: z.string().regex(dagIdPattern, { message: "must be a DAG id" }),
  params: z.record(z.string(), z.unknown()).default(() => ({})),
  /** Succeed only when the triggered run succeeds (fail when it fails), instead of at once. */
  waitForCompletion: z.boolean().default(false),
  pollSeconds: z.number().min(1).max(3600).default(30),
});

export const triggerDagOperator = defineOperator({
  name: "trigger_dag",
  title: "Trigger DAG",
  description: "Starts a run of another DAG, optionally waiting for it.",
  icon: "🚀",
  docs:
    "Starts a run of `dagId` in the same workspace with `params` (templated, validated against " +
    "that DAG's params). The output is the new run's id. With `waitForCompletion` the task follows " +
    "the run, checking every `pollSeconds`, and ends as the run ends; the task timeout bounds the wait.",
  configSchema: triggerDagConfigSchema,
  templatedFields: ["params"],
  defaults: { dagId: "other_dag", waitForCompletion: false },
});
