// Sandbox worker threads (sandbox-worker.ts), kept warm between runs.
//
// Sandboxed code runs on a worker thread rather than on the caller's thread for two reasons. QuickJS
// polls its interrupt handler only every few thousand bytecodes, so a loop of slow native calls
// (`hugeString.indexOf(x)` on repeat) can run for minutes past its CPU limit; a worker can be
// terminated at any instant, which is the hard backstop. And while a run computes, the host's event
// loop (other tenants' tasks, job heartbeats) keeps turning.
//
// A worker serves one run at a time, so terminating it never takes another run down. Workers are
// started on demand (a few hundred ms until the first run completes: loading QuickJS and compiling
// its WebAssembly) and up to MAX_IDLE_WORKERS are kept for reuse.
import { Worker } from "node:worker_threads";
import { PRELUDE_SOURCE } from "./prelude";
import type { InterpreterClock, SandboxWorkerData } from "./protocol";

const MAX_IDLE_WORKERS = 4;
/**
 * Native stack of a worker thread. The interpreter's own stack limit (at most 1 MiB) has to trip
 * before the native stack runs out, and QuickJS's parser and JSON code recurse deeply natively:
 * measured, 4 MB (Node's default) is not enough for 256 KiB of interpreter stack, 16 MB is for 1 MiB.
 */
const WORKER_STACK_MB = 16;

const idleWorkers: SandboxWorker[] = [];

export class SandboxWorker {
  readonly thread: Worker;
  private readonly clock: InterpreterClock;

  constructor() {
    this.clock = {
      spentMs: new BigInt64Array(new SharedArrayBuffer(8)),
      sliceStartedAt: new BigInt64Array(new SharedArrayBuffer(8)),
    };
    const workerData: SandboxWorkerData = { preludeSource: PRELUDE_SOURCE, clock: this.clock };
    this.thread = new Worker(new URL("./sandbox-worker.ts", import.meta.url), {
      workerData,
      // Nothing in the worker needs the host's environment (database URLs, keys): defence in depth.
      env: {},
      resourceLimits: { stackSizeMb: WORKER_STACK_MB },
    });
    // A run listens for errors while it owns the worker; this listener keeps an error outside a run
    // from becoming an unhandled 'error' event, which would crash the host process.
    this.thread.on("error", () => {});
    this.thread.once("exit", () => {
      const index = idleWorkers.indexOf(this);
      if (index >= 0) idleWorkers.splice(index, 1);
    });
  }

  /** Interpreter time the current run has used so far, as the worker publishes it. */
  cpuUsedMs(): number {
    const spent = Number(Atomics.load(this.clock.spentMs, 0));
    const sliceStartedAt = Number(Atomics.load(this.clock.sliceStartedAt, 0));
    return sliceStartedAt === 0 ? spent : spent + (Date.now() - sliceStartedAt);
  }

  /** Zeroes the clock before a run is posted, so the watchdog never reads the last run's time. */
  resetClock(): void {
    Atomics.store(this.clock.spentMs, 0, 0n);
    Atomics.store(this.clock.sliceStartedAt, 0, 0n);
  }
}

export function acquireWorker(): SandboxWorker {
  const worker = idleWorkers.pop() ?? new SandboxWorker();
  worker.thread.ref();
  worker.resetClock();
  return worker;
}

/**
 * A run's WebAssembly instance is dropped after it, but its memory is only returned when the
 * worker's garbage collector runs, which an idle worker never needs to do: four idle workers whose
 * last runs filled 128 MiB heaps would hold half a gigabyte. A worker whose last run grew its heap
 * past this is ended instead of kept, which returns all of it at once.
 */
const MAX_REUSED_HEAP_BYTES = 48 * 1024 * 1024;

/** Whether a worker whose run grew its WebAssembly memory to `heapBytes` is worth keeping. */
export const mayReuse = (heapBytes: number) => heapBytes <= MAX_REUSED_HEAP_BYTES;

/** Returns a worker whose run finished normally. */
export function releaseWorker(worker: SandboxWorker): void {
  if (idleWorkers.length >= MAX_IDLE_WORKERS) {
    void worker.thread.terminate();
    return;
  }
  worker.thread.unref(); // an idle worker must not keep the process alive
  idleWorkers.push(worker);
}

/** Ends a worker whose run was cut short: it may still be executing the code. */
export function discardWorker(worker: SandboxWorker): void {
  void worker.thread.terminate();
}
