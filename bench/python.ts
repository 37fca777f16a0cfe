// `npm run bench -- python`: Python tasks against JavaScript ones, side by side in one process (one
// worker's sandboxes): start-to-first-line latency (from asking for the run to the code's first log
// line) and throughput of trivial tasks, with the Python pool warm (an interpreter loaded and
// waiting) and cold (pool size 0: each task waits for an interpreter to load from the snapshot);
// the resident memory of the worker and of its Python process, and what an idle pooled
// interpreter costs.
import { readFileSync } from "node:fs";
import { type PoolStatus, pythonHost, runPython, stopPython } from "../server/sandbox/python/run-python";
import { runCode } from "../server/sandbox/run-code";
import { fmt, percentile, table } from "./support";

const TASKS = Number(process.env.BENCH_PYTHON_TASKS ?? 200);
const CONCURRENCY = 4;
const LATENCY_SAMPLES = Number(process.env.BENCH_PYTHON_SAMPLES ?? 40);
const inputs = { params: { n: 1 }, upstream: {}, vars: {} };
const MB = 1024 * 1024;

type Runner = (onFirstLine: () => void) => Promise<unknown>;

const jsTask: Runner = (onFirstLine) =>
  runCode({ source: "console.log('start'); return params.n + 1", inputs, onLog: onFirstLine });
const pyTask: Runner = (onFirstLine) =>
  runPython({ source: "print('start')\nresult = params['n'] + 1", inputs, onLog: onFirstLine });

/** Milliseconds from asking for a run to its first log line. */
async function firstLine(task: Runner): Promise<number> {
  const asked = performance.now();
  let at: number | undefined;
  const result = (await task(() => {
    at ??= performance.now();
  })) as { ok: boolean };
  if (!result.ok || at === undefined) throw new Error(`the task failed: ${JSON.stringify(result)}`);
  return at - asked;
}

async function latencies(task: Runner, before?: () => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    await before?.();
    samples.push(await firstLine(task));
  }
  return samples;
}

/** Tasks per second, `TASKS` of them at `CONCURRENCY` at a time. */
async function throughput(task: Runner): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < TASKS) await firstLine(task);
    }),
  );
  return TASKS / ((performance.now() - started) / 1000);
}

function rssOf(pid: number | "self"): number {
  const kB = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB/m);
  return kB ? (Number(kB[1]) * 1024) / MB : Number.NaN;
}

async function pool(): Promise<PoolStatus & { pid: number }> {
  const host = await pythonHost();
  return { ...(await host.status()), pid: host.pid };
}

/** Waits until the pool holds `size` loaded interpreters and nothing is loading. */
async function poolFull(size: number): Promise<void> {
  for (;;) {
    const status = await pool();
    if (status.ready >= size && status.starting === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function withPool<T>(size: number, work: () => Promise<T>): Promise<T> {
  await stopPython();
  process.env.BATON_PYTHON_POOL_SIZE = String(size);
  await pythonHost(); // makes the snapshot (once per process; not part of any figure)
  await poolFull(size);
  return work();
}

export default async function bench() {
  // JavaScript first, warmed up.
  await latencies(jsTask);
  const js = { latency: await latencies(jsTask), throughput: await throughput(jsTask) };

  // Each pool size in a fresh Python process, its resident size measured before any task ran.
  const warm = await withPool(CONCURRENCY, async () => {
    const rss = rssOf((await pool()).pid);
    const latency = await latencies(pyTask, () => poolFull(CONCURRENCY));
    return { latency, throughput: await throughput(pyTask), rss, after: rssOf((await pool()).pid) };
  });
  const workerRss = rssOf("self");

  const cold = await withPool(0, async () => {
    const rss = rssOf((await pool()).pid);
    const latency = await latencies(pyTask);
    return { latency, throughput: await throughput(pyTask), rss };
  });
  await stopPython();

  const row = (
    name: string,
    figures: { latency: number[]; throughput: number },
    base?: { latency: number[] },
  ) => ({
    tasks: name,
    "first line p50 ms": fmt(percentile(figures.latency, 50)),
    "first line p99 ms": fmt(percentile(figures.latency, 99)),
    "start overhead p50 vs code ms": base
      ? fmt(percentile(figures.latency, 50) - percentile(base.latency, 50))
      : "",
    [`throughput /s (${TASKS}, ${CONCURRENCY} at a time)`]: fmt(figures.throughput),
  });
  table([
    row("code (QuickJS)", js),
    row("python, warm pool", warm, js),
    row("python, cold pool (size 0)", cold, js),
  ]);
  const perInterpreter = (warm.rss - cold.rss) / CONCURRENCY;
  table([
    { what: "worker process RSS (after the runs)", MB: fmt(workerRss) },
    { what: `Python process RSS, ${CONCURRENCY} idle interpreters (fresh process)`, MB: fmt(warm.rss) },
    { what: "Python process RSS, no idle interpreter (fresh process)", MB: fmt(cold.rss) },
    { what: `Python process RSS after the warm runs`, MB: fmt(warm.after) },
    { what: "RSS per idle pooled interpreter", MB: fmt(perInterpreter) },
  ]);
  const overheadWarm = percentile(warm.latency, 50) - percentile(js.latency, 50);
  const overheadCold = percentile(cold.latency, 50) - percentile(js.latency, 50);
  console.log(
    `targets: start overhead p50 warm ${fmt(overheadWarm)} ms (< 50: ${overheadWarm < 50 ? "met" : "NOT met"}), ` +
      `cold ${fmt(overheadCold)} ms (< 300: ${overheadCold < 300 ? "met" : "NOT met"})`,
  );
}
