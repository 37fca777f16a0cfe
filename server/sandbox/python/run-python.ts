/**
 * Runs a tenant's Python in a sandbox: Pyodide (CPython compiled to WebAssembly), a fresh
 * interpreter per run, in a child process of the worker built to contain it (python-host.ts) that
 * keeps interpreters loaded ahead of need. docs/sandbox.md describes it for users.
 *
 * The source is a module. It reads the globals `params`, `upstream`, `vars`, `item` and `inputs`
 * (JSON values as dicts, lists, str, int, float, bool, None); its output is what `main(...)`
 * returns when it defines `main` (called with those of the five names it declares as
 * parameters), else the value of its global `result`. `print` and `logging` write to the log.
 * Every failure, a crashed or killed interpreter included, comes back as a result.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { z } from "zod";
import { env } from "@/server/config";
import {
  abortedError,
  formatBytes,
  type RunCodeResult,
  type SandboxError,
  type SandboxFetch,
  type SandboxInputs,
  type SandboxLogLevel,
  sandboxLimitsSchema,
} from "../run-code";
import type { FromPythonHost, PythonFailure, PythonLimits, ToPythonHost } from "./protocol";

/** The code sandbox's limits, but Python's recursion limit in place of a stack size. */
export const pythonLimitsSchema = sandboxLimitsSchema.omit({ stackBytes: true }).extend({
  /** Python's recursion limit (sys.setrecursionlimit). Default: 1000. */
  recursionLimit: z.int().min(50).max(5000).default(1000),
});
export type PythonSandboxLimits = z.output<typeof pythonLimitsSchema>;

export interface RunPythonOptions {
  source: string;
  inputs: SandboxInputs & { inputs?: Record<string, unknown> };
  limits?: z.input<typeof pythonLimitsSchema>;
  /** Receives stdout and logging below WARNING as info, WARNING as warn, stderr and ERROR+ as error. */
  onLog?: (level: SandboxLogLevel, line: string) => void;
  /** When absent, `fetch` is not defined inside the sandbox. */
  fetch?: SandboxFetch;
  /** Aborting (task timeout, cancellation) ends the run at once, with kind "aborted". */
  signal?: AbortSignal;
}

/** Like runCode's: `durationMs` is the whole call, waiting for an interpreter included. */
export type RunPythonResult = RunCodeResult & { startedAfterMs?: number };

export async function runPython(options: RunPythonOptions): Promise<RunPythonResult> {
  const startedAt = performance.now();
  const limits = pythonLimitsSchema.parse(options.limits ?? {});
  if (options.signal?.aborted) return { ok: false, error: abortedError(options.signal) };
  const inputsJson = JSON.stringify(options.inputs);
  if (inputsJson.length * 2 > limits.memoryBytes) {
    const message = `Inputs (${formatBytes(inputsJson.length)}) do not fit in the memory limit of ${formatBytes(limits.memoryBytes)}`;
    return { ok: false, error: { kind: "memory", message } };
  }
  const host = await pythonHost();
  return new Promise<RunPythonResult>((resolve, reject) => {
    const runId = ++lastRunId;
    let startedAfterMs: number | undefined;
    const end = () => {
      runs.delete(runId);
      if (runs.size === 0) host.hold(false);
      options.signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      host.send({ type: "abort", runId });
    };
    options.signal?.addEventListener("abort", onAbort);
    runs.set(runId, {
      message: (message) => {
        switch (message.type) {
          case "started":
            startedAfterMs = message.waitedMs;
            break;
          case "log":
            try {
              options.onLog?.(message.level, message.line);
            } catch (error) {
              end();
              host.send({ type: "abort", runId });
              reject(error);
            }
            break;
          case "log_truncated":
            options.onLog?.(
              "warn",
              `Log output truncated: the run reached its limit of ${formatBytes(limits.logBytes)}`,
            );
            break;
          case "fetch":
            void relayFetch(host, runId, message.url, message.initJson, options, limits);
            break;
          case "done": {
            end();
            const { outcome } = message;
            if (!outcome.ok) {
              resolve({ ok: false, error: toSandboxError(outcome.failure, limits, options.signal) });
              return;
            }
            const output = parseOutput(outcome.outputJson, limits);
            if ("error" in output) resolve({ ok: false, error: output.error });
            else
              resolve({
                ok: true,
                output: output.value,
                durationMs: performance.now() - startedAt,
                startedAfterMs,
              });
            break;
          }
        }
      },
      lost: (reason) => {
        end();
        resolve({
          ok: false,
          error: {
            kind: "runtime",
            message: `The Python sandbox crashed (${reason}); the run was discarded`,
          },
        });
      },
    });
    host.hold(true);
    host.send({
      type: "run",
      runId,
      source: options.source,
      inputsJson,
      limits: limits satisfies PythonLimits,
      fetchEnabled: options.fetch !== undefined,
    });
  });
}

