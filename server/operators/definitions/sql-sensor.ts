import { z } from "zod";
import { defineOperator, sensorSettingsShape } from "../types";
import { sqlQueryShape } from "./sql";

export const sqlSensorConfigSchema = z.strictObject({
  ...sqlQueryShape,
  ...sensorSettingsShape,
});

export const sqlSensorOperator = defineOperator({
  name: "sql_sensor",
  title: "SQL sensor",
  description: "Waits until a query returns a truthy value.",
  icon: "🔎",
  docs:
    "Runs `statement` every `pokeIntervalSeconds` until the first column of its first row is " +
    "truthy (not null, false, 0 or empty), for example `select count(*) from staging where day = $1`. " +
    "After `timeoutSeconds` it fails, or is skipped with `softFail`. Only `parameters` is templated.",
  configSchema: sqlSensorConfigSchema,
  templatedFields: ["parameters"],
  connectionFields: { connection: ["postgres"] },
  defaults: { connection: "warehouse", statement: "select exists (select 1)" },
});
