// A test-only operator with a side effect outside Baton's own tables: each execution inserts
// (task instance, attempt) into `crash_effects`. The crash test counts those rows.
import { z } from "zod";
import { pgPool } from "@/server/db/client";
import { operatorCatalog } from "@/server/operators/catalog";
import { wait } from "@/server/operators/execution";
import { defineOperator, type OperatorDefinition } from "@/server/operators/types";

export const crashEffectOperator = defineOperator({
  name: "crash_effect",
  title: "Crash effect",
  description: "Records its execution, then waits.",
  icon: "flask",
  docs: "Test only.",
  configSchema: z.strictObject({ durationMs: z.int().min(0).default(0) }),
  templatedFields: [],
  async execute({ config, attempt, run, task, signal }) {
    await wait(config.durationMs, signal);
    await pgPool().query(`INSERT INTO crash_effects (run_id, task_id, attempt) VALUES ($1, $2, $3)`, [
      run.id,
      task.id,
      attempt,
    ]);
    return { output: attempt };
  },
});

export function registerCrashOperator() {
  (operatorCatalog as Map<string, OperatorDefinition>).set(
    "crash_effect",
    crashEffectOperator as OperatorDefinition,
  );
}
