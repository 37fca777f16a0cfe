// One Python interpreter (Pyodide: CPython compiled to WebAssembly) on a thread of the Python
// child process (python-host.ts). It starts from a memory snapshot, waits, runs exactly one task,
// reports, and its thread is then ended: no state survives from one task to the next.
//
// Python reaches no JavaScript object. Pyodide normally exposes the host's JavaScript through its
// `js` and `pyodide_js` modules; both are unregistered before any task code runs, and the API
// methods that reach the host (host folders, TCP sockets, package loading) are removed. Data
// crosses through the interpreter's in-memory file system, read by this side only after its size
// is checked, and through write handlers that copy at most the log budget out of the WebAssembly
// heap. What Python could still do through Pyodide's internals lands in a process with no code
// generation from strings, no host files, no child processes (python-host.ts).
//
// This file runs under Node's own type stripping: erasable TypeScript only, and imports of
// nothing but packages and types.
import { constants as fsConstants } from "node:fs";
import { createRequire } from "node:module";
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import type { PyodideAPI } from "pyodide";
import type {
  FetchReply,
  FromInterpreter,
  InterpreterData,
  PythonFailure,
  PythonLimits,
  PythonLogLevel,
  PythonOutcome,
  ToInterpreter,
} from "./protocol";

const data = workerData as InterpreterData;
const port = parentPort!;
const post = (message: FromInterpreter) => port.postMessage(message);

type Imports = Record<string, Record<string, unknown>>;

/** The heap may not grow past this: a refused growth is a MemoryError in Python. */
let heapCap = Number.POSITIVE_INFINITY;
let heapBytes = 0;
/** Device numbers for makeDevice. */
let nextDevice = 64;

// The compiled module is shared by every thread; Pyodide would compile its own copy each time.
// Two of its imports are replaced on the way: the heap growth (to enforce the memory limit) and
// `system`, which Pyodide implements in Node with a real shell (child_process.spawnSync).
const instantiate = WebAssembly.instantiate.bind(WebAssembly) as (
  source: unknown,
  imports?: Imports,
) => Promise<WebAssembly.Instance | WebAssembly.WebAssemblyInstantiatedSource>;
(WebAssembly as { instantiate: unknown }).instantiate = async (source: unknown, imports?: Imports) => {
  // Pyodide also instantiates a few small helper modules of its own: those pass through.
  if (!imports?.env?.emscripten_resize_heap) return instantiate(source, imports);
  for (const namespace of Object.values(imports)) {
    const grow = namespace.emscripten_resize_heap as ((requested: number) => number) | undefined;
    if (grow) {
      namespace.emscripten_resize_heap = replacing(grow, (requested: number) => {
        if (requested >>> 0 > heapCap) return 0;
        const grown = grow(requested);
        if (grown) heapBytes = requested >>> 0;
        return grown;
      });
    }
    const system = namespace._emscripten_system as (() => number) | undefined;
    if (system) namespace._emscripten_system = replacing(system, () => -1);
  }
  const instance = (await instantiate(data.wasmModule, imports)) as WebAssembly.Instance;
  return { instance, module: data.wasmModule };
};
// No network for Python but `fetch` through the host's guarded client. Emscripten's socket
// emulation opens a WebSocket (Node's own, or the `ws` package) to whatever address Python connects
// to: without this, `socket.create_connection(("10.0.0.5", 5432), timeout=2)` reached the address.
// Node 24's permission model does not cover the network, so this thread's own sockets refuse to
// connect at all (every TCP client, HTTP and WebSocket ones included, goes through
// net.Socket.connect); the interpreter's socket layer is also switched off (seal, below).
const refuseNetwork = () => {
  throw new Error("the Python sandbox has no network");
};
const nodeRequire = createRequire(import.meta.url);
(nodeRequire("node:net") as typeof import("node:net")).Socket.prototype.connect = refuseNetwork;
const dgram = nodeRequire("node:dgram") as typeof import("node:dgram");
dgram.Socket.prototype.bind = refuseNetwork;
dgram.Socket.prototype.send = refuseNetwork;
for (const name of ["WebSocket", "fetch", "EventSource", "XMLHttpRequest", "WebSocketStream"]) {
  Reflect.deleteProperty(globalThis, name);
}

