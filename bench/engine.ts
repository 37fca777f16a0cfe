// `npm run bench -- engine`: Baton's engine against raw graphile-worker, pg-boss and BullMQ (on
// Redis; skipped with a note where none answers), measured side by side in one run (issue "The
// execution engine", point 10; issue 24, point 5). The peers are in peers.ts, installed into
// bench/peers/ on the first run (skipped with a note where that fails).
//
//  - hop latency: a 1,000-task chain of no-op tasks, upstream end → downstream start;
//  - the 40-task chain of ~10 ms tasks from published orchestrator comparisons: total time;
//  - throughput: a 10,000-task fan-out of no-op tasks;
//  - fairness: one workspace with a 50,000-task backlog and 20 quiet workspaces submitting small
//    DAGs (quiet queue-to-start p50/p99), and Jain's index over equally weighted backlogged
//    workspaces.
//
// Hops are timed the same way on both sides, in the process running the tasks with
// performance.now(): raw graphile-worker's in its handler, Baton's around its operators' execute
// (the bench wraps the no-op and test operators). Run times are the runs' own (queued → ended).
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { Logger, run as runGraphile, type Task } from "graphile-worker";
import { bullmqFigures, loadPeers, pgBossFigures, type QueueFigures } from "./peers";
import { benchDatabase, benchWorkspace, fmt, jain, percentile } from "./support";

const WORKER_CONCURRENCY = 10;
const quiet = new Logger(() => () => {});

export type EngineFigures = Awaited<ReturnType<typeof engineFigures>>;

/**
 * `--json <file>` also writes the figures there (the report reads them). `--statements` prints,
 * for Baton's 1,000-task chain, each kind of statement the engine sent per hop and its mean time
 * (the hop's profile). `--quick`: Baton's hop and 40-task chain only (for profiling a change).
 */
export default async function engineBench(args: string[] = []) {
  const options = { statements: args.includes("--statements"), quick: args.includes("--quick") };
  if (options.quick) {
    const database = await benchDatabase("engine");
    process.env.DATABASE_URL = database.url;
    try {
      const baton = await batonFigures(options);
      console.log(
        `Baton: hop p50 ${fmt(baton.hop.p50, 2)} ms, p95 ${fmt(baton.hop.p95, 2)} ms, p99 ${fmt(baton.hop.p99, 2)} ms; 40 × 10 ms chain ${fmt(baton.chain40 / 1000, 3)} s`,
      );
    } finally {
      const { closeDb } = await import("../server/db/client");
      await closeDb();
      await database.stop();
    }
    return;
  }
  const figures = await engineFigures(options);
  printEngine(figures);
  const json = args[args.indexOf("--json") + 1];
  if (args.includes("--json") && json) writeFileSync(json, JSON.stringify(figures));
}

/** Every system's figures, measured one after the other on the same database server. */
export async function engineFigures(options: { statements?: boolean } = {}) {
  const database = await benchDatabase("engine");
  process.env.DATABASE_URL = database.url;
  try {
    const raw = await rawGraphile(database.url);
    const peers = await loadPeers();
    const pgBoss =
      typeof peers === "string" ? peers : await pgBossFigures(peers, database.url, WORKER_CONCURRENCY);
    const bullmq = typeof peers === "string" ? peers : await bullmqFigures(peers, WORKER_CONCURRENCY);
    for (const note of new Set([pgBoss, bullmq].filter((f) => typeof f === "string"))) console.log(note);
    const baton = await batonFigures(options);
    const measured = (f: QueueFigures | string) => (typeof f === "string" ? undefined : f);
    return { baton, raw, pgBoss: measured(pgBoss), bullmq: measured(bullmq) };
  } finally {
    const { closeDb } = await import("../server/db/client");
    await closeDb();
    await database.stop();
  }
}

