// `npm test`: every suite (unit, integration, browser) against a real PostgreSQL.
//  1. a PostgreSQL server: TEST_DATABASE_URL if given (any database on the server to use), else
//     the embedded one in .data/test-postgres;
//  2. a template database migrated once; each test file clones its own from it;
//  3. a Chromium for the browser suite, and a production build of the web app;
//  4. Vitest; then one line `N passed, N failed` over all suites.
// Arguments go to Vitest, e.g. `npm test -- --project unit` or `npm test -- test/unit/roles`.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { checkConfig, env as settings } from "@/server/config";
import { startEmbeddedPostgres } from "@/server/db/embedded";
import { migrateAll } from "@/server/db/migrate-all";
import { connectionFields, withDatabase } from "@/server/db/url";
import { findBrowser } from "./find-browser";
import { runToEnd } from "./run-to-end";

checkConfig("test");
const say = (line: string) => console.log(`[test] ${line}`);
const lockFile = ".data/browser-suite.lock";
const args = process.argv.slice(2);
const onlyProjects = args.flatMap((a, i) =>
  a === "--project" ? [args[i + 1]] : a.startsWith("--project=") ? [a.slice(10)] : [],
);
const wants = (project: string) =>
  onlyProjects.length === 0
    ? !args.some((a) => a.startsWith("test/")) || args.some((a) => a.startsWith(`test/${project}`))
    : onlyProjects.includes(project);

// A cluster of its own per run (initialising one takes about a second), so that several test
// runs on one machine never share or drop each other's databases.
const clusterDir = path.join(os.tmpdir(), `baton-test-pg-${process.pid}`);
const embedded = settings.TEST_DATABASE_URL
  ? undefined
  : await startEmbeddedPostgres({ dir: clusterDir, durable: false });
const serverUrl = withDatabase(settings.TEST_DATABASE_URL ?? embedded!.serverUrl, "postgres");
say(
  embedded
    ? `PostgreSQL: embedded server at ${new URL(serverUrl).host}`
    : `PostgreSQL: ${new URL(serverUrl).host} (TEST_DATABASE_URL)`,
);

const template = `baton_test_template_${process.pid}`;
const admin = new pg.Client(connectionFields(serverUrl));
await admin.connect();
// Leftovers of interrupted runs.
const stale = await admin.query<{ datname: string }>(
  "SELECT datname FROM pg_database WHERE datname LIKE 'baton_test_%'",
);
for (const { datname } of stale.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
await admin.query(`CREATE DATABASE "${template}"`);
const started = Date.now();
await migrateAll(withDatabase(serverUrl, template));
say(`template database ${template} migrated in ${Date.now() - started} ms`);

// Request lines and the like would bury test output; warnings and errors still show.
process.env.BATON_LOG_LEVEL ??= "warn";
const env: NodeJS.ProcessEnv = {
  ...process.env,
  TEST_PG_SERVER_URL: serverUrl,
  TEST_TEMPLATE_DB: template,
  NEXT_TELEMETRY_DISABLED: "1",
  NODE_ENV: "test",
};

if (wants("browser") || wants("system")) {
  if (wants("browser")) env.BATON_CHROMIUM_PATH = findBrowser(say);
  // The browser and system suites serve the build in .next: runs of them on one checkout take turns.
  await acquireBuildLock();
  say("building the web app for the browser and system suites…");
  const built = await runToEnd("next", ["build"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...env, NODE_ENV: "production" },
  });
  if (built !== 0) {
    say("next build failed");
    process.exitCode = 1;
  }
}

mkdirSync("test-results", { recursive: true });
const report = `test-results/vitest-${process.pid}.json`;
rmSync(report, { force: true });
const vitest = await runToEnd(
  "vitest",
  ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...args],
  { stdio: "inherit", env },
);

let passed = 0;
let failed = 0;
try {
  const results = JSON.parse(readFileSync(report, "utf8")) as {
    success: boolean;
    numPassedTests: number;
    numFailedTests: number;
    testResults: { status: string; assertionResults: unknown[] }[];
  };
  passed = results.numPassedTests;
  // A file that fails to load has no test results of its own; count it as one failure.
  failed =
    results.numFailedTests +
    results.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
  // Errors outside any test (unhandled rejections) fail the run without failing a test.
  if (!results.success && failed === 0) failed = 1;
} catch {
  failed = Math.max(1, failed);
}

await admin.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
await admin.end();
await embedded?.stop();
rmSync(clusterDir, { recursive: true, force: true });
rmSync(report, { force: true });
releaseBuildLock();

console.log(`${passed} passed, ${failed} failed`);
process.exit(vitest === 0 && failed === 0 && !process.exitCode ? 0 : 1);

function lockHolder(): number | undefined {
  try {
    return Number(readFileSync(lockFile, "utf8"));
  } catch {
    return undefined;
  }
}

async function acquireBuildLock() {
  mkdirSync(".data", { recursive: true });
  for (let waited = 0; ; waited++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: "wx" });
      return;
    } catch {
      const holder = lockHolder();
      const alive =
        holder !== undefined &&
        (() => {
          try {
            process.kill(holder, 0);
            return true;
          } catch {
            return false;
          }
        })();
      if (!alive) rmSync(lockFile, { force: true });
      else if (waited % 30 === 0)
        say(`waiting for another test run (pid ${holder}) to finish its browser suite…`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function releaseBuildLock() {
  if (lockHolder() === process.pid) rmSync(lockFile, { force: true });
}