function parseOutput(
  text: string,
  limits: PythonSandboxLimits,
): { value: unknown } | { error: SandboxError } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: { kind: "invalid_output", message: "Output is not valid JSON" } };
  }
  // The interpreter wrote ASCII JSON (every non-ASCII character escaped); the limit is on UTF-8.
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > limits.outputBytes) {
    return {
      error: {
        kind: "output_too_large",
        message: `Output is too large: ${formatBytes(bytes)} of JSON (limit ${formatBytes(limits.outputBytes)})`,
      },
    };
  }
  return { value };
}

// ---------------------------------------------------------------------------------------------
// The child process

interface HostedRun {
  message: (message: FromPythonHost) => void;
  lost: (reason: string) => void;
}

interface PythonHost {
  pid: number;
  send: (message: ToPythonHost) => void;
  /** Ends the child (benchmarks and tests: the next run starts another, with the settings of then). */
  stop: () => void;
  status: () => Promise<PoolStatus>;
  /** Keeps the worker process alive for the child (while runs are under way) or not. */
  hold: (held: boolean) => void;
}

let lastRunId = 0;
const runs = new Map<number, HostedRun>();
let child: Promise<PythonHost> | undefined;

const here = path.dirname(fileURLToPath(import.meta.url));
const pyodideEntry = createRequire(import.meta.url).resolve("pyodide/pyodide.mjs");

/** The child process, started on first use (and again should it die). */
export function pythonHost(): Promise<PythonHost> {
  child ??= startHost().catch((error) => {
    child = undefined;
    throw error;
  });
  return child;
}

/** Interpreters loaded and waiting, loading, and tasks waiting for one. */
export interface PoolStatus {
  ready: number;
  starting: number;
  waiting: number;
}

/** Ends the child process, if one runs; the next run starts a new one. */
export async function stopPython(): Promise<void> {
  const running = await child?.catch(() => undefined);
  child = undefined;
  running?.stop();
}

/** Starts the child ahead of the first Python task (its snapshot takes a few seconds to make). */
export function prewarmPython(): void {
  void pythonHost().catch((error: Error) => console.warn(`python sandbox: ${error.message}`));
}

function startHost(): Promise<PythonHost> {
  const process_: ChildProcess = spawn(
    process.execPath,
    [
      // JavaScript reached through Pyodide's internals can compile nothing: no eval, no Function.
      "--disallow-code-generation-from-strings",
      // Reads of Pyodide's files and of this folder only; no writes, child processes or addons.
      "--permission",
      `--allow-fs-read=${path.dirname(pyodideEntry)}`,
      `--allow-fs-read=${here}`,
      "--allow-worker",
      "--max-old-space-size=256",
      "--disable-warning=ExperimentalWarning",
      // Node warns that threads could weaken the permission model; they inherit it (checked in
      // test/integration/operators.python.test.ts: a thread reads no host file).
      "--disable-warning=SecurityWarning",
      path.join(here, "python-host.ts"),
      String(env.BATON_PYTHON_POOL_SIZE),
      pathToFileURL(pyodideEntry).href,
    ],
    {
      // Nothing of the worker's environment (database URLs, keys). Two malloc arenas: with one per
      // thread, the memory of ended interpreters' threads stayed resident (measured: +120 MB over
      // 144 tasks, flat with two).
      env: { MALLOC_ARENA_MAX: "2" } as unknown as NodeJS.ProcessEnv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "advanced",
    },
  );
  // An idle child must not keep the worker process alive; one with runs or starting up must.
  const hold = (held: boolean) => {
    const channel = process_.channel as { ref?: () => void; unref?: () => void } | undefined;
    if (held) {
      process_.ref();
      channel?.ref?.();
    } else {
      process_.unref();
      channel?.unref?.();
    }
  };
  const statusWaiters: ((status: PoolStatus) => void)[] = [];
  const host: PythonHost = {
    pid: process_.pid!,
    send: (message) => {
      if (process_.connected) process_.send(message);
    },
    stop: () => process_.kill(),
    status: () =>
      new Promise((resolve) => {
        hold(true);
        statusWaiters.push((status) => {
          if (runs.size === 0 && statusWaiters.length === 0) hold(false);
          resolve(status);
        });
        host.send({ type: "status" });
      }),
    hold,
  };
  return new Promise((resolve, reject) => {
    process_.on("message", (message: FromPythonHost) => {
      if (message.type === "ready") {
        if (runs.size === 0) hold(false);
        resolve(host);
      } else if (message.type === "status") {
        const { ready, starting, waiting } = message;
        statusWaiters.shift()?.({ ready, starting, waiting });
      } else runs.get(message.runId)?.message(message);
    });
    process_.on("exit", (code, signal) => {
      child = undefined;
      const reason = signal ? `killed by ${signal}` : `exited with code ${code}`;
      reject(new Error(`the Python sandbox process ${reason} while starting`));
      for (const run of [...runs.values()]) run.lost(`its process ${reason}`);
    });
    process_.on("error", reject);
  });
}

