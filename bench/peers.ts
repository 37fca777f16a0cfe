// Peer job queues for `npm run bench -- engine` (issue 24, point 5): BullMQ on Redis and pg-boss on
// the bench's PostgreSQL, driven by the same workloads as raw graphile-worker — a chain whose
// handler enqueues its successor (hops timed in the handler with performance.now(), from just
// before the enqueue to the successor's start), the 40 × 10 ms chain, and a 10,000-job fan-out
// enqueued before the workers start. They are not Baton's dependencies: the first peer bench installs
// them into bench/peers/ (its own package.json and lockfile) and imports them from there.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { percentile } from "./support";

export interface QueueFigures {
  hop: { p50: number; p95: number; p99: number };
  hops: number[];
  chain40: number;
  throughput: number;
}

const FANOUT = 10_000;

/** The shared driver: `enqueue` adds a chain job; `start`/`stop` run the workers. */
async function measure(queue: {
  start(handlers: { chain: (i: number) => Promise<void>; noop: () => void }): Promise<void>;
  stop(): Promise<void>;
  enqueueChain(i: number): Promise<void>;
  enqueueFanout(count: number): Promise<void>;
}): Promise<QueueFigures> {
  const starts: number[] = [];
  const ends: number[] = [];
  let done: () => void = () => {};
  let chainLength = 0;
  let sleepMs = 0;
  let fanoutLeft = 0;
  const handlers = {
    chain: async (i: number) => {
      starts[i] = performance.now();
      if (sleepMs) await new Promise((r) => setTimeout(r, sleepMs));
      if (i + 1 < chainLength) {
        ends[i] = performance.now();
        await queue.enqueueChain(i + 1);
      } else done();
    },
    noop: () => {
      if (--fanoutLeft === 0) done();
    },
  };
  await queue.start(handlers);
  const chain = async (length: number, sleep: number) => {
    chainLength = length;
    sleepMs = sleep;
    starts.length = 0;
    ends.length = 0;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const t0 = performance.now();
    await queue.enqueueChain(0);
    await finished;
    return performance.now() - t0;
  };
  await chain(50, 0); // warm up
  await chain(1000, 0);
  const hops = starts.slice(1).map((start, i) => start - ends[i]!);
  const chain40 = await chain(40, 10);
  await queue.stop();

  fanoutLeft = FANOUT;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await queue.enqueueFanout(FANOUT);
  const t0 = performance.now();
  await queue.start(handlers);
  await finished;
  const throughput = FANOUT / ((performance.now() - t0) / 1000);
  await queue.stop();
  return {
    hop: { p50: percentile(hops, 50), p95: percentile(hops, 95), p99: percentile(hops, 99) },
    hops,
    chain40,
    throughput,
  };
}

/** BullMQ on the Redis at BENCH_REDIS_URL (redis://127.0.0.1:6379); a note instead where none answers. */
export async function bullmqFigures(
  { Redis, Queue, Worker }: Peers,
  concurrency: number,
): Promise<QueueFigures | string> {
  const url = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    return `BullMQ skipped: no Redis answers at ${url} (${(error as Error).message})`;
  } finally {
    probe.disconnect();
  }
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  // A worker given a connection leaves it open when it closes: each is disconnected here.
  const workerConnections: RedisClient[] = [];
  const workerConnection = () => {
    const c = new Redis(url, { maxRetriesPerRequest: null });
    workerConnections.push(c);
    return c;
  };
  const prefix = `baton-bench-${process.pid}`;
  const jobs = new Queue("jobs", { connection, prefix });
  let worker: InstanceType<Peers["Worker"]> | undefined;
  const version = (await connection.info("server")).match(/redis_version:(\S+)/)?.[1] ?? "?";
  try {
    const figures = await measure({
      async start(handlers) {
        worker = new Worker(
          "jobs",
          async (job) =>
            job.name === "chain" ? handlers.chain((job.data as { i: number }).i) : handlers.noop(),
          { connection: workerConnection(), prefix, concurrency },
        );
        await worker.waitUntilReady();
      },
      async stop() {
        await worker?.close();
        for (const c of workerConnections.splice(0)) c.disconnect();
      },
      async enqueueChain(i) {
        await jobs.add("chain", { i }, { removeOnComplete: true });
      },
      async enqueueFanout(count) {
        for (let from = 0; from < count; from += 1000) {
          await jobs.addBulk(
            Array.from({ length: Math.min(1000, count - from) }, () => ({
              name: "noop",
              data: {},
              opts: { removeOnComplete: true },
            })),
          );
        }
      },
    });
    console.log(`BullMQ on Redis ${version} at ${url}`);
    return figures;
  } finally {
    await jobs.obliterate({ force: true }).catch(() => {});
    await jobs.close();
    connection.disconnect();
  }
}

