// Worker thread that runs sandboxed code for runCode (run-code.ts), one run at a time.
//
// Each run gets a fresh QuickJS WebAssembly instance, not just a fresh runtime in a shared one: all
// runtimes of an instance share its linear memory, so a QuickJS memory-safety bug exploited by one
// tenant could read what another tenant's run left there, and a run that breaks its instance (the
// host stack running out inside WebAssembly leaves the instance's own stack pointer wrong) would
// break every later run. A broken instance is simply dropped. Compiling the WebAssembly happens once
// per worker (~7 ms); instantiating the compiled module costs ~2 ms a run.
//
// This file runs under Node's own type stripping (nothing bundles the worker), so it uses erasable
// TypeScript only and imports packages, plus nothing but types from relative files.
import { Buffer } from "node:buffer";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";
import {
  newQuickJSWASMModule,
  newVariant,
  type QuickJSContext,
  type QuickJSDeferredPromise,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSSyncVariant,
  RELEASE_SYNC,
  Scope,
} from "quickjs-emscripten";
import { z } from "zod";
import type {
  FetchResult,
  FromWorker,
  InterpreterClock,
  SandboxLogLevel,
  SandboxWorkerData,
  ToWorker,
  WorkerFailure,
  WorkerLimits,
  WorkerOutcome,
} from "./protocol";

const { preludeSource, clock } = workerData as SandboxWorkerData;
const port = parentPort!;
const post = (message: FromWorker) => port.postMessage(message);

const SOURCE_FILE = "task.js";
/** Extra heap granted once the code has failed, so that describing an out-of-memory error can allocate. */
const DESCRIBE_HEADROOM_BYTES = 1024 * 1024;
const MiB = 1024 * 1024;
/** Longest URL a fetch may ask for. */
const MAX_FETCH_URL_CHARS = 65_536;
/** Largest fetch request (method, headers and body as JSON text) copied out of the sandbox. */
const MAX_FETCH_INIT_CHARS = 10 * MiB;
/**
 * Longest error description copied out: the prelude cuts name, message and stack to 4,000
 * characters each, which JSON escaping can grow sixfold.
 */
const MAX_DESCRIPTION_CHARS = 3 * 6 * 4000 + 200;

const quickjsVariant = compileQuickJS();

async function compileQuickJS(): Promise<QuickJSSyncVariant> {
  // The .wasm file belongs to a package that quickjs-emscripten depends on, so resolve it from there.
  const fromQuickJS = createRequire(createRequire(import.meta.url).resolve("quickjs-emscripten"));
  const wasmPath = fromQuickJS.resolve("@jitl/quickjs-wasmfile-release-sync/wasm");
  const wasmModule = await WebAssembly.compile(await readFile(wasmPath));
  return newVariant(RELEASE_SYNC, { wasmModule });
}

let currentRun: SandboxRun | undefined;

port.on("message", async (message: ToWorker) => {
  if (message.type === "fetch_result") {
    if (message.runId === currentRun?.runId) currentRun.deliverFetchResult(message);
    return;
  }
  const quickjs = await newQuickJSWASMModule(await quickjsVariant);
  const run = new SandboxRun(message.runId, quickjs.newRuntime(), message.limits, message.fetchEnabled);
  currentRun = run;
  let outcome: WorkerOutcome;
  try {
    outcome = await run.execute(message.code, message.inputsJson);
    run.dispose();
  } catch (error) {
    const failure = instanceCrash(error);
    if (!failure) throw error;
    // The instance's state is unknown: drop it unfreed, garbage collection takes all of it.
    outcome = { ok: false, failure };
  } finally {
    currentRun = undefined;
  }
  post({ type: "done", outcome, heapBytes: quickjs.getWasmMemory().buffer.byteLength });
});

/**
 * Errors thrown by the WebAssembly instance rather than by the code inside it: the host stack ran
 * out inside WebAssembly (V8's RangeError), or the instance trapped or aborted.
 */
function instanceCrash(error: unknown): WorkerFailure | undefined {
  if (error instanceof RangeError && error.message === "Maximum call stack size exceeded") {
    return { kind: "stack_overflow" };
  }
  if (error instanceof WebAssembly.RuntimeError) return { kind: "crash", message: error.message };
  return undefined;
}

/** What the prelude's describe() reports about a thrown value; validated, since user code shaped it. */
const errorDetailsSchema = z.object({
  name: z.string().optional(),
  message: z.string(),
  stack: z.string().optional(),
  line: z.number().optional(),
  column: z.number().optional(),
});
type ErrorDetails = z.infer<typeof errorDetailsSchema>;

type Settled = { ok: true; value: QuickJSHandle } | { ok: false; failure: WorkerFailure };