async function relayFetch(
  host: PythonHost,
  runId: number,
  url: string,
  initJson: string,
  options: RunPythonOptions,
  limits: PythonSandboxLimits,
): Promise<void> {
  const reply = (responseJson: string | null, message?: string) =>
    host.send({ type: "fetch_result", runId, responseJson, message });
  if (!options.fetch) {
    reply(null, "fetch is not enabled for this task (fetch: true)");
    return;
  }
  let init: { method?: string; headers?: Record<string, string>; body?: string };
  try {
    init = fetchInitSchema.parse(JSON.parse(initJson));
  } catch (error) {
    const issue = error instanceof z.ZodError ? error.issues[0] : undefined;
    reply(
      null,
      issue ? `fetch(): invalid ${issue.path.join(".")}: ${issue.message}` : "fetch(): invalid request",
    );
    return;
  }
  try {
    const { status, headers, body } = await options.fetch(url, init);
    const responseJson = JSON.stringify({ status, headers, body });
    if (responseJson.length * 2 > limits.memoryBytes) {
      reply(
        null,
        `fetch(): the response (${formatBytes(responseJson.length)}) does not fit in the memory limit of ${formatBytes(limits.memoryBytes)}`,
      );
    } else reply(responseJson);
  } catch (error) {
    reply(null, `fetch failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const fetchInitSchema = z.object({
  method: z.string().optional(),
  headers: z
    .record(z.string(), z.string())
    .nullish()
    .transform((h) => h ?? undefined),
  body: z
    .string()
    .nullish()
    .transform((b) => b ?? undefined),
});

// ---------------------------------------------------------------------------------------------
// User-facing wording

function toSandboxError(
  failure: PythonFailure,
  limits: PythonSandboxLimits,
  signal?: AbortSignal,
): SandboxError {
  switch (failure.kind) {
    case "syntax": {
      const at = failure.line
        ? ` at line ${failure.line}${failure.column ? `, column ${failure.column}` : ""}`
        : "";
      return { kind: "syntax", message: `${failure.message}${at}` };
    }
    case "runtime":
      if (failure.name === "TaskSkipped")
        return { kind: "skipped", message: failure.message || "skipped by the task" };
      return {
        kind: "runtime",
        message: failure.message ? `${failure.name}: ${failure.message}` : failure.name,
        ...(failure.traceback ? { stack: failure.traceback } : {}),
      };
    case "stack_overflow":
      return {
        kind: "runtime",
        message: `RecursionError: maximum recursion depth exceeded (limit ${limits.recursionLimit}; is there unbounded recursion?)`,
      };
    case "crash":
      return {
        kind: "runtime",
        message: `The Python sandbox crashed (${failure.message}); the run was discarded`,
      };
    case "timeout":
      return { kind: "timeout", message: `Code exceeded its CPU time limit of ${limits.cpuMs} ms` };
    case "memory":
      return { kind: "memory", message: `Code ran out of memory (limit ${formatBytes(limits.memoryBytes)})` };
    case "output_not_serialisable":
      return { kind: "invalid_output", message: `Output is not JSON-serialisable: ${failure.reason}` };
    case "output_too_large": {
      // The interpreter's ASCII JSON is at most three times the UTF-8 JSON it stands for.
      const size = `${failure.atLeast ? "more than " : ""}${formatBytes(Math.ceil(failure.bytes / 3))}`;
      return {
        kind: "output_too_large",
        message: `Output is too large: ${size} of JSON (limit ${formatBytes(limits.outputBytes)})`,
      };
    }
    case "aborted":
      return abortedError(signal);
  }
}
