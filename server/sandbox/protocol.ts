// Messages between runCode (the host thread, run-code.ts) and a sandbox worker (sandbox-worker.ts).
//
// Types only: the worker runs under Node's type stripping, which can drop `import type` of a
// relative file but cannot resolve a relative import of code. The worker reports what happened as
// data (`WorkerFailure`); run-code.ts owns the user-facing wording.

export type SandboxLogLevel = "info" | "warn" | "error";

/** The limits the worker enforces, all defaults applied (see sandboxLimitsSchema). */
export interface WorkerLimits {
  memoryBytes: number;
  cpuMs: number;
  outputBytes: number;
  stackBytes: number;
  logBytes: number;
}

export interface SandboxWorkerData {
  /** The sandbox-side bootstrap (prelude.ts). */
  preludeSource: string;
  /**
   * The current run's interpreter clock, over shared memory: the worker writes it, the host's
   * watchdog reads it. Single-element arrays, read and written with Atomics.
   */
  clock: InterpreterClock;
}

export interface InterpreterClock {
  /** Interpreter time of the run's finished slices, in whole milliseconds. */
  spentMs: BigInt64Array;
  /** `Date.now()` when the current slice began; 0 while the interpreter is idle. */
  sliceStartedAt: BigInt64Array;
}

export type ToWorker = RunRequest | FetchResult;

export interface RunRequest {
  type: "run";
  /** Tags the run's fetch results, so that none can reach a later run in the same worker. */
  runId: number;
  /** JavaScript: the user's source wrapped in an async function, types already erased. */
  code: string;
  inputsJson: string;
  limits: WorkerLimits;
  fetchEnabled: boolean;
}

export type FetchResult = { type: "fetch_result"; runId: number; id: number } & FetchOutcome;

/** A response as JSON text (`{ status, headers, body }`), or why there is none. */
export type FetchOutcome = { ok: true; responseJson: string } | { ok: false; message: string };

export type FromWorker =
  | { type: "log"; level: SandboxLogLevel; line: string }
  | { type: "log_truncated" }
  | { type: "fetch"; id: number; url: string; initJson: string }
  /** `heapBytes`: how far the run's WebAssembly memory grew (it never shrinks). */
  | { type: "done"; outcome: WorkerOutcome; heapBytes: number };

export type WorkerOutcome = { ok: true; outputJson: string } | { ok: false; failure: WorkerFailure };

export type WorkerFailure =
  | { kind: "syntax"; message: string; line?: number; column?: number }
  | { kind: "runtime"; name?: string; message: string; stack?: string }
  | { kind: "timeout" }
  | { kind: "memory" }
  | { kind: "stack_overflow" }
  | { kind: "never_settles" }
  | { kind: "unbalanced_wrapper" }
  | { kind: "output_not_serialisable"; reason: string }
  | { kind: "output_too_large"; bytes: number; atLeast: boolean }
  | { kind: "crash"; message: string };
