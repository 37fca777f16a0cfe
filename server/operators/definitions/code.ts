import { z } from "zod";
import { defineOperator } from "../types";

export const codeConfigSchema = z.strictObject({
  language: z.enum(["javascript", "typescript"]).default("javascript"),
  source: z.string().min(1),
  /** Data handed to the code; templated, so upstream outputs and params arrive as values. */
  inputs: z.record(z.string(), z.unknown()).default(() => ({})),
});

export const codeOperator = defineOperator({
  name: "code",
  title: "Code",
  description: "Runs a snippet of JavaScript or TypeScript in a sandbox.",
  icon: "📜",
  docs:
    "Runs `source` in a sandbox with memory and time limits and no network or file system. The " +
    "code reads `inputs` and what it returns becomes the task output. `inputs` is templated and " +
    "`source` is not: upstream outputs and params reach the code as data, never spliced into it, " +
    "so a value cannot change what the code does. Suited to glue: reshaping JSON, small computations.",
  configSchema: codeConfigSchema,
  templatedFields: ["inputs"],
  defaults: { language: "javascript", source: "return inputs;" },
});
