// The Python child process: keeps a pool of interpreters loaded ahead of need, one per thread
// (interpreter.ts), hands each to exactly one task, enforces the CPU limit and relays logs and
// fetches to the worker process that started it (run-python.ts), over the IPC channel.
//
// It is a process of its own because the boundaries that matter for Pyodide are per process. It
// is started with code generation from strings disallowed (so JavaScript reached through Pyodide's
// internals can never compile new code: no eval, no Function, no import()), under Node's
// permission model (reads of Pyodide's own files and of this folder only, no writes, no child
// processes, no native addons), with an empty environment and a heap limit. A crash or a memory
// blow-up here ends this process, never the worker's.
//
// This file runs under Node's own type stripping: erasable TypeScript only, and imports of
// nothing but packages and types.
import { readFileSync } from "node:fs";
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
import type {
  FetchReply,
  FromInterpreter,
  FromPythonHost,
  InterpreterData,
  PythonOutcome,
  ToInterpreter,
  ToPythonHost,
} from "./protocol";

const send = (message: FromPythonHost) => process.send!(message);

const poolSize = Number(process.argv[2] ?? 2);
const pyodideUrl = process.argv[3]!;
const indexURL = new URL(".", pyodideUrl).pathname;
const preludeSource = readFileSync(new URL("./prelude.py", import.meta.url), "utf8");
const wasmModule = await WebAssembly.compile(readFileSync(new URL("pyodide.asm.wasm", pyodideUrl)));

/** Past the CPU limit, how long Python's own interrupt gets before the thread is ended. */
const graceMs = (cpuMs: number) => 250 + cpuMs / 10;

class Interpreter {
  readonly thread: Worker;
  readonly signals = new Int32Array(new SharedArrayBuffer(8));
  readonly fetchPort: MessagePort;
  ready: Promise<boolean>;
  heapBytes = 0;
  exited = false;
  private onMessage: ((message: FromInterpreter) => void) | undefined;
  private onExit: ((code: number) => void) | undefined;

  constructor(snapshot: Uint8Array | null) {
    const channel = new MessageChannel();
    this.fetchPort = channel.port1;
    const workerData: InterpreterData = {
      pyodideUrl,
      indexURL,
      wasmModule,
      snapshot,
      preludeSource,
      signals: this.signals,
      fetchPort: channel.port2,
    };
    this.thread = new Worker(new URL("./interpreter.ts", import.meta.url), {
      workerData,
      transferList: [channel.port2],
      env: {},
      // The interpreter's JavaScript side only relays; Python's heap is WebAssembly memory,
      // capped by the interpreter itself.
      resourceLimits: { maxOldGenerationSizeMb: 96, stackSizeMb: 8 },
    });
    this.ready = new Promise((resolve) => {
      this.onMessage = (message) => {
        if (message.type === "ready") {
          this.heapBytes = message.heapBytes;
          resolve(true);
        }
      };
      this.onExit = () => resolve(false);
    });
    this.thread.on("message", (message: FromInterpreter) => this.onMessage?.(message));
    this.thread.on("exit", (code) => {
      this.exited = true;
      this.onExit?.(code);
    });
    this.thread.on("error", (error) => console.error(`python interpreter: ${error.stack ?? error}`));
  }

  listen(onMessage: (message: FromInterpreter) => void, onExit: (code: number) => void): void {
    this.onMessage = onMessage;
    this.onExit = onExit;
  }
}

// -- The pool --------------------------------------------------------------------------------

let snapshot: Promise<Uint8Array>;
const ready: Interpreter[] = [];
let starting = 0;
const waiting: ((interpreter: Interpreter) => void)[] = [];

/** Loads Pyodide once from scratch and keeps its memory snapshot, shared with every thread. */
function makeSnapshot(): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const maker = new Interpreter(null);
    maker.listen(
      (message) => {
        if (message.type !== "snapshot") return;
        const shared = new Uint8Array(new SharedArrayBuffer(message.snapshot.byteLength));
        shared.set(message.snapshot);
        resolve(shared);
      },
      (code) => reject(new Error(`the interpreter exited with code ${code} while making its snapshot`)),
    );
  });
}

/** Keeps `poolSize` interpreters loaded or loading, plus one loading for each task waiting. */
function refill(): void {
  while (ready.length + starting < poolSize + waiting.length) void start();
}

async function start(): Promise<void> {
  starting++;
  const interpreter = new Interpreter(await snapshot);
  const loaded = await interpreter.ready;
  starting--;
  if (!loaded) {
    // A task waiting for it fails rather than waiting for ever; loading is tried again later.
    waiting.shift()?.(interpreter);
    setTimeout(refill, 1000).unref();
    return;
  }
  const taker = waiting.shift();
  if (taker) taker(interpreter);
  else ready.push(interpreter);
}

