import { z } from "zod";
import { defineOperator, resourceName } from "../types";

/** The query part shared by the sql operator and sql_sensor. */
export const sqlQueryShape = {
  /** A PostgreSQL connection. */
  connection: resourceName,
  /** One statement, with $1, $2… placeholders for `parameters`. */
  statement: z.string().min(1),
  parameters: z.array(z.unknown()).default(() => []),
};

export const sqlConfigSchema = z.strictObject({
  ...sqlQueryShape,
  statementTimeoutSeconds: z
    .number()
    .positive()
    .max(6 * 3600)
    .default(300),
  /** Rows kept as output; the statement's other rows are dropped. */
  maxRows: z.int().min(0).max(100_000).default(1000),
});

export const sqlOperator = defineOperator({
  name: "sql",
  title: "SQL statement",
  description: "Runs a statement on a PostgreSQL connection; rows become the output.",
  icon: "🗄️",
  docs:
    "Runs `statement` with `parameters` bound to $1, $2… on the connection's database. The output " +
    "is `{ rowCount, rows }` with at most `maxRows` rows as objects. Only `parameters` is templated " +
    "by default: values reach the database as bound parameters, never spliced into SQL. A task may " +
    'opt in to templating the statement itself with `templated: ["statement"]`, for identifiers ' +
    "such as a partition name, at its own risk.",
  configSchema: sqlConfigSchema,
  templatedFields: ["parameters"],
  connectionFields: { connection: ["postgres"] },
  defaults: { connection: "warehouse", statement: "select 1" },
});
