// The sql operator and sql_sensor through real runs, against this test file's own PostgreSQL
// database, reached through a stored postgres connection (127.0.0.1 allowed, as a self-hoster
// would allow an internal database).
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { triggerRun } from "@/server/engine/runs";
import { generateKey } from "@/server/secrets/crypto";
import type { WorkspaceScope } from "@/server/tenancy/door";
import {
  startTestWorker,
  statesOf,
  stopTestWorker,
  storeDag,
  waitForRun,
  workspaceScope,
} from "../support/engine";
import { createUser } from "../support/factories";
import { connectToTestDatabase, instance, logOf, runDag } from "../support/operators";

process.env.BATON_HTTP_ALLOW = "127.0.0.1/32";
process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

let scope: WorkspaceScope;
let admin: pg.Client;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query("CREATE TABLE IF NOT EXISTS staging (day date, n int)");
  const owner = await createUser("sql");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 20 });
  await connectToTestDatabase(scope);
  await startTestWorker(4);
});
afterAll(async () => {
  await stopTestWorker();
  await admin.end();
});

const sql = (id: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id,
  operator: "sql",
  config: { connection: "warehouse", ...config },
  ...extra,
});

describe("sql", () => {
  it("binds templated parameters, returns rows as output and caps them at maxRows", async () => {
    const run = await runDag(
      scope,
      {
        id: "sql_rows",
        params: { prefix: { type: "string", default: "item" } },
        tasks: [
          sql("create", {
            statement:
              "CREATE TABLE IF NOT EXISTS items (id int primary key, name text, meta jsonb, at timestamptz)",
          }),
          sql(
            "insert",
            {
              statement:
                "INSERT INTO items SELECT g, $1 || g, $2::jsonb, '2030-01-01T00:00:00Z' FROM generate_series(1, 5) g ON CONFLICT DO NOTHING",
              parameters: ["{{ params.prefix }}-", { x: 1 }],
            },
            { dependsOn: ["create"] },
          ),
          sql(
            "select",
            {
              statement: "SELECT id, name, meta, at FROM items WHERE id <= $1 ORDER BY id",
              parameters: [4],
              maxRows: 2,
            },
            { dependsOn: ["insert"] },
          ),
          sql("injection", { statement: "SELECT $1::text AS value", parameters: ["{{ params.prefix }}"] }),
          sql("dates", {
            statement:
              "SELECT '2030-05-01'::date AS day, ARRAY['2030-05-01'::date, '2030-05-02'] AS days, '2030-05-01 06:30'::timestamp AS at",
          }),
        ],
      },
      { prefix: "'; DROP TABLE items; --" },
    );
    expect(run.state).toBe("success");
    expect(instance(run, "insert").output).toMatchObject({ command: "INSERT", rowCount: 5, rows: [] });
    expect(instance(run, "select").output).toEqual({
      command: "SELECT",
      rowCount: 4,
      truncated: true,
      rows: [
        { id: 1, name: "'; DROP TABLE items; ---1", meta: { x: 1 }, at: "2030-01-01T00:00:00.000Z" },
        { id: 2, name: "'; DROP TABLE items; ---2", meta: { x: 1 }, at: "2030-01-01T00:00:00.000Z" },
      ],
    });
    // Whatever the worker host's time zone (.ci/run runs this file in New York's too).
    expect(instance(run, "dates").output).toMatchObject({
      rows: [{ day: "2030-05-01", days: ["2030-05-01", "2030-05-02"], at: "2030-05-01T06:30:00.000Z" }],
    });
    // The parameter is data, never SQL.
    expect(instance(run, "injection").output).toMatchObject({ rows: [{ value: "'; DROP TABLE items; --" }] });
    expect(await logOf(scope, run.id, "select")).toMatch(/SELECT: 4 row\(s\) in \d+ ms; kept the first 2/);
  });

  it("fails bad statements without retry, and bounds them with the statement timeout", async () => {
    const run = await runDag(scope, {
      id: "sql_errors",
      tasks: [
        sql("syntax", { statement: "SELEC 1" }, { retries: 2, retryDelaySeconds: 0 }),
        sql("missing", { statement: "SELECT * FROM nowhere" }),
        sql("slow", { statement: "SELECT pg_sleep(5)", statementTimeoutSeconds: 0.3 }),
        { id: "bad_conn", operator: "sql", config: { connection: "nope", statement: "select 1" } },
      ],
    });
    expect(statesOf(run)).toMatchObject({
      syntax: "failed",
      missing: "failed",
      slow: "failed",
      bad_conn: "failed",
    });
    expect(instance(run, "syntax").error).toMatch(/^PostgreSQL: syntax error at or near "SELEC" \(42601\)$/);
    expect(instance(run, "syntax").attempts).toHaveLength(1);
    expect(instance(run, "missing").error).toMatch(/relation "nowhere" does not exist \(42P01\)/);
    expect(instance(run, "slow").error).toMatch(/statement timeout \(57014\)/);
    expect(instance(run, "bad_conn").error).toBe('Connection "nope" does not exist in this workspace');
  });

  it("cancels the statement on the server when the attempt is aborted", async () => {
    const run = await runDag(scope, {
      id: "sql_abort",
      tasks: [
        sql("sleepy", { statement: "SELECT pg_sleep(30) AS marker_sleep_abort" }, { timeoutSeconds: 0.5 }),
      ],
    });
    expect(instance(run, "sleepy").error).toMatch(/Timed out after 0.5 s/);
    await expect
      .poll(
        async () =>
          (
            await admin.query(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%marker_sleep_abort%' AND pid <> pg_backend_pid()",
            )
          ).rows[0].n,
        { timeout: 5000 },
      )
      .toBe(0);
  });
});

describe("sql_sensor", () => {
  it("waits until the first value of the first row is truthy", async () => {
    await storeDag(scope, {
      id: "sql_wait",
      tasks: [
        {
          id: "wait",
          operator: "sql_sensor",
          config: {
            connection: "warehouse",
            statement: "SELECT count(*) FROM staging WHERE day = $1::date",
            parameters: ["2030-05-01"],
            pokeIntervalSeconds: 1,
          },
        },
      ],
    });
    const { id } = await triggerRun(scope, { dagKey: "sql_wait" });
    await expect
      .poll(async () => (await logOf(scope, id, "wait")).includes('check 1: the query returned "0"'), {
        timeout: 10_000,
      })
      .toBe(true);
    await admin.query("INSERT INTO staging VALUES ('2030-05-01', 7)");
    const run = await waitForRun(id);
    expect(statesOf(run)).toEqual({ wait: "success" });
    expect(instance(run, "wait").output).toEqual({ value: "1", row: { count: "1" } });
  });
});
