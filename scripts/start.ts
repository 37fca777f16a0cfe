// `npm start` (and `npm run dev` with --dev): the whole product on one machine. Starts the
// embedded PostgreSQL unless DATABASE_URL is set, applies migrations, builds the web app if
// needed, then runs the web server and a worker until Ctrl-C stops them all.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { checkConfig, env as settings } from "@/server/config";
import { freePort } from "@/server/db/embedded";
import { MigrationChecksumError } from "@/server/db/migrate";
import { migrateAll } from "@/server/db/migrate-all";
import { dataDir, embeddedDataDir, localDatabase, localEnvironment } from "./local-env";
import { runToEnd } from "./run-to-end";

checkConfig("start");
const dev = process.argv.includes("--dev");
const say = (line: string) => console.log(`[baton] ${line}`);

const pgData = embeddedDataDir();
say(
  settings.DATABASE_URL
    ? "using DATABASE_URL"
    : pgData.moved
      ? `starting the embedded PostgreSQL (data in ${pgData.dir}: the postgres user it runs as cannot reach ${dataDir})`
      : `starting the embedded PostgreSQL (data in ${pgData.dir})`,
);
const database = await localDatabase();
const applied = await migrateAll(database.url).catch(async (error) => {
  if (!(error instanceof MigrationChecksumError)) throw error;
  console.error(`[baton] ${error.message}`);
  await database.embedded?.stop();
  process.exit(1);
});
say(applied.length ? `applied migrations: ${applied.join(", ")}` : "database schema is up to date");

const port = await freePort(settings.PORT ?? 3000);
const env = localEnvironment(database.url, port);

if (!dev && !existsSync(".next/BUILD_ID")) {
  say("building the web app (first start only; a few minutes, longer on a busy machine)…");
  // Asynchronously: this process reads the embedded PostgreSQL's output while the build runs.
  const status = await runToEnd("next", ["build"], { stdio: "inherit", env });
  if (status !== 0) {
    await database.embedded?.stop();
    process.exit(status ?? 1);
  }
}

// A supervisor, like systemd's Restart=always: a child that exits (a crash, an out-of-memory kill)
// is started again after a pause that grows while it keeps failing; the others keep running.
interface Supervised {
  name: string;
  start: () => ChildProcess;
  child: ChildProcess;
  failures: number;
}
const supervised: Supervised[] = [
  {
    name: "web",
    start: () => spawn("next", [dev ? "dev" : "start", "--port", String(port)], { stdio: "inherit", env }),
  },
  {
    name: "worker",
    start: () => spawn("tsx", [...(dev ? ["watch"] : []), "worker/main.ts"], { stdio: "inherit", env }),
  },
].map((entry) => ({ ...entry, child: entry.start(), failures: 0 }));
say(`Baton is running at ${env.NEXTAUTH_URL}   (Ctrl-C stops it)`);

let stopping = false;
async function stopAll(code: number) {
  if (stopping) return;
  stopping = true;
  say("stopping…");
  // The worker's grace period (BATON_SHUTDOWN_GRACE_SECONDS), and a little more, before SIGKILL.
  const patience = (settings.BATON_SHUTDOWN_GRACE_SECONDS + 15) * 1000;
  await Promise.all(
    supervised.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), patience).unref();
        }),
    ),
  );
  await database.embedded?.stop();
  say("stopped");
  process.exit(code);
}
process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));

function watch(entry: Supervised) {
  const startedAt = Date.now();
  entry.child.once("exit", (code, signal) => {
    if (stopping) return;
    // A child that ran a minute was healthy: its next failure starts the count again.
    entry.failures = Date.now() - startedAt > 60_000 ? 1 : entry.failures + 1;
    const wait = Math.min(500 * 2 ** (entry.failures - 1), 30_000);
    say(`the ${entry.name} exited (${signal ?? `code ${code}`}); starting it again in ${wait / 1000} s`);
    setTimeout(() => {
      if (stopping) return;
      entry.child = entry.start();
      watch(entry);
    }, wait);
  });
}
for (const entry of supervised) watch(entry);