/**
 * pg-boss in its own schema of the bench database, woken by LISTEN/NOTIFY (its fastest setting
 * for a chain); the fan-out fetches batches of 10 per worker and keeps fetching while they are full.
 */
export async function pgBossFigures(
  { PgBoss }: Peers,
  connectionString: string,
  concurrency: number,
): Promise<QueueFigures> {
  const boss = new PgBoss({ connectionString, useListenNotify: true, max: concurrency + 2 });
  boss.on("error", (error) => console.error("pg-boss:", error.message));
  boss.on("warning", () => {});
  await boss.start();
  await boss.createQueue("chain", { notify: true });
  await boss.createQueue("noop", { notify: true });
  try {
    return await measure({
      async start(handlers) {
        await boss.work(
          "chain",
          { localConcurrency: concurrency, batchSize: 1, pollingIntervalSeconds: 0.5 },
          async ([job]) => handlers.chain((job!.data as { i: number }).i),
        );
        await boss.work(
          "noop",
          {
            localConcurrency: concurrency,
            batchSize: 10,
            burstWhenBatchFull: true,
            pollingIntervalSeconds: 0.5,
          },
          async (batch) => {
            for (const _ of batch) handlers.noop();
          },
        );
      },
      async stop() {
        await boss.offWork("chain", { wait: true });
        await boss.offWork("noop", { wait: true });
      },
      async enqueueChain(i) {
        await boss.send("chain", { i });
      },
      async enqueueFanout(count) {
        for (let from = 0; from < count; from += 1000) {
          await boss.insert(
            "noop",
            Array.from({ length: Math.min(1000, count - from) }, () => ({ data: {} })),
          );
        }
      },
    });
  } finally {
    await boss.stop({ graceful: false }).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Installing and loading the peers. Their types are not installed with Baton, so the parts used
// above are declared here.

interface RedisClient {
  on(event: "error", listener: (error: Error) => void): void;
  connect(): Promise<void>;
  ping(): Promise<string>;
  info(section: string): Promise<string>;
  disconnect(): void;
}
type JobOptions = { removeOnComplete: boolean };
interface PgBossClient {
  on(event: "error" | "warning", listener: (error: Error) => void): void;
  start(): Promise<unknown>;
  stop(options: { graceful: boolean }): Promise<void>;
  createQueue(name: string, options: { notify: boolean }): Promise<void>;
  work(
    name: string,
    options: Record<string, number | boolean>,
    handler: (jobs: Array<{ data: unknown }>) => Promise<void>,
  ): Promise<string>;
  offWork(name: string, options: { wait: boolean }): Promise<void>;
  send(name: string, data: object): Promise<string | null>;
  insert(name: string, jobs: Array<{ data: object }>): Promise<unknown>;
}
export interface Peers {
  Redis: new (url: string, options: Record<string, unknown>) => RedisClient;
  Queue: new (
    name: string,
    options: { connection: RedisClient; prefix: string },
  ) => {
    add(name: string, data: object, options: JobOptions): Promise<unknown>;
    addBulk(jobs: Array<{ name: string; data: object; opts: JobOptions }>): Promise<unknown>;
    obliterate(options: { force: boolean }): Promise<void>;
    close(): Promise<void>;
  };
  Worker: new (
    name: string,
    processor: (job: { name: string; data: unknown }) => Promise<void> | void,
    options: { connection: RedisClient; prefix: string; concurrency: number },
  ) => { waitUntilReady(): Promise<unknown>; close(): Promise<void> };
  PgBoss: new (options: { connectionString: string; useListenNotify: boolean; max: number }) => PgBossClient;
}

const PEERS = fileURLToPath(new URL("./peers/", import.meta.url));

/**
 * pg-boss and BullMQ from bench/peers/, installed there with `npm ci` the first time (and again
 * when its lockfile changes); a note instead when the install fails (offline, say).
 */
export async function loadPeers(): Promise<Peers | string> {
  const lockfile = readFileSync(path.join(PEERS, "package-lock.json"));
  const stamp = path.join(PEERS, "node_modules", ".installed-lockfile-sha256");
  const hash = createHash("sha256").update(lockfile).digest("hex");
  if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== hash) {
    console.log(
      "Installing the peer queues (pg-boss, BullMQ) into bench/peers/: npm ci --prefix bench/peers",
    );
    const install = spawnSync(
      "npm",
      ["ci", "--prefix", PEERS, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
      { encoding: "utf8" },
    );
    if (install.status !== 0) {
      const code = install.stderr?.match(/^npm error code (\S+)/m)?.[1];
      const reason = install.error?.message ?? (code ? `npm error ${code}` : `exit code ${install.status}`);
      return `pg-boss and BullMQ skipped: \`npm ci --prefix bench/peers\` failed (${reason}); run it once the npm registry is reachable`;
    }
    writeFileSync(stamp, hash);
  }
  return (await import(pathToFileURL(path.join(PEERS, "index.js")).href)) as Peers;
}