class SandboxRun {
  readonly runId: number;
  private readonly runtime: QuickJSRuntime;
  private readonly context: QuickJSContext;
  private readonly limits: WorkerLimits;
  private readonly fetchEnabled: boolean;
  /** Handles that live for the whole run; freed before the context. */
  private readonly handles = new Scope();
  private serializeFn: QuickJSHandle | undefined;
  private describeFn: QuickJSHandle | undefined;
  private cpuSpentMs = 0;
  private sliceStartedAt: number | undefined;
  private timedOut = false;
  private logBytesLeft: number;
  private logTruncated = false;
  private nextFetchId = 1;
  private readonly pendingFetches = new Map<number, QuickJSDeferredPromise>();
  /** Fetch results received from the host, delivered into the sandbox by the event loop. */
  private readonly fetchResults: FetchResult[] = [];
  private wakeEventLoop: (() => void) | undefined;
  /** Set when delivering a fetch result failed: the sandbox heap is exhausted. */
  private deliveryFailed = false;

  constructor(runId: number, runtime: QuickJSRuntime, limits: WorkerLimits, fetchEnabled: boolean) {
    this.runId = runId;
    this.runtime = runtime;
    this.limits = limits;
    this.fetchEnabled = fetchEnabled;
    this.logBytesLeft = limits.logBytes;
    runtime.setMemoryLimit(limits.memoryBytes);
    runtime.setMaxStackSize(limits.stackBytes);
    // Polled by QuickJS every few thousand bytecodes. A loop of slow native calls polls rarely,
    // which is why the host also runs a watchdog that terminates this whole worker.
    runtime.setInterruptHandler(() => this.shouldInterrupt());
    // No module loader is set, so `import()` rejects ("could not load module").
    this.context = runtime.newContext();
  }

  async execute(code: string, inputsJson: string): Promise<WorkerOutcome> {
    const installFailure = this.install(inputsJson);
    if (installFailure) return { ok: false, failure: installFailure };

    const compiled = this.interpret(() =>
      this.context.evalCode(code, SOURCE_FILE, { type: "global", strict: true }),
    );
    if (compiled.error) return { ok: false, failure: this.failureFrom(compiled.error, "compile") };
    const fn = this.handles.manage(compiled.value);
    // Only reachable when the source closes the function wrapper itself: `}) … (`.
    if (this.context.typeof(fn) !== "function") return { ok: false, failure: { kind: "unbalanced_wrapper" } };

    const called = this.interpret(() => this.context.callFunction(fn, this.context.undefined));
    if (called.error) return { ok: false, failure: this.failureFrom(called.error) };
    const settled = await this.settle(this.handles.manage(called.value));
    if (!settled.ok) return settled;
    try {
      return this.encodeOutput(settled.value);
    } finally {
      settled.value.dispose();
    }
  }

  dispose(): void {
    for (const deferred of this.pendingFetches.values()) deferred.dispose();
    this.handles.dispose();
    this.context.dispose();
    this.runtime.dispose();
  }

  deliverFetchResult(result: FetchResult): void {
    this.fetchResults.push(result);
    this.wakeEventLoop?.();
  }

  /** Evaluates the prelude and hands it the inputs and the host functions. */
  private install(inputsJson: string): WorkerFailure | undefined {
    const { context } = this;
    return Scope.withScope((scope) => {
      const prelude = this.interpret(() =>
        context.evalCode(preludeSource, "baton-sandbox.js", { type: "global", strict: true }),
      );
      if (prelude.error) return this.failureFrom(prelude.error);
      const install = scope.manage(prelude.value);
      const emitLog = scope.manage(
        context.newFunction("emitLog", (level, line) => this.emitLog(level, line)),
      );
      const hostFetch = this.fetchEnabled
        ? scope.manage(context.newFunction("hostFetch", (url, init) => this.startFetch(url, init)))
        : context.undefined;
      const inputs = scope.manage(context.newString(inputsJson));
      const logBytes = scope.manage(context.newNumber(this.limits.logBytes));
      const installed = this.interpret(() =>
        context.callFunction(install, context.undefined, emitLog, hostFetch, inputs, logBytes),
      );
      if (installed.error) return this.failureFrom(installed.error);
      const helpers = scope.manage(installed.value);
      this.serializeFn = this.handles.manage(context.getProp(helpers, "serialize"));
      this.describeFn = this.handles.manage(context.getProp(helpers, "describe"));
      return undefined;
    });
  }