/** A replacement import keeps the original's signature tag, which Emscripten's loader reads. */
function replacing<F extends (...args: never[]) => unknown>(original: F, replacement: F): F {
  return Object.assign(replacement, { sig: (original as { sig?: string }).sig });
}

// Pyodide's host file system support reads fs constants through process.binding, which the
// child's permission model refuses; nothing mounts host folders, but the support initialises.
(process as unknown as { binding: (name: string) => unknown }).binding = (name) => {
  if (name === "constants") return { fs: fsConstants };
  throw new Error(`process.binding(${name}) is not available`);
};

const { loadPyodide } = (await import(data.pyodideUrl)) as typeof import("pyodide");

const startedAt = performance.now();
const pyodide = await loadPyodide({
  indexURL: data.indexURL,
  jsglobals: Object.create(null),
  env: { HOME: "/home/task" },
  ...(data.snapshot ? { _loadSnapshot: data.snapshot } : { _makeSnapshot: true }),
});

if (!data.snapshot) {
  // The first thread of a child process makes the snapshot the others start from: the
  // interpreter with the modules tasks use most already imported.
  pyodide.runPython(
    "import json, re, math, datetime, statistics, collections, itertools, functools, logging, inspect, traceback, decimal, csv, io, base64, hashlib, random, string, textwrap, typing, dataclasses, urllib.parse",
  );
  post({ type: "snapshot", snapshot: pyodide.makeMemorySnapshot() });
  process.exit(0);
}

seal(pyodide);
const memory = () => (pyodide as unknown as { _module: { HEAPU8: Uint8Array } })._module.HEAPU8.length;

// Everything that does not depend on the task is done before the interpreter says it is ready,
// so that a task's start costs only its own inputs: the log streams and devices (they write to the
// current task's budget), the prelude's definitions, the import guard and logging.
let task: ToInterpreter | undefined;
let logs: LogStreams | undefined;
pyodide.setStdout({
  write: (bytes: Uint8Array) => logs?.write("info", bytes) ?? bytes.length,
  isatty: false,
});
pyodide.setStderr({
  write: (bytes: Uint8Array) => logs?.write("error", bytes) ?? bytes.length,
  isatty: false,
});
makeDevice("/dev/baton_warn", { write: (bytes) => logs?.write("warn", bytes) ?? bytes.length });
makeDevice("/dev/baton_fetch", fetchDevice());
pyodide.FS.mkdirTree("/baton");
pyodide.runPython(data.preludeSource, { filename: "<baton>" });
pyodide.runPython("prepare()", { filename: "<baton>" });
heapBytes = memory();
post({ type: "ready", heapBytes, loadMs: performance.now() - startedAt });

port.once("message", (message: ToInterpreter) => {
  const outcome = runTask(message);
  post({ type: "done", outcome });
});

/** Removes every way from Python to the host's JavaScript that Pyodide provides. */
function seal(py: PyodideAPI): void {
  py.unregisterJsModule("js");
  py.unregisterJsModule("pyodide_js");
  const api = py as unknown as Record<string, unknown> & { _api: Record<string, unknown> };
  const refuse = () => {
    throw new Error("not available in the sandbox");
  };
  for (const name of [
    "mountNodeFS",
    "useNodeSockFS",
    "loadPackage",
    "loadPackagesFromImports",
    "registerJsModule",
  ]) {
    api[name] = refuse;
  }
  api._api.initializeNodeSockFS = refuse;
  api._api.loadBinaryFile = refuse;
  // socket.socket() fails at once with EACCES instead of pretending to connect.
  const module = (py as unknown as { _module: { SOCKFS: Record<string, unknown> } })._module;
  module.SOCKFS.createSocket = () => {
    throw new py.FS.ErrnoError(2);
  };
  py.setInterruptBuffer(data.signals.subarray(0, 1));
}

