import { z } from "zod";
import { defineOperator } from "../types";

export const noopConfigSchema = z.strictObject({});

export const noopOperator = defineOperator({
  name: "noop",
  title: "No-op",
  description: "Does nothing and succeeds.",
  icon: "circle",
  docs:
    "A task that succeeds at once without doing anything. Use it to join branches (with a trigger " +
    "rule such as none_failed), to give a group of tasks one name downstream tasks can depend on, " +
    "or as a placeholder while sketching a DAG.",
  configSchema: noopConfigSchema,
  templatedFields: [],
  defaults: {},
  async execute() {
    return { output: null };
  },
});
