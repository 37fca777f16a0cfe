// Runs before each integration and browser test file: clones a fresh database from the migrated
// template and points DATABASE_URL at it, so files never see each other's rows.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll } from "vitest";
import { closeDb } from "@/server/db/client";
import { connectionFields, withDatabase } from "@/server/db/url";

const serverUrl = process.env.TEST_PG_SERVER_URL;
const template = process.env.TEST_TEMPLATE_DB;
if (!serverUrl || !template)
  throw new Error("Run the suites with `npm test`, which prepares the test database server");

const name = `baton_test_${randomBytes(5).toString("hex")}`;
const admin = new pg.Client(connectionFields(serverUrl));
await admin.connect();
await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
process.env.DATABASE_URL = withDatabase(serverUrl, name);

// Cleanup only: the whole test cluster is thrown away after the run, so a drop stalled by a loaded
// machine is reported and left behind rather than failing the file whose tests all passed.
afterAll(async () => {
  const limit = new Promise<"stalled">((resolve) => setTimeout(() => resolve("stalled"), 40_000).unref());
  const outcome = await Promise.race([dropDatabase().then(() => "dropped" as const), limit]).catch(
    (error: Error) => error.message,
  );
  if (outcome !== "dropped") console.warn(`test database ${name} left behind: ${outcome}`);
});

async function dropDatabase() {
  await closeDb();
  // pg's pool.end() resolves before the server has seen every socket close; wait for that, so
  // the forced drop below does not kill connections that are already on their way out.
  for (let i = 0; i < 50; i++) {
    const open = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [
      name,
    ]);
    if (open.rows[0].n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}