function runTask(request: ToInterpreter): PythonOutcome {
  const { FS } = pyodide;
  const { limits } = request;
  task = request;
  FS.writeFile("/baton/task.py", request.source);
  FS.writeFile("/baton/inputs.json", request.inputsJson);
  FS.writeFile(
    "/baton/limits.json",
    JSON.stringify({ recursionLimit: limits.recursionLimit, fetch: request.fetchEnabled }),
  );
  logs = new LogStreams(limits.logBytes);
  // The code may use `memoryBytes` beyond what the interpreter holds once the inputs are in.
  heapCap = memory() + limits.memoryBytes;
  try {
    pyodide.runPython("run()", { filename: "<baton>" });
  } catch (error) {
    return { ok: false, failure: interpreterFailure(error) };
  } finally {
    logs.end();
  }
  return readOutcome(limits);
}

/** A failure of the interpreter itself (the prelude could not report): the heap or stack gave out. */
function interpreterFailure(error: unknown): PythonFailure {
  if (error instanceof RangeError) return { kind: "stack_overflow" };
  if (heapBytes >= heapCap * 0.9 || /MemoryError|out of memory/i.test(String(error)))
    return { kind: "memory" };
  const text = error instanceof Error ? error.message : String(error);
  return { kind: "crash", message: text.slice(0, 2000) };
}

/** The prelude's report, read only when its size is within what it may be. */
function readOutcome(limits: PythonLimits): PythonOutcome {
  const output = readSmall("/baton/output.json", limits.outputBytes * 3 + 16);
  if (output.tooLarge)
    return { ok: false, failure: { kind: "output_too_large", bytes: output.size, atLeast: true } };
  if (output.text !== undefined) return { ok: true, outputJson: output.text };
  const error = readSmall("/baton/error.json", 64 * 1024);
  if (error.text === undefined)
    return { ok: false, failure: { kind: "crash", message: "the task ended without a result" } };
  try {
    return { ok: false, failure: JSON.parse(error.text) as PythonFailure };
  } catch {
    return { ok: false, failure: { kind: "crash", message: "the task's error report is unreadable" } };
  }
}

function readSmall(path: string, maxBytes: number): { text?: string; tooLarge?: boolean; size: number } {
  const { FS } = pyodide;
  let size: number;
  try {
    size = FS.stat(path).size;
  } catch {
    return { size: 0 };
  }
  if (size > maxBytes) return { tooLarge: true, size };
  return { text: new TextDecoder().decode(FS.readFile(path)), size };
}

// -- Logs ----------------------------------------------------------------------------------------

/**
 * Turns what the code writes into log lines, copying at most the run's budget out of the heap:
 * the write handlers get a view of the interpreter's memory, and only the part that still fits
 * is decoded. A line costs its newline too.
 */
class LogStreams {
  private left: number;
  private truncated = false;
  private readonly partial = new Map<PythonLogLevel, string>();
  private readonly decoders = new Map<PythonLogLevel, TextDecoder>();

  constructor(budget: number) {
    this.left = budget;
  }

  write(level: PythonLogLevel, bytes: Uint8Array): number {
    if (this.truncated) return bytes.length;
    const taken = bytes.subarray(0, Math.min(bytes.length, this.left + 1));
    let decoder = this.decoders.get(level);
    if (!decoder) {
      decoder = new TextDecoder();
      this.decoders.set(level, decoder);
    }
    const text = (this.partial.get(level) ?? "") + decoder.decode(taken, { stream: true });
    const lines = text.split("\n");
    this.partial.set(level, lines.pop() ?? "");
    for (const line of lines) this.emit(level, line);
    if (taken.length < bytes.length) this.overflow(level);
    return bytes.length;
  }

