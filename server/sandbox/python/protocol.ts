// Messages between the three parties of a Python run: run-python.ts in the worker process (the
// host), python-host.ts in the Python child process, and interpreter.ts on one of its threads.
// Types only: the child and its threads run under Node's type stripping, which drops `import type`
// of a relative file but cannot resolve a relative import of code.
import type { MessagePort } from "node:worker_threads";
import type { WorkerFailure } from "../protocol";

export type PythonLogLevel = "info" | "warn" | "error";

/** The limits an interpreter enforces, all defaults applied (see pythonLimitsSchema). */
export interface PythonLimits {
  memoryBytes: number;
  cpuMs: number;
  outputBytes: number;
  logBytes: number;
  recursionLimit: number;
}

// -- Host (worker process) ↔ Python child process, over the child's IPC channel ----------------

export type ToPythonHost =
  | {
      type: "run";
      runId: number;
      source: string;
      inputsJson: string;
      limits: PythonLimits;
      fetchEnabled: boolean;
    }
  | { type: "fetch_result"; runId: number; responseJson: string | null; message?: string }
  | { type: "abort"; runId: number }
  | { type: "status" };

export type FromPythonHost =
  | { type: "ready"; poolSize: number }
  | { type: "log"; runId: number; level: PythonLogLevel; line: string }
  | { type: "log_truncated"; runId: number }
  | { type: "fetch"; runId: number; url: string; initJson: string }
  | { type: "started"; runId: number; waitedMs: number }
  | { type: "done"; runId: number; outcome: PythonOutcome }
  | { type: "status"; ready: number; starting: number; waiting: number };

export type PythonOutcome = { ok: true; outputJson: string } | { ok: false; failure: PythonFailure };

export type PythonFailure =
  | Exclude<WorkerFailure, { kind: "unbalanced_wrapper" | "never_settles" | "runtime" }>
  | { kind: "runtime"; name: string; message: string; traceback?: string }
  | { kind: "aborted" };

// -- Python child process ↔ one interpreter thread --------------------------------------------

export interface InterpreterData {
  /** file: URL of pyodide.mjs. */
  pyodideUrl: string;
  /** The pyodide package's folder, with a trailing slash. */
  indexURL: string;
  /** pyodide.asm.wasm, compiled once per child process and shared by its threads. */
  wasmModule: WebAssembly.Module;
  /** A memory snapshot to start from (shared, read only), or none: load from scratch and make one. */
  snapshot: Uint8Array | null;
  /** The Python source of the sandbox's bootstrap (prelude.py). */
  preludeSource: string;
  /** Index 0: Pyodide's interrupt buffer (2 = SIGINT). Index 1: a fetch result is waiting. */
  signals: Int32Array;
  /** Where fetch results arrive, read synchronously while the thread blocks (see interpreter.ts). */
  fetchPort: MessagePort;
}

export type ToInterpreter = {
  type: "run";
  source: string;
  inputsJson: string;
  limits: PythonLimits;
  fetchEnabled: boolean;
};

export type FromInterpreter =
  | { type: "ready"; heapBytes: number; loadMs: number }
  | { type: "snapshot"; snapshot: Uint8Array }
  | { type: "log"; level: PythonLogLevel; line: string }
  | { type: "log_truncated" }
  | { type: "fetch"; url: string; initJson: string }
  | { type: "done"; outcome: PythonOutcome };

export type FetchReply = { responseJson: string | null; message?: string };