export function printEngine({ baton, raw, pgBoss, bullmq }: EngineFigures) {
  const peers = (pick: (f: QueueFigures) => number, digits: number) => ({
    "raw graphile-worker": fmt(pick(raw), digits),
    "pg-boss": pgBoss ? fmt(pick(pgBoss), digits) : "skipped",
    BullMQ: bullmq ? fmt(pick(bullmq), digits) : "skipped",
    "Baton / raw": fmt(pick(baton) / pick(raw), 2),
    "Baton / BullMQ": bullmq ? fmt(pick(baton) / pick(bullmq), 2) : "—",
  });
  const none = {
    "raw graphile-worker": "—",
    "pg-boss": "—",
    BullMQ: "—",
    "Baton / raw": "—",
    "Baton / BullMQ": "—",
  };
  console.table([
    {
      measure: "hop p50 (ms)",
      baton: fmt(baton.hop.p50, 2),
      ...peers((f) => f.hop.p50, 2),
      target: "≤ 1.0 ms and below raw",
    },
    { measure: "hop p95 (ms)", baton: fmt(baton.hop.p95, 2), ...peers((f) => f.hop.p95, 2), target: "" },
    { measure: "hop p99 (ms)", baton: fmt(baton.hop.p99, 2), ...peers((f) => f.hop.p99, 2), target: "" },
    {
      measure: "40 × 10 ms chain (s)",
      baton: fmt(baton.chain40 / 1000, 2),
      ...peers((f) => f.chain40 / 1000, 2),
      target: "< 0.45 s, under BullMQ",
    },
    {
      measure: "fan-out throughput (tasks/s)",
      baton: fmt(baton.throughput, 0),
      ...peers((f) => f.throughput, 0),
      target: "≥ 1.0 × raw",
    },
    { measure: "quiet queue-to-start p50 (ms)", baton: fmt(baton.fair.quietP50), ...none, target: "" },
    {
      measure: "quiet queue-to-start p99 (ms)",
      baton: fmt(baton.fair.quietP99),
      ...none,
      target: "< 100 ms",
    },
    { measure: "Jain's index (5 backlogged)", baton: fmt(baton.fair.jain, 3), ...none, target: "≥ 0.95" },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Raw graphile-worker: the same workloads with handlers that enqueue their successor.

async function rawGraphile(connectionString: string) {
  const starts: number[] = [];
  const ends: number[] = [];
  let done: () => void = () => {};
  let chainLength = 0;
  let sleepMs = 0;
  let fanoutLeft = 0;
  const taskList: Record<string, Task> = {
    chain: async (payload, helpers) => {
      const i = (payload as { i: number }).i;
      starts[i] = performance.now();
      if (sleepMs) await new Promise((r) => setTimeout(r, sleepMs));
      if (i + 1 < chainLength) {
        ends[i] = performance.now();
        await helpers.addJob("chain", { i: i + 1 });
      } else done();
    },
    noop: async () => {
      if (--fanoutLeft === 0) done();
    },
  };
  const runner = await runGraphile({
    connectionString,
    taskList,
    concurrency: WORKER_CONCURRENCY,
    noHandleSignals: true,
    logger: quiet,
    pollInterval: 1000,
  });
  const utils = runner;
  const chain = async (length: number, sleep: number) => {
    chainLength = length;
    sleepMs = sleep;
    starts.length = 0;
    ends.length = 0;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const t0 = performance.now();
    await utils.addJob("chain", { i: 0 });
    await finished;
    return performance.now() - t0;
  };
  await chain(50, 0); // warm up
  await chain(1000, 0);
  const hops = starts.slice(1).map((start, i) => start - ends[i]!);
  const chain40 = await chain(40, 10);

  fanoutLeft = 10_000;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await runner.stop();
  const { makeWorkerUtils } = await import("graphile-worker");
  const workerUtils = await makeWorkerUtils({ connectionString, logger: quiet });
  await workerUtils.withPgClient((client) =>
    client.query(
      `SELECT count(*) FROM graphile_worker.add_jobs(ARRAY(SELECT ROW('noop', '{}'::json, NULL, NULL, 1, NULL, 0, NULL)::graphile_worker.job_spec FROM generate_series(1, 10000)))`,
    ),
  );
  await workerUtils.release();
  const t0 = performance.now();
  const fanRunner = await runGraphile({
    connectionString,
    taskList,
    concurrency: WORKER_CONCURRENCY,
    noHandleSignals: true,
    logger: quiet,
    pollInterval: 1000,
  });
  await finished;
  const throughput = 10_000 / ((performance.now() - t0) / 1000);
  await fanRunner.stop();
  return {
    hop: { p50: percentile(hops, 50), p95: percentile(hops, 95), p99: percentile(hops, 99) },
    hops,
    chain40,
    throughput,
  };
}

// ---------------------------------------------------------------------------------------------
// Baton: the same workloads as DAG runs through the engine.

async function batonFigures(options: { statements?: boolean; quick?: boolean } = {}) {
  const { db } = await import("../server/db/client");
  const { triggerRun } = await import("../server/engine/runs");
  const { startWorker } = await import("../worker/runner");
  const { storeDag, waitForRun } = await import("../test/support/engine");

  const newWorkspace = (name: string, maxConcurrentTasks: number) =>
    benchWorkspace(name, { maxConcurrentTasks });
  const timings = await timeOperators(["noop", "test"]);
  const runner = await startWorker({ concurrency: WORKER_CONCURRENCY });
  try {
    const main = await newWorkspace("main", 10_000);
    const chainDag = (id: string, length: number, config: Record<string, unknown>, operator = "noop") => ({
      id,
      tasks: Array.from({ length }, (_, i) => ({
        id: `t${i}`,
        operator,
        config,
        dependsOn: i ? [`t${i - 1}`] : [],
      })),
    });

    await storeDag(main, chainDag("warmup", 50, {}));
    await waitForRun((await triggerRun(main, { dagKey: "warmup" })).id, 60_000);

    await storeDag(main, chainDag("hop", 1000, {}));
    const profile = options.statements ? await profileStatements() : undefined;
    const hopRunId = (await triggerRun(main, { dagKey: "hop" })).id;
    await waitForRun(hopRunId, 300_000);
    profile?.print(1000);
    const hops = timings.hops(hopRunId, 1000);

    await storeDag(main, chainDag("chain40", 40, { durationMs: 10 }, "test"));
    const chainRun = await waitForRun((await triggerRun(main, { dagKey: "chain40" })).id, 60_000);
    const chain40 = chainRun.endedAt!.getTime() - chainRun.queuedAt.getTime();
    const chainHops = timings.hops(chainRun.id, 40);
    console.log(
      `40 × 10 ms chain: hop p50 ${fmt(percentile(chainHops, 50), 2)} ms, p95 ${fmt(percentile(chainHops, 95), 2)} ms`,
    );

    if (options.quick) {
      const hop = { p50: percentile(hops, 50), p95: percentile(hops, 95), p99: percentile(hops, 99) };
      return { hop, hops, chain40, throughput: Number.NaN, fair: { quietP50: 0, quietP99: 0, jain: 0 } };
    }

    await storeDag(main, {
      id: "fanout",
      tasks: Array.from({ length: 10_000 }, (_, i) => ({ id: `t${i}`, operator: "noop", config: {} })),
    });
    const fanRun = await waitForRun((await triggerRun(main, { dagKey: "fanout" })).id, 600_000);
    const throughput = 10_000 / ((fanRun.endedAt!.getTime() - fanRun.startedAt!.getTime()) / 1000);

    const fair = await fairness(newWorkspace, storeDag, triggerRun, db);
    return {
      hop: { p50: percentile(hops, 50), p95: percentile(hops, 95), p99: percentile(hops, 99) },
      hops,
      chain40,
      throughput,
      fair,
    };
  } finally {
    await runner.stop();
  }
}

/**
 * Times every statement sent on any connection from now on (pg.Client's query, looked up at each
 * call: server/db/sql.ts), grouped by its text's start; `print` shows them per hop and stops.
 */
async function profileStatements() {
  const pg = (await import("pg")).default;
  const query = pg.Client.prototype.query;
  const kinds = new Map<string, { count: number; ms: number }>();
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    const text = typeof args[0] === "string" ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    const kind = (text ?? "?").replace(/\s+/g, " ").slice(0, 60);
    const t0 = performance.now();
    const note = () => {
      const entry = kinds.get(kind) ?? { count: 0, ms: 0 };
      entry.count++;
      entry.ms += performance.now() - t0;
      kinds.set(kind, entry);
    };
    // The pool passes a callback; a client used directly answers a promise.
    const callback = args.at(-1);
    if (typeof callback === "function")
      args[args.length - 1] = (...answer: unknown[]) => {
        note();
        return callback(...answer);
      };
    const result = (query as (...a: unknown[]) => unknown).apply(this, args);
    if (result instanceof Promise) result.then(note, note);
    return result;
  } as typeof query;
  return {
    print(hops: number) {
      pg.Client.prototype.query = query;
      console.log(`statements per hop (${hops}-task chain): count, mean ms, statement`);
      for (const [kind, { count, ms }] of [...kinds].sort((a, b) => b[1].count - a[1].count))
        console.log(`${fmt(count / hops, 2).padStart(7)} ${fmt(ms / count, 3).padStart(8)}  ${kind}`);
    },
  };
}

/**
 * Wraps operators' execute to note when each task starts and ends in this process, keyed by run
 * and task id; `hops` gives a chain's upstream end → downstream start gaps (tasks t0…t(n-1)).
 */
async function timeOperators(names: string[]) {
  const { operatorCatalog } = await import("../server/operators/catalog");
  const marks = new Map<string, { start: number; end: number }>();
  for (const name of names) {
    const operator = operatorCatalog.get(name)!;
    const execute = operator.execute!;
    operator.execute = async (context) => {
      const mark = { start: performance.now(), end: Number.NaN };
      marks.set(`${context.run.id}/${context.task.id}`, mark);
      try {
        return await execute(context);
      } finally {
        mark.end = performance.now();
      }
    };
  }
  return {
    hops(runId: string, length: number): number[] {
      const hops: number[] = [];
      for (let i = 1; i < length; i++) {
        const up = marks.get(`${runId}/t${i - 1}`)!;
        const down = marks.get(`${runId}/t${i}`)!;
        hops.push(down.start - up.end);
      }
      return hops;
    },
  };
}

async function fairness(
  newWorkspace: (name: string, cap: number) => Promise<import("../server/tenancy/door").WorkspaceScope>,
  storeDag: typeof import("../test/support/engine").storeDag,
  triggerRun: typeof import("../server/engine/runs").triggerRun,
  db: typeof import("../server/db/client").db,
) {
  const { cancelRun } = await import("../server/engine/operations");
  const CAP = 10;
  // One noisy workspace: 50,000 queued tasks of 2 ms each.
  const noisy = await newWorkspace("noisy", CAP);
  await storeDag(noisy, {
    id: "backlog",
    maxActiveRuns: 5,
    tasks: Array.from({ length: 10_000 }, (_, i) => ({
      id: `t${i}`,
      operator: "test",
      config: { durationMs: 2 },
    })),
  });
  const backlog = [];
  for (let i = 0; i < 5; i++) backlog.push((await triggerRun(noisy, { dagKey: "backlog" })).id);

  // Twenty quiet workspaces, each submitting a three-task DAG five times while the backlog waits.
  const quiet = [];
  for (let i = 0; i < 20; i++) {
    const scope = await newWorkspace(`quiet${i}`, CAP);
    await storeDag(scope, {
      id: "small",
      tasks: [
        { id: "a", operator: "noop", config: {} },
        { id: "b", operator: "noop", config: {}, dependsOn: ["a"] },
        { id: "c", operator: "noop", config: {}, dependsOn: ["b"] },
      ],
    });
    quiet.push(scope);
  }
  const quietRuns: string[] = [];
  for (let round = 0; round < 5; round++) {
    for (const scope of quiet) quietRuns.push((await triggerRun(scope, { dagKey: "small" })).id);
    await new Promise((r) => setTimeout(r, 300));
  }
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const open = await db.dagRun.count({
      where: { id: { in: quietRuns }, state: { in: ["queued", "running"] } },
    });
    if (open === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const attempts = await db.taskAttempt.findMany({
    where: { taskInstance: { runId: { in: quietRuns } } },
    select: { startedAt: true, taskInstance: { select: { queuedAt: true } } },
  });
  const waits = attempts.map((a) => a.startedAt.getTime() - a.taskInstance.queuedAt!.getTime());
  const stillQueued = await db.taskInstance.count({
    where: { runId: { in: backlog }, state: { in: ["none", "queued"] } },
  });
  for (const id of backlog) await cancelRun(noisy, id).catch(() => {});

  // Five backlogged workspaces with the same quota: how evenly do they share the workers?
  const peers = [];
  for (let i = 0; i < 5; i++) {
    const scope = await newWorkspace(`peer${i}`, 4);
    await storeDag(scope, {
      id: "work",
      tasks: Array.from({ length: 2_000 }, (_, k) => ({
        id: `t${k}`,
        operator: "test",
        config: { durationMs: 2 },
      })),
    });
    peers.push({ scope, run: (await triggerRun(scope, { dagKey: "work" })).id });
  }
  await new Promise((r) => setTimeout(r, 5_000));
  const shares = [];
  for (const peer of peers) {
    shares.push(await db.taskInstance.count({ where: { runId: peer.run, state: "success" } }));
    await cancelRun(peer.scope, peer.run).catch(() => {});
  }
  console.log(
    `fairness: backlog still queued while quiet runs finished: ${stillQueued}; peer shares over 5 s: ${shares.join(", ")}`,
  );
  return { quietP50: percentile(waits, 50), quietP99: percentile(waits, 99), jain: jain(shares) };
}
