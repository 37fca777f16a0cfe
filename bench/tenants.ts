// `npm run bench -- tenants`: many tenants busy at the same moment on one PostgreSQL (issue "Many
// tenants at once"), measured side by side in one run on one worker process (10 slots):
//
//  - bursts: N workspaces (N = 20, 200, 2,000 by default; BENCH_TENANTS=20,200,2000,10000 for the
//    issue's full list) each trigger one 3-task chain of no-op tasks at once (16 trigger calls in
//    flight, as a web process's pool would): trigger calls/s and p50, engine tasks/s, start p50/p99
//    (trigger call → first task started), end p50/p99 (trigger call → run ended), worker CPU per
//    task, DagVersion reads per task; tasks/s as a ratio of the smallest N's;
//  - spreads: the same number of no-op tasks spread as few workspaces × many tasks and many
//    workspaces × few tasks (BENCH_SPREADS, default 20x1000,2000x10), one fan-out run each:
//    tasks/s, worker CPU per task and DagVersion reads, with the second's ratios to the first.
//
//  - first, the trigger's own latency: 200 workspaces triggered one call at a time (p50/p99 of the
//    second half; the target's figure, where the bursts' p50 includes waiting behind other calls).
//
// Workspaces and their DAGs are written with a few bulk statements (as many sign-ups would leave
// them); everything measured goes through the product: triggerRun, a worker process. DagVersion
// compiles are the compiled-DAG cache's misses (each one read of the version and one compile) in
// the worker and in this process (the triggers'); scans are PostgreSQL's own count of scans of the
// table (pg_stat_user_tables), by every statement that joins it (run starts read maxActiveRuns).
// Targets on 2 cores: tasks/s at N = 10,000 within 0.8 of N = 20; trigger p50 < 10 ms; DagVersion
// reads per task < 0.1 at N = 2,000.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { createInterface } from "node:readline";
import pg from "pg";
import { connectionFields } from "../server/db/url";
import { benchDatabase, fmt, percentile } from "./support";

const SLOTS = "10";
const TRIGGERS_IN_FLIGHT = 16;
/** Workspaces triggered one call at a time, for the trigger's own latency (no queue of calls). */
const ALONE = 200;
const sizes = (process.env.BENCH_TENANTS ?? "20,200,2000").split(",").map(Number);
const spreads = (process.env.BENCH_SPREADS ?? "20x1000,2000x10").split(",").map((s) => {
  const [workspaces, tasks] = s.split("x").map(Number);
  return { workspaces: workspaces!, tasks: tasks! };
});

let admin: pg.Pool;
let worker: ChildProcess;

export default async function tenantsBench() {
  const database = await benchDatabase("tenants");
  process.env.DATABASE_URL = database.url;
  admin = new pg.Pool({ ...connectionFields(database.url), max: 4 });
  try {
    worker = await startBenchWorker();
    const load = loadavg()[0]!;
    const alone = await triggersOneAtATime(ALONE);
    const bursts = [];
    for (const n of sizes) bursts.push(await burst(n));
    const base = bursts[0]!;
    console.table(
      bursts.map((b) => ({
        workspaces: b.n,
        "trigger calls/s": fmt(b.triggersPerSecond, 0),
        "trigger p50 (ms)": fmt(b.triggerP50),
        "tasks/s": fmt(b.tasksPerSecond, 0),
        [`tasks/s ÷ N=${base.n}`]: fmt(b.tasksPerSecond / base.tasksPerSecond, 2),
        "start p50/p99 (ms)": `${fmt(b.start.p50, 0)} / ${fmt(b.start.p99, 0)}`,
        "end p50/p99 (ms)": `${fmt(b.end.p50, 0)} / ${fmt(b.end.p99, 0)}`,
        "N ÷ tasks/s (ms)": fmt((b.n / b.tasksPerSecond) * 1000, 0),
        "worker CPU/task (ms)": fmt(b.cpuPerTask, 2),
        "DagVersion compiles/task": fmt(b.compiles / (b.n * 3), 3),
        "DagVersion scans/task": fmt(b.versionReads / (b.n * 3), 3),
      })),
    );
    const spread = [];
    for (const s of spreads) spread.push(await spreadRound(s.workspaces, s.tasks));
    const first = spread[0]!;
    console.table(
      spread.map((s) => ({
        spread: `${s.workspaces} × ${s.tasks}`,
        "tasks/s": fmt(s.tasksPerSecond, 0),
        "tasks/s ratio": fmt(s.tasksPerSecond / first.tasksPerSecond, 2),
        "worker CPU/task (ms)": fmt(s.cpuPerTask, 2),
        "CPU ratio": fmt(s.cpuPerTask / first.cpuPerTask, 2),
        "DagVersion compiles": String(s.compiles),
        "compiles/task": fmt(s.compiles / (s.workspaces * s.tasks), 3),
        "DagVersion scans/task": fmt(s.versionReads / (s.workspaces * s.tasks), 3),
      })),
    );
    console.log(
      `targets: tasks/s at the largest N within 0.8 of N=${base.n} (got ${fmt(bursts.at(-1)!.tasksPerSecond / base.tasksPerSecond, 2)}); ` +
        `trigger p50 < 10 ms (got ${fmt(alone.p50)} one call at a time, p99 ${fmt(alone.p99)}, over ${ALONE} workspaces; ` +
        `${bursts.map((b) => fmt(b.triggerP50)).join(", ")} with ${TRIGGERS_IN_FLIGHT} in flight); ` +
        `DagVersion compiles per task < 0.1 (got ${bursts.map((b) => fmt(b.compiles / (b.n * 3), 3)).join(", ")}); ` +
        `load average at start ${fmt(load, 2)}, at end ${fmt(loadavg()[0]!, 2)} (1 min, ${(await import("node:os")).cpus().length} cores)`,
    );
  } finally {
    worker?.kill("SIGKILL");
    await admin.end();
    // The runs' usage counts wait a second in memory: written now, not into a stopped database.
    await (await import("../server/usage/meter")).flushUsage();
    const { closeDb } = await import("../server/db/client");
    await closeDb();
    await database.stop();
  }
}