function acquire(): Promise<Interpreter> {
  const interpreter = ready.shift();
  const acquired = interpreter
    ? Promise.resolve(interpreter)
    : new Promise<Interpreter>((resolve) => waiting.push(resolve));
  refill();
  return acquired;
}

// -- Runs ----------------------------------------------------------------------------------------

interface Run {
  interpreter: Interpreter;
  finish: (outcome: PythonOutcome) => void;
  /** Restarts the CPU clock, which stops while a fetch is under way. */
  resume: () => void;
  fetching: boolean;
}

const runs = new Map<number, Run>();

async function startRun(request: Extract<ToPythonHost, { type: "run" }>): Promise<void> {
  const { runId, limits } = request;
  const queuedAt = performance.now();
  const interpreter = await acquire();
  if (interpreter.exited) {
    send({
      type: "done",
      runId,
      outcome: { ok: false, failure: { kind: "crash", message: "no interpreter could be loaded" } },
    });
    return;
  }
  let cpuUsedMs = 0;
  let sliceStart = performance.now();
  let interrupted = false;
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  const run: Run = {
    interpreter,
    fetching: false,
    resume: () => {
      run.fetching = false;
      sliceStart = performance.now();
    },
    finish: (outcome) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      runs.delete(runId);
      void interpreter.thread.terminate();
      send({ type: "done", runId, outcome });
    },
  };
  runs.set(runId, run);
  send({ type: "started", runId, waitedMs: performance.now() - queuedAt });

  // The CPU clock: Python's own interrupt (KeyboardInterrupt) at the limit, the thread ended
  // after a grace period should the code catch it or be stuck in a long native call.
  const check = () => {
    if (finished) return;
    const used = cpuUsedMs + (run.fetching ? 0 : performance.now() - sliceStart);
    if (!interrupted && used >= limits.cpuMs) {
      interrupted = true;
      Atomics.store(interpreter.signals, 0, 2);
    }
    if (used >= limits.cpuMs + graceMs(limits.cpuMs)) {
      run.finish({ ok: false, failure: { kind: "timeout" } });
      return;
    }
    const next = interrupted ? limits.cpuMs + graceMs(limits.cpuMs) - used : limits.cpuMs - used;
    timer = setTimeout(check, Math.max(10, Math.min(next, 60_000)));
  };

  interpreter.listen(
    (message) => {
      switch (message.type) {
        case "log":
          send({ type: "log", runId, level: message.level, line: message.line });
          break;
        case "log_truncated":
          send({ type: "log_truncated", runId });
          break;
        case "fetch":
          cpuUsedMs += performance.now() - sliceStart;
          run.fetching = true;
          send({ type: "fetch", runId, url: message.url, initJson: message.initJson });
          break;
        case "done": {
          const { outcome } = message;
          // Python reports the interrupt as the KeyboardInterrupt it raised; the code may also have
          // raised one itself, which is no timeout.
          if (!outcome.ok && outcome.failure.kind === "timeout" && !interrupted) {
            run.finish({
              ok: false,
              failure: { kind: "runtime", name: "KeyboardInterrupt", message: "" },
            });
          } else if (!outcome.ok && interrupted) run.finish({ ok: false, failure: { kind: "timeout" } });
          else run.finish(outcome);
          break;
        }
      }
    },
    (code) =>
      run.finish({
        ok: false,
        failure: { kind: "crash", message: `the interpreter exited with code ${code}` },
      }),
  );
  const task: ToInterpreter = {
    type: "run",
    source: request.source,
    inputsJson: request.inputsJson,
    limits,
    fetchEnabled: request.fetchEnabled,
  };
  sliceStart = performance.now();
  interpreter.thread.postMessage(task);
  check();
}

function deliverFetch(runId: number, reply: FetchReply): void {
  const run = runs.get(runId);
  if (!run?.fetching) return;
  run.resume();
  run.interpreter.fetchPort.postMessage(reply);
  // The thread waits on the signal, then reads the reply synchronously off its port.
  setImmediate(() => {
    Atomics.store(run.interpreter.signals, 1, 1);
    Atomics.notify(run.interpreter.signals, 1);
  });
}

process.on("message", (message: ToPythonHost) => {
  switch (message.type) {
    case "run":
      void startRun(message);
      break;
    case "fetch_result":
      deliverFetch(message.runId, { responseJson: message.responseJson, message: message.message });
      break;
    case "abort":
      runs.get(message.runId)?.finish({ ok: false, failure: { kind: "aborted" } });
      break;
    case "status":
      send({ type: "status", ready: ready.length, starting, waiting: waiting.length });
      break;
  }
});
// The worker process went away: so does this one.
process.on("disconnect", () => process.exit(0));

snapshot = makeSnapshot();
snapshot.then(
  () => {
    refill();
    send({ type: "ready", poolSize });
  },
  (error: Error) => {
    console.error(`python sandbox: ${error.message}`);
    process.exit(1);
  },
);