  end(): void {
    for (const [level, rest] of this.partial) if (rest && !this.truncated) this.emit(level, rest);
    this.partial.clear();
  }

  private emit(level: PythonLogLevel, line: string): void {
    if (this.truncated) return;
    const bytes = Buffer.byteLength(line) + 1;
    if (bytes <= this.left) {
      this.left -= bytes;
      post({ type: "log", level, line });
      return;
    }
    this.overflow(level, line);
  }

  private overflow(level: PythonLogLevel, line = this.partial.get(level) ?? ""): void {
    if (this.truncated) return;
    if (this.left > 0 && line)
      post({ type: "log", level, line: Buffer.from(line).subarray(0, this.left).toString() });
    this.truncated = true;
    post({ type: "log_truncated" });
  }
}

// -- Devices --------------------------------------------------------------------------------------

interface DeviceOps {
  write?: (bytes: Uint8Array) => number;
  read?: (room: number) => Uint8Array;
}

interface EmscriptenStream {
  position: number;
}

/** A character device at `path` whose reads and writes call `ops` (Emscripten's FS.registerDevice). */
function makeDevice(path: string, ops: DeviceOps): void {
  const FS = pyodide.FS as unknown as {
    makedev(major: number, minor: number): number;
    registerDevice(dev: number, ops: object): void;
    mkdev(path: string, mode: number, dev: number): void;
  };
  const dev = FS.makedev(nextDevice++, 0);
  FS.registerDevice(dev, {
    write: (_stream: EmscriptenStream, buffer: Uint8Array, offset: number, length: number) =>
      ops.write ? ops.write(buffer.subarray(offset, offset + length)) : length,
    read: (_stream: EmscriptenStream, buffer: Uint8Array, offset: number, length: number) => {
      const chunk = ops.read?.(length) ?? new Uint8Array(0);
      buffer.set(chunk, offset);
      return chunk.length;
    },
  });
  FS.mkdev(path, 0o666, dev);
}

/**
 * `fetch` for Python, synchronous as Python expects: a request written to the device goes to the
 * host, and this thread blocks until the answer arrives (Atomics.wait, then the message read
 * synchronously off its port); reading the device then returns it.
 */
function fetchDevice(): DeviceOps {
  const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
  let pending: Uint8Array | undefined;
  return {
    write(bytes) {
      if (!task?.fetchEnabled) {
        pending = reply({ ok: false, message: "fetch is not enabled for this task (fetch: true)" });
        return bytes.length;
      }
      const { limits } = task;
      if (bytes.length > MAX_REQUEST_BYTES) {
        pending = reply({ ok: false, message: "fetch(): the request is larger than 10 MiB" });
        return bytes.length;
      }
      let request: { url: string; method?: string; headers?: Record<string, string>; body?: string };
      try {
        request = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        pending = reply({ ok: false, message: "fetch(): the request is not valid" });
        return bytes.length;
      }
      const { url, ...init } = request;
      Atomics.store(data.signals, 1, 0);
      post({ type: "fetch", url: String(url), initJson: JSON.stringify(init) });
      let answer: FetchReply | undefined;
      while (!answer) {
        Atomics.wait(data.signals, 1, 0, 1000);
        answer = receiveMessageOnPort(data.fetchPort)?.message as FetchReply | undefined;
      }
      if (!answer || answer.responseJson === null) {
        pending = reply({ ok: false, message: answer?.message ?? "fetch failed" });
      } else if (answer.responseJson.length * 2 > limits.memoryBytes) {
        pending = reply({ ok: false, message: "fetch(): the response does not fit in the memory limit" });
      } else {
        pending = new TextEncoder().encode(`{"ok":true,"response":${answer.responseJson}}`);
      }
      return bytes.length;
    },
    read(room) {
      if (!pending) return new Uint8Array(0);
      const chunk = pending.subarray(0, room);
      pending = chunk.length < pending.length ? pending.subarray(chunk.length) : undefined;
      return chunk;
    },
  };
}

function reply(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
