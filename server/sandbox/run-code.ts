/**
 * Runs a tenant's JavaScript or TypeScript in a sandbox: a QuickJS interpreter compiled to
 * WebAssembly, on a worker thread (worker-pool.ts), in a fresh WebAssembly instance per run
 * (sandbox-worker.ts).
 *
 * Many tenants share one worker process, so the code must never reach the host. It sees only the
 * globals the prelude defines (no `process`, `require`, module loader, file system, timers or
 * ambient network) and exchanges data with the host as JSON text only. Memory, stack, interpreter
 * time, output and log volume are capped per run, and every failure, a crashed or killed worker
 * included, comes back as a result rather than an exception.
 *
 * The source is the body of an async function: it may `await`, and what it `return`s is the output.
 * Its inputs are the globals `params`, `upstream` (task id → output), `vars` and `item` (the element
 * of a mapped task, else undefined). docs/sandbox.md describes it for users.
 */
import { z } from "zod";
import type { FetchOutcome, FromWorker, SandboxLogLevel, WorkerFailure, WorkerOutcome } from "./protocol";
import { stripTypes } from "./typescript";
import { acquireWorker, discardWorker, mayReuse, releaseWorker, type SandboxWorker } from "./worker-pool";

export type { SandboxLogLevel } from "./protocol";

const KiB = 1024;
const MiB = 1024 * KiB;

export const sandboxLimitsSchema = z.object({
  /** Heap the code may use, its inputs included. Default: 64 MiB. */
  memoryBytes: z
    .int()
    .min(MiB)
    .default(64 * MiB),
  /**
   * Time the interpreter may spend running the code. The interrupt handler stops the code at this
   * limit; a watchdog terminates the worker shortly after, should the handler not get a chance to
   * run. Waiting for an injected `fetch` does not count: bound that with `signal`. Default: 5000 ms.
   */
  cpuMs: z.int().positive().default(5000),
  /** Largest output, measured as UTF-8 JSON text. Default: 1 MiB. */
  outputBytes: z.int().positive().default(MiB),
  /** Interpreter stack. Default: 256 KiB, about 1,500 nested calls of a simple function. */
  stackBytes: z
    .int()
    .min(32 * KiB)
    .max(MiB)
    .default(256 * KiB),
  /** Console output passed to `onLog`; the rest is dropped with one notice. Default: 1 MiB. */
  logBytes: z.int().nonnegative().default(MiB),
});
export type SandboxLimits = z.output<typeof sandboxLimitsSchema>;

export type SandboxLanguage = "javascript" | "typescript";

export interface SandboxFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}
export interface SandboxFetchResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}
/** The network the code may use: in production the platform's guarded client, with its own timeout. */
export type SandboxFetch = (url: string, init: SandboxFetchInit) => Promise<SandboxFetchResponse>;

export interface SandboxInputs {
  params: unknown;
  upstream: Record<string, unknown>;
  vars: Record<string, unknown>;
  item?: unknown;
}

export interface RunCodeOptions {
  /** The body of an async function; see the module comment. */
  source: string;
  /** Default: javascript. TypeScript has its types erased first (see typescript.ts). */
  language?: SandboxLanguage;
  /** Copied into the sandbox as JSON; must be JSON-serialisable. */
  inputs: SandboxInputs;
  limits?: z.input<typeof sandboxLimitsSchema>;
  /** Receives console.log/info/debug as info, console.warn as warn, console.error as error. */
  onLog?: (level: SandboxLogLevel, line: string) => void;
  /** When absent, `fetch` is not defined inside the sandbox. */
  fetch?: SandboxFetch;
  /** Aborting (task timeout, cancellation) ends the run at once, with kind "aborted". */
  signal?: AbortSignal;
}

/** "skipped": the code called skip(reason), so the task ends as skipped; the message is the reason. */
export type SandboxErrorKind =
  | "skipped"
  | "syntax"
  | "runtime"
  | "timeout"
  | "memory"
  | "output_too_large"
  | "aborted"
  | "invalid_output";

export interface SandboxError {
  kind: SandboxErrorKind;
  /** User-facing, e.g. "Code exceeded its CPU time limit of 5000 ms". */
  message: string;
  /** The sandbox's stack trace, when the error carried one. */
  stack?: string;
}

/** `durationMs` is the wall time of the whole call, waiting for a worker included. */
export type RunCodeResult =
  | { ok: true; output: unknown; durationMs: number }
  | { ok: false; error: SandboxError };

