// `npm run bench -- isolation`: one tenant's load against another's latency (issue "Tenant
// isolation under hostile load"), measured side by side in one run, on one 10-slot worker process
// of the shared pool (the reserve at its default of 1 slot):
//
//  - a quiet workspace's queue-to-start p50/p99 (its one-task runs, one after another) with
//    (a) no neighbour, (b) a neighbour with a 50,000 short-task backlog, (c) a neighbour
//    saturating every slot it can get with CPU-bound code tasks (60 s of CPU each, quota 16);
//  - the worker process's peak RSS while 4 code tasks each print 100 MB (a fresh worker process);
//  - Jain's index by weight for 5 backlogged workspaces of weights 1, 1, 2, 2 and 4.
//
// Queue-to-start is the task instance's queuedAt to its attempt's startedAt, both written by the
// database. Targets: quiet p99 < 100 ms in all three cases; RSS peak < 600 MB; Jain ≥ 0.95.
//
// BENCH_ISOLATION_PARTS picks parts (comma-separated: latency, fairness, flood; default all), so
// that each fits a short run on a shared machine; the parts run in this order either way.

import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { benchDatabase, benchWorkspace, fmt, jain, percentile } from "./support";

const SLOTS = "10";
const QUIET_RUNS = 60;
const WEIGHTS = [1, 1, 2, 2, 4];
const PARTS = ["latency", "fairness", "flood"] as const;
const parts = new Set((process.env.BENCH_ISOLATION_PARTS ?? PARTS.join(",")).split(",").map((p) => p.trim()));
for (const part of parts) {
  if (!(PARTS as readonly string[]).includes(part)) {
    throw new Error(`BENCH_ISOLATION_PARTS: unknown part ${part} (parts: ${PARTS.join(", ")})`);
  }
}

export default async function isolationBench() {
  const database = await benchDatabase("isolation");
  process.env.DATABASE_URL = database.url;
  const { startWorkerProcess, killWorkerProcesses } = await import("../test/support/worker-processes");
  try {
    const rows: Array<Record<string, string>> = [];
    if (parts.has("latency") || parts.has("fairness")) {
      await startWorkerProcess({ WORKER_CONCURRENCY: SLOTS });
    }
    if (parts.has("latency")) {
      for (const l of await quietLatencies()) {
        rows.push({
          measure: `quiet queue-to-start, ${l.case}`,
          p50: `${fmt(l.p50, 0)} ms`,
          p99: `${fmt(l.p99, 0)} ms`,
          target: "p99 < 100 ms",
          met: l.p99 < 100 ? "yes" : "NO",
        });
      }
    }
    if (parts.has("fairness")) {
      const fairness = await weightedFairness(killWorkerProcesses);
      rows.push({
        measure: `Jain's index by weight, ${WEIGHTS.length} backlogged (weights ${WEIGHTS.join(", ")})`,
        p50: fmt(fairness.jain, 3),
        p99: `tasks/weight: ${fairness.perWeight.map((x) => fmt(x, 0)).join(", ")}`,
        target: "≥ 0.95",
        met: fairness.jain >= 0.95 ? "yes" : "NO",
      });
    }
    killWorkerProcesses();
    if (parts.has("flood")) {
      const flood = await logFlood(await startWorkerProcess({ WORKER_CONCURRENCY: SLOTS }));
      rows.push({
        measure: "worker RSS, 4 code tasks printing 100 MB each",
        p50: `before ${fmt(flood.beforeMb, 0)} MB`,
        p99: `peak ${fmt(flood.peakMb, 0)} MB (+${fmt(flood.peakMb - flood.beforeMb, 0)})`,
        target: "peak < 600 MB",
        met: flood.peakMb < 600 ? "yes" : "NO",
      });
    }
    console.table(rows);
    console.log(
      `load average (1, 5, 15 min): ${loadavg()
        .map((l) => fmt(l, 2))
        .join(", ")}`,
    );
  } finally {
    killWorkerProcesses();
    const { closeDb } = await import("../server/db/client");
    await closeDb();
    await database.stop();
  }
}

async function engine() {
  const [{ db }, { triggerRun }, { cancelRun }, { storeDag, waitForRun }] = await Promise.all([
    import("../server/db/client"),
    import("../server/engine/runs"),
    import("../server/engine/operations"),
    import("../test/support/engine"),
  ]);
  return { db, triggerRun, cancelRun, storeDag, waitForRun };
}

const manyTasks = (
  id: string,
  count: number,
  task: { operator: string; config: Record<string, unknown> },
) => ({
  id,
  maxActiveRuns: 10,
  tasks: Array.from({ length: count }, (_, i) => ({ id: `t${i}`, ...task })),
});