  /**
   * The event loop: runs promise jobs until the code's promise settles, waiting for fetch results
   * in between. Returns the fulfilled value as a handle the caller must dispose.
   */
  private async settle(promise: QuickJSHandle): Promise<Settled> {
    for (;;) {
      const jobs = this.interpret(() => this.runtime.executePendingJobs());
      if (jobs.error) return { ok: false, failure: this.failureFrom(jobs.error) };

      const state = this.context.getPromiseState(promise);
      if (state.type === "rejected") return { ok: false, failure: this.failureFrom(state.error) };
      if (state.type === "fulfilled") {
        // A source that closes the wrapper itself may end in a plain function returning a non-promise.
        return { ok: true, value: state.notAPromise ? promise.dup() : state.value };
      }
      if (this.deliveryFailed) return { ok: false, failure: { kind: "memory" } };
      if (this.pendingFetches.size === 0) return { ok: false, failure: { kind: "never_settles" } };

      if (this.fetchResults.length === 0) {
        await new Promise<void>((resolve) => {
          this.wakeEventLoop = resolve;
        });
        this.wakeEventLoop = undefined;
      }
      for (const result of this.fetchResults.splice(0)) this.settleFetch(result);
    }
  }

  private encodeOutput(value: QuickJSHandle): WorkerOutcome {
    const { context, limits } = this;
    const encoded = this.interpret(() => context.callFunction(this.serializeFn!, context.undefined, value));
    if (encoded.error) {
      const failure = this.failureFrom(encoded.error);
      if (failure.kind !== "runtime") return { ok: false, failure };
      const reason = failure.name ? `${failure.name}: ${failure.message}` : failure.message;
      return { ok: false, failure: { kind: "output_not_serialisable", reason } };
    }
    return Scope.withScope((scope): WorkerOutcome => {
      const json = scope.manage(encoded.value);
      if (context.typeof(json) !== "string") {
        const reason = `the code returned a ${context.typeof(value)}`;
        return { ok: false, failure: { kind: "output_not_serialisable", reason } };
      }
      // UTF-8 never takes fewer bytes than UTF-16 code units, so an over-long string is refused
      // before it is copied out of the sandbox.
      const length = context.getNumber(scope.manage(context.getProp(json, "length")));
      if (length > limits.outputBytes) {
        return { ok: false, failure: { kind: "output_too_large", bytes: length, atLeast: true } };
      }
      const text = context.getString(json);
      const bytes = Buffer.byteLength(text);
      if (bytes > limits.outputBytes) {
        return { ok: false, failure: { kind: "output_too_large", bytes, atLeast: false } };
      }
      return { ok: true, outputJson: text };
    });
  }

  // -- Host functions ---------------------------------------------------------------------------

  /**
   * A console line, as JSON text the prelude already cut to the budget (see prelude.ts); its
   * length is checked before it is copied out all the same. Answers the bytes still taken, or -1.
   */
  private emitLog(levelHandle: QuickJSHandle, lineHandle: QuickJSHandle): QuickJSHandle {
    const left = () => this.context.newNumber(this.logTruncated ? -1 : this.logBytesLeft);
    if (this.logTruncated) return left(); // over budget: not even copied out
    // The prelude only ever passes one of the three levels and a string.
    const level = this.context.getString(levelHandle) as SandboxLogLevel;
    // One character over the budget, each escaped in at most six, and the quotes.
    const line = this.copyJsonString(lineHandle, 6 * (this.logBytesLeft + 1) + 2) ?? "";
    // A line costs its newline too, so that a flood of empty lines also exhausts the budget.
    const bytes = Buffer.byteLength(line) + 1;
    if (bytes <= this.logBytesLeft) {
      this.logBytesLeft -= bytes;
      post({ type: "log", level, line });
      return left();
    }
    if (this.logBytesLeft > 0) {
      // Cutting UTF-8 mid-character leaves a replacement character at the end, which is acceptable.
      post({ type: "log", level, line: Buffer.from(line).subarray(0, this.logBytesLeft).toString() });
    }
    this.logTruncated = true;
    post({ type: "log_truncated" });
    return left();
  }

  /**
   * The string a sandbox string holding JSON text stands for, copied out only when it is at most
   * `maxChars` long; undefined otherwise, or when it is not a JSON string.
   */
  private copyJsonString(handle: QuickJSHandle, maxChars: number): string | undefined {
    const text = this.copyString(handle, maxChars);
    if (text === undefined) return undefined;
    try {
      const value: unknown = JSON.parse(text);
      return typeof value === "string" ? value : undefined;
    } catch {
      return undefined;
    }
  }

  /** A sandbox string, copied out only when it is at most `maxChars` UTF-16 units long. */
  private copyString(handle: QuickJSHandle, maxChars: number): string | undefined {
    const { context } = this;
    if (context.typeof(handle) !== "string") return undefined;
    const length = Scope.withScope((scope) =>
      context.getNumber(scope.manage(context.getProp(handle, "length"))),
    );
    return length <= maxChars ? context.getString(handle) : undefined;
  }