/**
 * Runs `options.source` and resolves with its output or a user-facing error. Rejects only when the
 * host fails: inputs that are not JSON-serialisable, or an `onLog` that throws.
 */
export async function runCode(options: RunCodeOptions): Promise<RunCodeResult> {
  const startedAt = performance.now();
  const limits = sandboxLimitsSchema.parse(options.limits ?? {});
  if (options.signal?.aborted) return { ok: false, error: abortedError(options.signal) };

  const code = prepareSource(options.source, options.language ?? "javascript");
  if (!code.ok) return { ok: false, error: code.error };
  const inputsJson = JSON.stringify(options.inputs);
  if (!fitsInMemory(inputsJson, limits)) {
    const message = `Inputs (${formatBytes(inputsJson.length)}) do not fit in the memory limit of ${formatBytes(limits.memoryBytes)}`;
    return { ok: false, error: { kind: "memory", message } };
  }

  const outcome = await new HostedRun(acquireWorker(), options, limits).run(code.code, inputsJson);
  if (!outcome.ok) return { ok: false, error: toSandboxError(outcome.failure, limits, options.signal) };
  // The sandbox's JSON.stringify wrote it; parsing can only fail if the instance was corrupted.
  const output = parseJson(outcome.outputJson);
  if (output === INVALID_JSON) {
    return { ok: false, error: { kind: "invalid_output", message: "Output is not valid JSON" } };
  }
  return { ok: true, output, durationMs: performance.now() - startedAt };
}

// ---------------------------------------------------------------------------------------------
// Source

// The head shares line 1 with the user's first line, so line numbers in errors are the user's own.
const FUNCTION_HEAD = "(async function () {";

function prepareSource(
  source: string,
  language: SandboxLanguage,
): { ok: true; code: string } | { ok: false; error: SandboxError } {
  const wrapped = `${FUNCTION_HEAD}${source}\n})`;
  if (language === "javascript") return { ok: true, code: wrapped };
  const stripped = stripTypes(wrapped);
  if (stripped.ok) return stripped;
  const at = stripped.line ? ` at line ${stripped.line}` : "";
  return { ok: false, error: { kind: "syntax", message: `SyntaxError: ${stripped.message}${at}` } };
}

// ---------------------------------------------------------------------------------------------
// The host side of one run

type HostFailure = WorkerFailure | { kind: "aborted" };
type HostOutcome = WorkerOutcome | { ok: false; failure: HostFailure };

const fetchInitSchema = z.object({
  method: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
});

/** Past the CPU limit, how long the worker's interrupt handler gets before the worker is terminated. */
const watchdogGraceMs = (cpuMs: number) => 250 + cpuMs / 10;
const MIN_WATCHDOG_INTERVAL_MS = 10;
/** Keeps the delay within what setTimeout accepts, whatever the limit. */
const MAX_WATCHDOG_INTERVAL_MS = 60_000;

/**
 * Requests one run may have open at once; later ones wait their turn. `urls.map(fetch)` over a
 * long list must not open thousands of sockets from a process that other tenants share.
 */
const MAX_FETCHES_IN_FLIGHT = 8;

let lastRunId = 0;

/**
 * Drives one run on a worker: relays logs and fetches, and ends the worker when the run is aborted
 * or overruns its CPU limit.
 */
class HostedRun {
  private readonly runId = ++lastRunId;
  private readonly worker: SandboxWorker;
  private readonly options: RunCodeOptions;
  private readonly limits: SandboxLimits;
  private finished = false;
  private fetchesInFlight = 0;
  private readonly queuedFetches: (() => void)[] = [];
  private watchdog: NodeJS.Timeout | undefined;
  private settle: ((outcome: HostOutcome) => void) | undefined;
  private fail: ((error: unknown) => void) | undefined;

  constructor(worker: SandboxWorker, options: RunCodeOptions, limits: SandboxLimits) {
    this.worker = worker;
    this.options = options;
    this.limits = limits;
  }

  run(code: string, inputsJson: string): Promise<HostOutcome> {
    const { thread } = this.worker;
    return new Promise<HostOutcome>((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
      thread.on("message", this.onMessage);
      thread.on("error", this.onWorkerError);
      thread.on("exit", this.onWorkerExit);
      this.options.signal?.addEventListener("abort", this.onAbort);
      thread.postMessage({
        type: "run",
        runId: this.runId,
        code,
        inputsJson,
        limits: this.limits,
        fetchEnabled: this.options.fetch !== undefined,
      });
      this.armWatchdog();
    });
  }

