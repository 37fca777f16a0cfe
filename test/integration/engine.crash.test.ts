// Workers killed with SIGKILL at random while 100 runs of a 20-task DAG execute, with every core
// spun by a CPU hog beside them: every run still completes, and each task's side effect is
// recorded exactly once for its successful attempt (an attempt that died may have left an effect,
// but never a second one for the same attempt, and never a success without one).
import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { startCpuHog } from "../support/cpu-hog";
import { registerCrashOperator } from "../support/crash-operator";
import { storeDag, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { killWorkerProcesses, startWorkerProcess, workerProcesses } from "../support/worker-processes";

const RUNS = Number(process.env.CRASH_TEST_RUNS ?? 100);
const TASKS = 20;
const WORKERS = 2;
const MAX_KILLS = 20;
const STALL_SECONDS = Number(process.env.CRASH_TEST_STALL_SECONDS ?? 120);

let scope: WorkspaceScope;
/** A worker that reaps dead workers' attempts quickly. */
const startWorker = () =>
  startWorkerProcess({
    WORKER_CONCURRENCY: "4",
    BATON_LOST_ATTEMPT_SECONDS: "5", // the least the configuration allows: heartbeats come every 2 s
    BATON_REAP_EVERY_MS: "500",
  });

beforeAll(async () => {
  registerCrashOperator();
  await db.$executeRawUnsafe(`CREATE TABLE crash_effects (run_id uuid, task_id text, attempt int)`);
  const owner = await createUser("crash");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 100 });
  // Four parallel chains of five tasks: every hop is a chance to be killed mid-way.
  await storeDag(scope, {
    id: "crashy",
    maxActiveRuns: 50,
    defaults: { retries: 20, retryDelaySeconds: 0.1 },
    tasks: Array.from({ length: TASKS }, (_, i) => ({
      id: `t${i}`,
      operator: "crash_effect",
      config: { durationMs: (i * 7) % 30 },
      dependsOn: i % 5 === 0 ? [] : [`t${i - 1}`],
    })),
  });
});

let stopHog: (() => Promise<void>) | undefined;
afterAll(async () => {
  killWorkerProcesses();
  await stopHog?.();
});

it("completes every run with exactly one effect per successful attempt while workers are killed", async () => {
  for (let i = 0; i < WORKERS; i++) await startWorker();
  stopHog = startCpuHog();
  const runIds: string[] = [];
  for (let i = 0; i < RUNS; i++) runIds.push((await triggerRun(scope, { dagKey: "crashy" })).id);

  // Liveness, not speed: the test fails when no run ends for STALL_SECONDS (a machine shared with
  // other work may be slow, but a stuck run never ends), or at the test's own timeout.
  let kills = 0;
  let open = RUNS;
  let progressAt = Date.now();
  while (Date.now() - progressAt < STALL_SECONDS * 1000) {
    const now = await db.dagRun.count({
      where: { id: { in: runIds }, state: { in: ["queued", "running"] } },
    });
    if (now < open) progressAt = Date.now();
    open = now;
    if (open === 0) break;
    if (process.env.CRASH_TEST_VERBOSE) {
      const states = await db.taskInstance.groupBy({
        by: ["state"],
        where: { runId: { in: runIds } },
        _count: true,
      });
      console.log(
        `open runs ${open}, kills ${kills}, tasks ${states.map((s) => `${s.state}=${s._count}`).join(" ")}`,
      );
    }
    // Kill a random worker now and then (the first three times at once: on a loaded machine a
    // replacement takes long to start, and the runs may all end before chance gets to three),
    // and start a replacement.
    if ((kills < 3 || Math.random() < 0.5) && kills < MAX_KILLS) {
      const workers = workerProcesses();
      workers[Math.floor(Math.random() * workers.length)]?.kill("SIGKILL");
      kills++;
      await startWorker();
    }
    await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 700));
  }
  if (open > 0) {
    // Say what is stuck before failing.
    const states = await db.taskInstance.groupBy({
      by: ["state"],
      where: { runId: { in: runIds } },
      _count: true,
    });
    const dispatch = await db.workspaceDispatch.findMany();
    const jobs = await db.$queryRawUnsafe(
      `SELECT task_identifier, locked_by IS NOT NULL AS locked, run_at < now() AS due, attempts, last_error, count(*)::int AS n FROM graphile_worker.jobs GROUP BY 1, 2, 3, 4, 5`,
    );
    const runs = await db.dagRun.groupBy({ by: ["state"], where: { id: { in: runIds } }, _count: true });
    const stuck = await db.$queryRawUnsafe(
      `SELECT t.state, t."tryNumber", a.number, a.state AS attempt, a."workerId", extract(epoch from now() - a."heartbeatAt")::float AS silent
         FROM "TaskInstance" t LEFT JOIN "TaskAttempt" a ON a."taskInstanceId" = t.id
         WHERE t."runId" = ANY($1::uuid[]) AND t.state <> 'success' ORDER BY t.id, a.number LIMIT 20`,
      runIds,
    );
    const activity = await db.$queryRawUnsafe(
      `SELECT state, wait_event_type, wait_event, left(query, 80) AS query FROM pg_stat_activity WHERE datname = current_database()`,
    );
    console.log(
      JSON.stringify(
        { states, dispatch, jobs, runs, stuck, activity },
        (_, v) => (typeof v === "bigint" ? Number(v) : v),
        1,
      ),
    );
  }
  expect(open).toBe(0);
  expect(kills).toBeGreaterThanOrEqual(3);

  const runs = await db.dagRun.groupBy({ by: ["state"], where: { id: { in: runIds } }, _count: true });
  expect(runs).toEqual([{ state: "success", _count: RUNS }]);

  // Effects per (run, task, attempt): never more than one.
  const duplicates = await db.$queryRawUnsafe<{ n: bigint }[]>(
    `SELECT count(*) AS n FROM (SELECT 1 FROM crash_effects GROUP BY run_id, task_id, attempt HAVING count(*) > 1) d`,
  );
  expect(Number(duplicates[0]!.n)).toBe(0);
  // Every successful instance has exactly one effect for the attempt that succeeded.
  const missing = await db.$queryRawUnsafe<{ n: bigint }[]>(
    `SELECT count(*) AS n FROM "TaskInstance" t
       WHERE t."runId" = ANY($1::uuid[]) AND NOT EXISTS (
         SELECT 1 FROM crash_effects e WHERE e.run_id = t."runId" AND e.task_id = t."taskId" AND e.attempt = t."tryNumber")`,
    runIds,
  );
  expect(Number(missing[0]!.n)).toBe(0);
  const instances = await db.taskInstance.count({ where: { runId: { in: runIds }, state: "success" } });
  expect(instances).toBe(RUNS * TASKS);
  console.log(`crash test: ${kills} workers killed; ${instances} task instances succeeded`);
}, 900_000);