/** The quiet workspace's queue-to-start, in each case, one run at a time. */
async function quietLatencies() {
  const { db, triggerRun, cancelRun, storeDag, waitForRun } = await engine();
  const quiet = await benchWorkspace("quiet", { maxConcurrentTasks: 16 });
  await storeDag(quiet, { id: "small", tasks: [{ id: "only", operator: "noop" }] });
  const measure = async () => {
    const runs: string[] = [];
    for (let i = 0; i < QUIET_RUNS; i++) {
      const run = await triggerRun(quiet, { dagKey: "small" });
      await waitForRun(run.id, 60_000);
      runs.push(run.id);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const rows = await db.$queryRawUnsafe<Array<{ ms: number }>>(
      `SELECT extract(epoch FROM a."startedAt" - t."queuedAt") * 1000 AS ms
       FROM "TaskInstance" t JOIN "TaskAttempt" a ON a."taskInstanceId" = t.id WHERE t."runId" = ANY($1::uuid[])`,
      runs,
    );
    const waits = rows.map((r) => Number(r.ms));
    return { p50: percentile(waits, 50), p99: percentile(waits, 99) };
  };
  const results: Array<{ case: string; p50: number; p99: number }> = [];
  results.push({ case: "(a) no neighbour", ...(await measure()) });

  // (b) A neighbour with 50,000 short tasks queued (5 runs of 10,000 at once), quota far above the pool.
  const backlog = await benchWorkspace("backlog", { maxConcurrentTasks: 10_000 });
  await storeDag(backlog, manyTasks("backlog", 10_000, { operator: "test", config: { durationMs: 2 } }));
  const backlogRuns = [];
  for (let i = 0; i < 5; i++) backlogRuns.push((await triggerRun(backlog, { dagKey: "backlog" })).id);
  await waitForRunning(backlogRuns);
  results.push({ case: "(b) beside a 50,000 short-task backlog", ...(await measure()) });
  const left = await db.taskInstance.count({ where: { runId: { in: backlogRuns }, state: "queued" } });
  console.log(`(b) the backlog still had ${left} tasks queued when the quiet runs were done`);
  for (const id of backlogRuns) await cancelRun(backlog, id);

  // (c) A neighbour taking every slot it can get with code spinning for 60 s of CPU (quota 16).
  const hog = await benchWorkspace("cpu-hog", { maxConcurrentTasks: 16 });
  await storeDag(
    hog,
    manyTasks("spin", 200, {
      operator: "code",
      config: { source: "for (;;) {}", limits: { cpuMs: 60_000 } },
    }),
  );
  const spin = (await triggerRun(hog, { dagKey: "spin" })).id;
  await waitForRunning([spin]);
  const spinning = await db.taskInstance.count({ where: { runId: spin, state: "running" } });
  results.push({ case: `(c) beside ${spinning} CPU-bound tasks of 60 s`, ...(await measure()) });
  await cancelRun(hog, spin);
  return results;
}

/** Until the runs' tasks hold every slot they will get. */
async function waitForRunning(runIds: string[]) {
  const { db } = await engine();
  let last = -1;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const running = await db.taskInstance.count({ where: { runId: { in: runIds }, state: "running" } });
    if (running > 0 && running === last) return;
    last = running;
  }
}

/** Five backlogged workspaces of weights 1, 1, 2, 2, 4: tasks each completes in 10 s, per unit of weight. */
async function weightedFairness(stopWorkers: () => void) {
  const { db, triggerRun, cancelRun, storeDag } = await engine();
  const peers: Array<{ scope: Awaited<ReturnType<typeof benchWorkspace>>; weight: number; run: string }> = [];
  for (const [i, weight] of WEIGHTS.entries()) {
    const scope = await benchWorkspace(`weighted${i}`, { maxConcurrentTasks: 100, shareWeight: weight });
    await storeDag(scope, manyTasks("work", 5_000, { operator: "test", config: { durationMs: 20 } }));
    peers.push({ scope, weight, run: (await triggerRun(scope, { dagKey: "work" })).id });
  }
  // Settled: every workspace has started; then count completions over a window.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const done = () =>
    Promise.all(peers.map((p) => db.taskInstance.count({ where: { runId: p.run, state: "success" } })));
  const before = await done();
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const after = await done();
  const perWeight = peers.map((p, i) => (after[i]! - before[i]!) / p.weight);
  // The backlogs are cancelled with no worker left running: cancelling a 5,000-task run while a
  // worker under load admits and completes its tasks deadlocked five times in a row at load 20-30.
  stopWorkers();
  for (const peer of peers) await cancelRun(peer.scope, peer.run);
  return { jain: jain(perWeight), perWeight };
}

/** A fresh worker's resident memory before and at its peak while 4 code tasks print 100 MB each. */
async function logFlood(worker: ChildProcess) {
  const { triggerRun, storeDag, waitForRun } = await engine();
  const kb = (field: string) =>
    Number(
      readFileSync(`/proc/${worker.pid}/status`, "utf8").match(new RegExp(`${field}:\\s+(\\d+) kB`))![1],
    );
  const flooder = await benchWorkspace("flood", { maxConcurrentTasks: 16 });
  await storeDag(flooder, {
    id: "flood",
    tasks: Array.from({ length: 4 }, (_, i) => ({
      id: `print${i}`,
      operator: "code",
      config: {
        source: "console.log('z'.repeat(100 * 1024 * 1024)); return 1;",
        limits: { cpuMs: 60_000, memoryMiB: 128 },
      },
    })),
  });
  // A warm-up run, so that "before" includes a started sandbox.
  await storeDag(flooder, {
    id: "warm",
    tasks: [{ id: "w", operator: "code", config: { source: "return 1" } }],
  });
  await waitForRun((await triggerRun(flooder, { dagKey: "warm" })).id, 60_000);
  const beforeMb = kb("VmRSS") / 1024;
  const run = await waitForRun((await triggerRun(flooder, { dagKey: "flood" })).id, 300_000);
  const peakMb = kb("VmHWM") / 1024;
  console.log(
    `log flood: run ${run.state}; worker RSS ${fmt(beforeMb, 0)} MB before, peak ${fmt(peakMb, 0)} MB`,
  );
  return { beforeMb, peakMb };
}
