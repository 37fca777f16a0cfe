import { z } from "zod";
import { wait } from "../execution";
import { defineOperator } from "../types";

export const testConfigSchema = z.strictObject({
  outcome: z.enum(["success", "fail"]).default("success"),
  /** The task's output when it succeeds. */
  output: z.unknown().optional(),
  /** Fail the first attempts, then succeed: exercises retries deterministically. */
  failTimes: z.int().min(0).max(100).default(0),
  durationMs: z.int().min(0).max(3_600_000).default(0),
});

export const testOperator = defineOperator({
  name: "test",
  title: "Test",
  description: "Deterministic outcome, output and duration, for trying out a DAG.",
  icon: "flask",
  docs:
    "Runs for `durationMs`, then ends as `outcome` says: with outcome success it fails its first " +
    "`failTimes` attempts and succeeds after that, returning `output` (templated, so it can echo " +
    "params or upstream outputs); with outcome fail every attempt fails. It touches nothing " +
    "outside Baton, which makes it the tool for rehearsing retries, trigger rules and branches.",
  configSchema: testConfigSchema,
  templatedFields: ["output"],
  defaults: { outcome: "success" },
  async execute({ config, attempt, signal, log }) {
    if (config.durationMs > 0) {
      log.info(`the test task runs for ${config.durationMs} ms`);
      await wait(config.durationMs, signal);
    }
    if (config.outcome === "fail")
      throw new Error("The test task failed, as its config says (outcome: fail)");
    if (attempt <= config.failTimes) {
      throw new Error(
        `The test task fails its first ${config.failTimes} attempt(s); this was attempt ${attempt}`,
      );
    }
    log.info("the test task succeeded");
    return { output: config.output ?? null };
  },
});