  private readonly onMessage = (message: FromWorker): void => {
    if (this.finished) return;
    switch (message.type) {
      case "log":
        this.log(message.level, message.line);
        break;
      case "log_truncated":
        this.log(
          "warn",
          `Log output truncated: the run reached its limit of ${formatBytes(this.limits.logBytes)}`,
        );
        break;
      case "fetch":
        void this.relayFetch(message.id, message.url, message.initJson);
        break;
      case "done":
        this.finish(message.outcome, mayReuse(message.heapBytes) ? "reuse" : "discard");
        break;
    }
  };

  private readonly onAbort = (): void => this.finish({ ok: false, failure: { kind: "aborted" } }, "discard");

  private readonly onWorkerError = (error: Error): void =>
    this.finish({ ok: false, failure: { kind: "crash", message: error.message } }, "discard");

  private readonly onWorkerExit = (exitCode: number): void =>
    this.finish(
      { ok: false, failure: { kind: "crash", message: `worker exited with code ${exitCode}` } },
      "discard",
    );

  private log(level: SandboxLogLevel, line: string): void {
    try {
      this.options.onLog?.(level, line);
    } catch (error) {
      // The platform's logger failed, which is no fault of the code: runCode rejects, so that the
      // task runner treats it as an infrastructure error.
      this.abandon(error);
    }
  }

  private async relayFetch(id: number, url: string, initJson: string): Promise<void> {
    if (this.fetchesInFlight >= MAX_FETCHES_IN_FLIGHT) {
      await new Promise<void>((resolve) => this.queuedFetches.push(resolve));
    }
    if (this.finished) return;
    this.fetchesInFlight++;
    const result = await this.fetch(url, initJson);
    this.fetchesInFlight--;
    this.queuedFetches.shift()?.();
    if (this.finished) return; // the code no longer waits for it
    this.worker.thread.postMessage({ type: "fetch_result", runId: this.runId, id, ...result });
  }