  private startFetch(urlHandle: QuickJSHandle, initHandle: QuickJSHandle): QuickJSHandle {
    const id = this.nextFetchId++;
    const deferred = this.context.newPromise();
    this.pendingFetches.set(id, deferred);
    const url = this.copyString(urlHandle, MAX_FETCH_URL_CHARS);
    const initJson = this.copyString(initHandle, MAX_FETCH_INIT_CHARS);
    if (url !== undefined && initJson !== undefined) post({ type: "fetch", id, url, initJson });
    else {
      // Refused without being copied out; the event loop rejects the code's promise.
      const message =
        url === undefined
          ? `fetch(): the URL is longer than ${MAX_FETCH_URL_CHARS} characters`
          : `fetch(): the request is larger than ${MAX_FETCH_INIT_CHARS / MiB} MiB`;
      this.deliverFetchResult({ type: "fetch_result", runId: this.runId, id, ok: false, message });
    }
    // The glue frees the returned handle once the sandbox holds the promise.
    return deferred.handle;
  }

  private settleFetch(result: FetchResult): void {
    const deferred = this.pendingFetches.get(result.id);
    if (!deferred) return;
    this.pendingFetches.delete(result.id);
    const { context } = this;
    const value = result.ok
      ? context.newString(result.responseJson)
      : context.newError({ name: "TypeError", message: result.message });
    try {
      this.interpret(() => (result.ok ? deferred.resolve(value) : deferred.reject(value)));
    } catch {
      // Settling a promise runs no user code, it only allocates: the heap is full.
      this.deliveryFailed = true;
    } finally {
      value.dispose();
      deferred.dispose();
    }
  }

  // -- Interpreter time -------------------------------------------------------------------------

  /** Runs `enter`, which executes sandbox code, and charges the time to the CPU budget. */
  private interpret<T>(enter: () => T): T {
    if (this.sliceStartedAt !== undefined) return enter();
    const startedAt = Date.now();
    this.sliceStartedAt = startedAt;
    publishClock(clock, this.cpuSpentMs, startedAt);
    try {
      return enter();
    } finally {
      this.cpuSpentMs += Date.now() - startedAt;
      this.sliceStartedAt = undefined;
      publishClock(clock, this.cpuSpentMs, 0);
    }
  }

  private shouldInterrupt(): boolean {
    if (!this.timedOut && this.sliceStartedAt !== undefined) {
      this.timedOut = this.cpuSpentMs + (Date.now() - this.sliceStartedAt) > this.limits.cpuMs;
    }
    return this.timedOut;
  }

  // -- Errors -----------------------------------------------------------------------------------

  /** Turns a value thrown inside the sandbox into a failure report; frees the handle. */
  private failureFrom(thrown: QuickJSHandle, phase: "compile" | "run" = "run"): WorkerFailure {
    try {
      if (this.timedOut) return { kind: "timeout" };
      const details = this.describe(thrown);
      if (this.timedOut) return { kind: "timeout" };
      if (!details) return { kind: "memory" };
      return classify(details, phase);
    } finally {
      thrown.dispose();
    }
  }

  private describe(thrown: QuickJSHandle): ErrorDetails | undefined {
    const { context } = this;
    // The code has failed, so headroom cannot help it; it lets an out-of-memory error be described.
    this.runtime.setMemoryLimit(this.limits.memoryBytes + DESCRIBE_HEADROOM_BYTES);
    const described = this.interpret(() => context.callFunction(this.describeFn!, context.undefined, thrown));
    if (described.error) {
      described.error.dispose();
      return undefined;
    }
    return Scope.withScope((scope) => {
      const json = this.copyString(scope.manage(described.value), MAX_DESCRIPTION_CHARS);
      if (json === undefined) return undefined;
      try {
        const parsed = errorDetailsSchema.safeParse(JSON.parse(json));
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    });
  }
}

function classify(details: ErrorDetails, phase: "compile" | "run"): WorkerFailure {
  const { name, message } = details;
  if (name === "InternalError" && message === "out of memory") return { kind: "memory" };
  // QuickJS reports its stack limit as "stack overflow" (an InternalError, or a SyntaxError from
  // JSON.parse). An "interrupted" error while the budget is not spent means the interrupt handler
  // itself could not run for lack of host stack, which the glue answers by interrupting.
  if (message === "stack overflow" || (name === "InternalError" && message === "interrupted")) {
    return { kind: "stack_overflow" };
  }
  if (phase === "compile" && name === "SyntaxError") {
    return { kind: "syntax", message, line: details.line, column: details.column };
  }
  return { kind: "runtime", name, message, stack: details.stack };
}

function publishClock(target: InterpreterClock, spentMs: number, sliceStartedAt: number): void {
  Atomics.store(target.spentMs, 0, BigInt(Math.round(spentMs)));
  Atomics.store(target.sliceStartedAt, 0, BigInt(sliceStartedAt));
}
