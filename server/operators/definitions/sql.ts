import { z } from "zod";
import type { RunReach } from "../../tenancy/folders";
import { NonRetryableError } from "../execution";
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

export interface StatementResult {
  /** SELECT, INSERT, UPDATE…; null when the server did not say. */
  command: string | null;
  /** Rows returned or affected. */
  rowCount: number;
  rows: Record<string, unknown>[];
  /** More rows came back than `maxRows` (or 16 MiB of them); the rest were dropped. */
  truncated: boolean;
}

/**
 * Runs one parameterised statement on a PostgreSQL connection of the workspace, on a client of its
 * own (opened for this call, closed after it and when `signal` aborts), under a statement timeout.
 * Rows past `maxRows` are read and dropped, not kept, so a huge result cannot fill the worker's memory.
 */
export async function runStatement(
  from: RunReach,
  query: { connection: string; statement: string; parameters: unknown[] },
  options: { timeoutSeconds: number; maxRows: number; signal: AbortSignal },
): Promise<StatementResult> {
  const [{ default: pg }, net, { loadTaskConnection }, { checkedTcpAddress }, { maskSecrets }] =
    await Promise.all([
      import("pg"),
      import("node:net"),
      import("../runtime"),
      import("../tcp-egress"),
      import("../../templating/template"),
    ]);
  const connection = await loadTaskConnection(from, query.connection, ["postgres"]);
  const fields = connection.fields as {
    host: string;
    port?: number;
    database: string;
    user: string;
    password?: string;
    ssl?: boolean;
  };
  const port = fields.port ?? 5432;
  const address = await checkedTcpAddress(fields.host, port, "PostgreSQL");
  const timeoutMs = Math.round(options.timeoutSeconds * 1000);
  const client = new pg.Client({
    host: address,
    port,
    database: fields.database,
    user: fields.user,
    password: fields.password,
    // Connected by checked address; TLS still verifies the certificate against the host name.
    ssl: fields.ssl === false ? false : net.isIP(fields.host) ? true : { servername: fields.host },
    // Server-side only: pg's client-side query_timeout would turn the row-streaming query below
    // into a callback query (rows kept in memory, errors never emitted).
    statement_timeout: timeoutMs,
    connectionTimeoutMillis: 15_000,
    application_name: "baton task",
    // `date` values as PostgreSQL writes them ("2030-05-01"): node-postgres would make each the
    // worker host's local midnight, so the output would depend on where the worker runs (and a day
    // early east of UTC). Arrays of dates alike, as arrays of text.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === DATE_OID
          ? (text: string) => text
          : pg.types.getTypeParser(
              oid === DATE_ARRAY_OID ? TEXT_ARRAY_OID : oid,
              format,
            )) as typeof pg.types.getTypeParser,
    },
  });
  // A dropped connection surfaces through the query; unhandled, it would crash the worker.
  client.on("error", () => {});
  const close = () => void client.end().catch(() => {});
  // Closing the socket alone would leave the statement running on the server until it next
  // writes to the client: cancel it first, as psql's Ctrl-C does.
  const abort = () => {
    const { processID, secretKey } = client as unknown as {
      processID: number | null;
      secretKey: number | null;
    };
    if (processID !== null && secretKey !== null) {
      const request = Buffer.alloc(16);
      request.writeInt32BE(16, 0);
      request.writeInt32BE(80_877_102, 4); // CancelRequest code
      request.writeInt32BE(processID, 8);
      request.writeInt32BE(secretKey, 12);
      const socket = net.connect({ host: address, port });
      socket.on("error", () => {});
      socket.setTimeout(5000, () => socket.destroy());
      socket.end(request);
    }
    close();
  };
  options.signal.addEventListener("abort", abort, { once: true });
  try {
    await client.connect();
    const rows: Record<string, unknown>[] = [];
    let keptBytes = 0;
    let truncated = false;
    const result = await new Promise<{ command?: string; rowCount?: number | null }>((resolve, reject) => {
      const statement = new pg.Query({ text: query.statement, values: query.parameters });
      statement.on("row", (row: Record<string, unknown>) => {
        if (truncated || rows.length >= options.maxRows) {
          truncated = true;
          return;
        }
        const text = JSON.stringify(jsonRow(row));
        keptBytes += text.length;
        if (keptBytes > MAX_KEPT_BYTES) truncated = true;
        else rows.push(JSON.parse(text));
      });
      statement.on("end", resolve);
      statement.on("error", reject);
      client.query(statement);
    });
    return {
      command: result.command ?? null,
      rowCount: result.rowCount ?? rows.length,
      rows,
      truncated,
    };
  } catch (error) {
    options.signal.throwIfAborted();
    const { code, message } = error as { code?: string; message?: string };
    const text = maskSecrets(`PostgreSQL: ${message ?? String(error)}${code ? ` (${code})` : ""}`, [
      ...connection.secretValues,
    ]);
    // Syntax, missing objects, bad data, constraint violations, refused credentials: the same
    // statement would fail the same way again.
    throw code && /^(42|22|23|28|3D)/.test(code) ? new NonRetryableError(text) : new Error(text);
  } finally {
    options.signal.removeEventListener("abort", abort);
    close();
  }
}

const DATE_OID = 1082;
const DATE_ARRAY_OID = 1182;
const TEXT_ARRAY_OID = 1009;

/**
 * Rows kept as output, measured as JSON text (UTF-16 units): past it the rest are read and
 * dropped like rows past `maxRows`, whatever the statement returns.
 */
const MAX_KEPT_BYTES = 16 * 1024 * 1024;

/** A row as JSON values: dates as ISO strings, bytea as `\x…` hex, as PostgreSQL writes it. */
function jsonRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    out[column] = Buffer.isBuffer(value)
      ? `\\x${value.toString("hex")}`
      : value instanceof Date
        ? Number.isNaN(value.getTime())
          ? null
          : value.toISOString()
        : value;
  }
  return out;
}

export const sqlOperator = defineOperator({
  name: "sql",
  title: "SQL statement",
  description: "Runs a statement on a PostgreSQL connection; rows become the output.",
  icon: "database",
  docs:
    "Runs `statement` with `parameters` bound to $1, $2… on the connection's database. The output " +
    "is `{ command, rowCount, rows, truncated }` with at most `maxRows` rows as objects. Only " +
    "`parameters` is templated by default: values reach the database as bound parameters, never " +
    'spliced into SQL. A task may opt in to templating the statement itself with `templated: ["statement"]`, ' +
    "for identifiers such as a partition name, at its own risk. Each attempt opens its own " +
    "connection, bounded by `statementTimeoutSeconds`.",
  configSchema: sqlConfigSchema,
  templatedFields: ["parameters"],
  connectionFields: { connection: ["postgres"] },
  defaults: { connection: "warehouse", statement: "select 1" },
  async execute({ config, signal, log, workspaceId, run }) {
    const started = performance.now();
    const result = await runStatement({ workspaceId, runId: run.id }, config, {
      timeoutSeconds: config.statementTimeoutSeconds,
      maxRows: config.maxRows,
      signal,
    });
    log.info(
      `${result.command ?? "statement"}: ${result.rowCount} row(s) in ${Math.round(performance.now() - started)} ms` +
        (result.truncated
          ? `; kept the first ${result.rows.length} (maxRows ${config.maxRows}, at most 16 MiB)`
          : ""),
    );
    return { output: result };
  },
});