  /** Performs one fetch for the code; never rejects: failures become rejections inside the sandbox. */
  private async fetch(url: string, initJson: string): Promise<FetchOutcome> {
    const init = fetchInitSchema.safeParse(parseJson(initJson));
    if (!init.success) {
      const issue = init.error.issues[0];
      return { ok: false, message: `fetch(): invalid init.${issue?.path.join(".")}: ${issue?.message}` };
    }
    try {
      const { status, headers, body } = await this.options.fetch!(url, init.data);
      const responseJson = JSON.stringify({ status, headers, body });
      if (fitsInMemory(responseJson, this.limits)) return { ok: true, responseJson };
      const size = formatBytes(responseJson.length);
      return {
        ok: false,
        message: `fetch(): the response (${size}) does not fit in the memory limit of ${formatBytes(this.limits.memoryBytes)}`,
      };
    } catch (error) {
      return {
        ok: false,
        message: `fetch failed: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }

  /** Re-armed until the run ends; terminates the worker once its interpreter time is past the grace. */
  private armWatchdog(): void {
    const hardLimitMs = this.limits.cpuMs + watchdogGraceMs(this.limits.cpuMs);
    const usedMs = this.worker.cpuUsedMs();
    if (usedMs > hardLimitMs) {
      this.finish({ ok: false, failure: { kind: "timeout" } }, "discard");
      return;
    }
    const nextCheckMs = Math.min(
      MAX_WATCHDOG_INTERVAL_MS,
      Math.max(MIN_WATCHDOG_INTERVAL_MS, hardLimitMs - usedMs),
    );
    this.watchdog = setTimeout(() => this.armWatchdog(), nextCheckMs);
  }

  private finish(outcome: HostOutcome, worker: "reuse" | "discard"): void {
    if (this.end(worker)) this.settle?.(outcome);
  }

  /** Ends the run with a host error, which runCode rethrows. */
  private abandon(error: unknown): void {
    if (this.end("discard")) this.fail?.(error);
  }

  /** Detaches from the worker and hands it back or ends it; false if the run had already ended. */
  private end(worker: "reuse" | "discard"): boolean {
    if (this.finished) return false;
    this.finished = true;
    clearTimeout(this.watchdog);
    const { thread } = this.worker;
    thread.off("message", this.onMessage);
    thread.off("error", this.onWorkerError);
    thread.off("exit", this.onWorkerExit);
    this.options.signal?.removeEventListener("abort", this.onAbort);
    for (const release of this.queuedFetches.splice(0)) release(); // they see `finished` and stop
    if (worker === "reuse") releaseWorker(this.worker);
    else discardWorker(this.worker);
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// User-facing wording

const MAX_STACK_LINES = 20;
const MAX_MESSAGE_CHARS = 2000;

function toSandboxError(
  failure: HostFailure,
  limits: SandboxLimits,
  signal: AbortSignal | undefined,
): SandboxError {
  switch (failure.kind) {
    case "syntax":
      return { kind: "syntax", message: `SyntaxError: ${truncate(failure.message)}${position(failure)}` };
    case "unbalanced_wrapper":
      return {
        kind: "syntax",
        message: "SyntaxError: the code must be a function body; check for unbalanced braces",
      };
    case "runtime": {
      if (failure.name === "TaskSkipped") return { kind: "skipped", message: truncate(failure.message) };
      const message = truncate(failure.message);
      const stack = failure.stack ? trimStack(failure.stack) : undefined;
      return {
        kind: "runtime",
        message: failure.name === undefined ? `Uncaught ${message}` : `${failure.name}: ${message}`,
        ...(stack ? { stack } : {}),
      };
    }
    case "stack_overflow":
      return {
        kind: "runtime",
        message: `RangeError: Maximum call stack size exceeded (stack limit ${formatBytes(limits.stackBytes)}; is there unbounded recursion?)`,
      };
    case "never_settles":
      return {
        kind: "runtime",
        message:
          "Code awaited a promise that can never settle (the sandbox has no timers; only fetch resolves later)",
      };
    case "crash":
      return { kind: "runtime", message: `The sandbox crashed (${failure.message}); the run was discarded` };
    case "timeout":
      return { kind: "timeout", message: `Code exceeded its CPU time limit of ${limits.cpuMs} ms` };
    case "memory":
      return { kind: "memory", message: `Code ran out of memory (limit ${formatBytes(limits.memoryBytes)})` };
    case "output_not_serialisable":
      return {
        kind: "invalid_output",
        message: `Output is not JSON-serialisable: ${truncate(failure.reason)}`,
      };
    case "output_too_large": {
      const size = `${failure.atLeast ? "more than " : ""}${formatBytes(failure.bytes)}`;
      return {
        kind: "output_too_large",
        message: `Output is too large: ${size} of JSON (limit ${formatBytes(limits.outputBytes)})`,
      };
    }
    case "aborted":
      return abortedError(signal);
  }
}

export function abortedError(signal: AbortSignal | undefined): SandboxError {
  const reason: unknown = signal?.reason;
  const why =
    typeof reason === "string"
      ? reason
      : reason instanceof Error && reason.name !== "AbortError"
        ? reason.message
        : "";
  return { kind: "aborted", message: why ? `Code was aborted: ${why}` : "Code was aborted" };
}

function position({ line, column }: { line?: number; column?: number }): string {
  if (line === undefined) return "";
  // Line 1 starts with the function head, which the user did not write.
  const userColumn = column !== undefined && line === 1 ? column - FUNCTION_HEAD.length : column;
  return userColumn === undefined || userColumn < 1
    ? ` at line ${line}`
    : ` at line ${line}, column ${userColumn}`;
}

function trimStack(stack: string): string {
  const lines = stack.trimEnd().split("\n");
  if (lines.length <= MAX_STACK_LINES) return lines.join("\n");
  return [...lines.slice(0, MAX_STACK_LINES), `    … ${lines.length - MAX_STACK_LINES} more frames`].join(
    "\n",
  );
}

function truncate(text: string): string {
  return text.length <= MAX_MESSAGE_CHARS ? text : `${text.slice(0, MAX_MESSAGE_CHARS)}…`;
}

const INVALID_JSON = Symbol("invalid JSON");

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return INVALID_JSON;
  }
}

/** Text copied into the sandbox takes up to two bytes a character there, and parsing copies it again. */
function fitsInMemory(text: string, limits: SandboxLimits): boolean {
  return text.length * 2 <= limits.memoryBytes;
}

export function formatBytes(bytes: number): string {
  if (bytes >= MiB) return `${Number((bytes / MiB).toFixed(1))} MiB`;
  if (bytes >= KiB) return `${Number((bytes / KiB).toFixed(1))} KiB`;
  return `${bytes} bytes`;
}