/** The worker process (bench/tenants-worker.ts), once it runs. */
function startBenchWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/tenants-worker.ts"], {
    env: { ...process.env, WORKER_CONCURRENCY: SLOTS, BATON_LOG_LEVEL: "warn" },
    stdio: ["pipe", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      if (line === "ready") resolve(child);
      if (line.startsWith("stats ")) statsWaiters.shift()?.(JSON.parse(line.slice(6)).reads);
    });
    child.on("error", reject);
  });
}
const statsWaiters: Array<(reads: number) => void> = [];

/** DAG versions read and compiled so far by the worker (its cache's misses) and by this process. */
async function compiles(): Promise<number> {
  const { dagCacheStats } = await import("../server/engine/graph");
  const workerReads = await new Promise<number>((resolve) => {
    statsWaiters.push(resolve);
    worker.stdin!.write("stats\n");
  });
  return workerReads + dagCacheStats.reads;
}

/** CPU time the worker process has used, in ms (user + system, from /proc). */
function workerCpuMs(): number {
  const fields = readFileSync(`/proc/${worker.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** Scans of DagVersion so far, once every process's pending statistics are flushed. */
async function versionReads(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const { rows } = await admin.query<{ n: string }>(
    `SELECT (seq_scan + coalesce(idx_scan, 0))::text AS n FROM pg_stat_user_tables WHERE relname = 'DagVersion'`,
  );
  return Number(rows[0]!.n);
}

/** `count` workspaces named `prefix-i`, each with one DAG of `tasks` no-op tasks (a chain or a fan-out). */
async function provision(prefix: string, count: number, tasks: number, shape: "chain" | "fanout") {
  const { validateDag } = await import("../server/dags/validate");
  const result = validateDag({
    id: "work",
    tasks: Array.from({ length: tasks }, (_, i) => ({
      id: `t${i}`,
      operator: "noop",
      config: {},
      dependsOn: shape === "chain" && i > 0 ? [`t${i - 1}`] : [],
    })),
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const { rows } = await admin.query<{ id: string }>(
    `WITH ids AS MATERIALIZED (
       SELECT i, gen_random_uuid() AS w, gen_random_uuid() AS d, gen_random_uuid() AS v
       FROM generate_series(1, $2::int) i),
     w AS (
       INSERT INTO "Workspace" (id, slug, name, "maxConcurrentTasks")
       SELECT w, $1 || '-' || i, $1 || ' ' || i, 16 FROM ids),
     d AS (
       INSERT INTO "Dag" (id, "workspaceId", key, "updatedAt", "currentVersionId")
       SELECT d, w, 'work', now(), v FROM ids),
     v AS (
       INSERT INTO "DagVersion" (id, "workspaceId", "dagId", number, definition, hash, "authorLabel")
       SELECT v, w, d, 1, $3::jsonb, md5($3::text), 'bench' FROM ids)
     SELECT w AS id FROM ids ORDER BY i`,
    [prefix, count, JSON.stringify(result.dag)],
  );
  const { systemScope } = await import("../server/tenancy/door");
  const scopes = [];
  for (const { id } of rows) scopes.push(await systemScope(id));
  return scopes;
}

/** Calls triggerRun for every scope, `TRIGGERS_IN_FLIGHT` at a time; when each call began and took. */
async function triggerAll(scopes: Awaited<ReturnType<typeof provision>>) {
  const { triggerRun } = await import("../server/engine/runs");
  const calls: { runId: string; at: number; ms: number }[] = [];
  let next = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: TRIGGERS_IN_FLIGHT }, async () => {
      while (next < scopes.length) {
        const scope = scopes[next++]!;
        const at = Date.now();
        const t0 = performance.now();
        const { id } = await triggerRun(scope, { dagKey: "work", triggeredBy: "api" });
        calls.push({ runId: id, at, ms: performance.now() - t0 });
      }
    }),
  );
  return { calls, seconds: (performance.now() - began) / 1000 };
}

/** One trigger at a time in each of `n` fresh workspaces (worker running): the call's own p50/p99. */
async function triggersOneAtATime(n: number) {
  const { triggerRun } = await import("../server/engine/runs");
  const scopes = await provision("alone", n, 3, "chain");
  const ms: number[] = [];
  for (const scope of scopes) {
    const t0 = performance.now();
    await triggerRun(scope, { dagKey: "work", triggeredBy: "api" });
    ms.push(performance.now() - t0);
  }
  await untilRunsEnd("alone");
  // The first calls warm this process (connections, prepared plans): the second half is measured.
  const measured = ms.slice(n / 2);
  return { p50: percentile(measured, 50), p99: percentile(measured, 99) };
}

async function untilRunsEnd(prefix: string) {
  for (;;) {
    const { rows } = await admin.query<{ open: number }>(
      `SELECT count(*)::int AS open FROM "DagRun" r JOIN "Workspace" w ON w.id = r."workspaceId"
       WHERE w.slug LIKE $1 || '-%' AND r.state NOT IN ('success', 'failed', 'cancelled')`,
      [prefix],
    );
    if (rows[0]!.open === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Tasks/s over the tasks of the prefix's runs: first start to last end, as the database wrote them. */
async function taskSpan(prefix: string) {
  const { rows } = await admin.query<{ tasks: number; seconds: number }>(
    `SELECT count(*)::int AS tasks, extract(epoch FROM max(t."endedAt") - min(t."startedAt"))::float8 AS seconds
     FROM "TaskInstance" t JOIN "Workspace" w ON w.id = t."workspaceId" WHERE w.slug LIKE $1 || '-%'`,
    [prefix],
  );
  return rows[0]!;
}

async function burst(n: number) {
  const prefix = `burst${n}`;
  const scopes = await provision(prefix, n, 3, "chain");
  const readsBefore = await versionReads();
  const compilesBefore = await compiles();
  const cpuBefore = workerCpuMs();
  const { calls, seconds } = await triggerAll(scopes);
  await untilRunsEnd(prefix);
  const cpu = workerCpuMs() - cpuBefore;
  const reads = (await versionReads()) - readsBefore;
  const compiled = (await compiles()) - compilesBefore;
  const { rows } = await admin.query<{ id: string; firstStart: Date; ended: Date }>(
    `SELECT r.id, min(t."startedAt") AS "firstStart", r."endedAt" AS ended
     FROM "DagRun" r JOIN "TaskInstance" t ON t."runId" = r.id WHERE r.id = ANY($1::uuid[]) GROUP BY r.id`,
    [calls.map((c) => c.runId)],
  );
  const byRun = new Map(rows.map((r) => [r.id, r]));
  const starts = calls.map((c) => byRun.get(c.runId)!.firstStart.getTime() - c.at);
  const ends = calls.map((c) => byRun.get(c.runId)!.ended.getTime() - c.at);
  const span = await taskSpan(prefix);
  return {
    n,
    triggersPerSecond: n / seconds,
    triggerP50: percentile(
      calls.map((c) => c.ms),
      50,
    ),
    tasksPerSecond: span.tasks / span.seconds,
    start: { p50: percentile(starts, 50), p99: percentile(starts, 99) },
    end: { p50: percentile(ends, 50), p99: percentile(ends, 99) },
    cpuPerTask: cpu / (n * 3),
    versionReads: reads,
    compiles: compiled,
  };
}

async function spreadRound(workspaces: number, tasks: number) {
  const prefix = `spread${workspaces}x${tasks}`;
  const scopes = await provision(prefix, workspaces, tasks, "fanout");
  const readsBefore = await versionReads();
  const compilesBefore = await compiles();
  const cpuBefore = workerCpuMs();
  await triggerAll(scopes);
  await untilRunsEnd(prefix);
  const cpu = workerCpuMs() - cpuBefore;
  const reads = (await versionReads()) - readsBefore;
  const compiled = (await compiles()) - compilesBefore;
  const span = await taskSpan(prefix);
  return {
    workspaces,
    compiles: compiled,
    tasks,
    tasksPerSecond: span.tasks / span.seconds,
    cpuPerTask: cpu / (workspaces * tasks),
    versionReads: reads,
  };
}
