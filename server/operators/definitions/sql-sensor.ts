import { z } from "zod";
import { poke } from "../sensor";
import { defineOperator, sensorSettingsShape } from "../types";
import { runStatement, sqlQueryShape } from "./sql";

export const sqlSensorConfigSchema = z.strictObject({
  ...sqlQueryShape,
  /** Bounds each check. */
  statementTimeoutSeconds: z.number().positive().max(3600).default(60),
  ...sensorSettingsShape,
});

/** Truthy as a SQL answer: not null, false, 0, "0" (a bigint count arrives as text) or empty. */
export function sqlTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === "") return false;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value)) return Number(value) !== 0;
  return true;
}

export const sqlSensorOperator = defineOperator({
  name: "sql_sensor",
  title: "SQL sensor",
  description: "Waits until a query returns a truthy value.",
  icon: "search",
  docs:
    "Runs `statement` every `pokeIntervalSeconds` until the first column of its first row is " +
    "truthy (not null, false, 0 or empty), for example `select count(*) from staging where day = $1`. " +
    "The output is that value and its row. After `timeoutSeconds` it fails, or is skipped with " +
    "`softFail`. Only `parameters` is templated.",
  configSchema: sqlSensorConfigSchema,
  templatedFields: ["parameters"],
  connectionFields: { connection: ["postgres"] },
  defaults: { connection: "warehouse", statement: "select exists (select 1)" },
  async execute(context) {
    const { config, signal, workspaceId, run } = context;
    return poke(context, async () => {
      const result = await runStatement({ workspaceId, runId: run.id }, config, {
        timeoutSeconds: config.statementTimeoutSeconds,
        maxRows: 1,
        signal,
      });
      const row = result.rows[0];
      const value = row ? Object.values(row)[0] : undefined;
      if (!sqlTruthy(value)) {
        return { done: false, reason: row ? `the query returned ${JSON.stringify(value)}` : "no rows" };
      }
      return { done: true, output: { value, row } };
    });
  },
});
