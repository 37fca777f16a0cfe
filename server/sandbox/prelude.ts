// The sandbox side of the bridge: JavaScript evaluated inside QuickJS before the user's code.
//
// It runs first, so it can keep the pristine JSON and String functions in a closure: user
// code may replace the globals, but cannot change how inputs are decoded, how the output is encoded
// or how its errors are described. Only data crosses the boundary: inputs and results travel as JSON
// text, logs as strings, and the only host functions the code can reach are the two handed in here.
//
// Text leaves the sandbox as JSON text (escaped by the captured JSON.stringify), and already cut to
// what the host will take: a NUL or a lone surrogate survives the copy out of the WebAssembly heap
// (which reads C strings, cut at the first NUL), and a line of 100 MB is never copied at all. The
// host checks every length again before copying (sandbox-worker.ts): the cuts here only spare it.
//
// `install(emitLog, hostFetch, inputsJson, logBytes)` defines the globals `params`, `upstream`,
// `vars`, `item`, `console`, `skip` and (when hostFetch is given) `fetch`, then returns the host's helpers:
// - serialize(value): the output as JSON text (`undefined` becomes "null"); may throw.
// - describe(error): JSON `{ name?, message, stack?, line?, column? }` for any thrown value, each
//   text cut to a few thousand characters.
// `emitLog(level, lineJson)` answers with the log bytes the host still takes, or -1 once it takes
// no more.
export const PRELUDE_SOURCE = String.raw`(function install(emitLog, hostFetch, inputsJson, logBytes) {
  "use strict";
  const { parse, stringify } = JSON;
  const toText = String;
  const objectToString = Object.prototype.toString;
  const defineProperty = Object.defineProperty;
  // Bound now: replacing String.prototype.slice or Function.prototype.call later changes nothing.
  const slice = Function.prototype.call.bind(String.prototype.slice);
  const MAX_DESCRIBED_CHARS = 4000;
  const cut = (text, max) => (text.length > max ? slice(text, 0, max) : text);

  const inputs = parse(inputsJson);
  globalThis.params = inputs.params;
  globalThis.upstream = inputs.upstream;
  globalThis.vars = inputs.vars;
  globalThis.item = inputs.item;

  function isErrorLike(value) {
    return typeof value === "object" && value !== null && typeof value.message === "string";
  }

  function format(value) {
    try {
      if (typeof value === "string") return value;
      if (isErrorLike(value)) {
        const head = toText(value.name) + ": " + value.message;
        return typeof value.stack === "string" && value.stack ? head + "\n" + value.stack.trimEnd() : head;
      }
      if (typeof value === "object" && value !== null) {
        try {
          const json = stringify(value);
          if (json !== undefined) return json;
        } catch {}
      }
      return toText(value);
    } catch {
      return objectToString.call(value);
    }
  }

  // A UTF-16 unit takes at least one byte of UTF-8, so a line of more units than the host still
  // takes is cut to one unit over it: the host then sees it overflow and says so.
  let logBytesLeft = logBytes;
  function logger(level) {
    return function (...args) {
      if (logBytesLeft < 0) return;
      let line = "";
      for (let i = 0; i < args.length && line.length <= logBytesLeft; i++) {
        line += (i === 0 ? "" : " ") + cut(toText(format(args[i])), logBytesLeft + 1 - line.length);
      }
      logBytesLeft = emitLog(level, stringify(cut(line, logBytesLeft + 1)));
    };
  }
  globalThis.console = {
    log: logger("info"),
    info: logger("info"),
    debug: logger("info"),
    warn: logger("warn"),
    error: logger("error"),
  };

  function responseHeaders(raw) {
    const headers = {};
    for (const name of Object.keys(raw ?? {})) headers[name.toLowerCase()] = raw[name];
    defineProperty(headers, "get", {
      value: (name) => headers[toText(name).toLowerCase()] ?? null,
      enumerable: false,
    });
    return headers;
  }

  // skip(reason) ends the task as skipped: the host reads an error named TaskSkipped that way.
  class TaskSkipped extends Error {}
  defineProperty(TaskSkipped.prototype, "name", { value: "TaskSkipped" });
  globalThis.skip = function skip(reason) {
    throw new TaskSkipped(reason === undefined ? "skipped by the task" : toText(reason));
  };

  if (hostFetch) {
    globalThis.fetch = async function fetch(url, init) {
      const { method, headers, body } = init ?? {};
      const request = stringify({ method, headers, body });
      const response = parse(await hostFetch(toText(url), request));
      const text = response.body;
      return {
        status: response.status,
        ok: response.status >= 200 && response.status < 300,
        headers: responseHeaders(response.headers),
        text: async () => text,
        json: async () => parse(text),
      };
    };
  }

  return {
    serialize(value) {
      return value === undefined ? "null" : stringify(value);
    },
    describe(error) {
      if (!isErrorLike(error)) return stringify({ message: cut(toText(format(error)), MAX_DESCRIBED_CHARS) });
      const stack = error.stack;
      return stringify({
        name: cut(toText(error.name), MAX_DESCRIBED_CHARS),
        message: cut(toText(error.message), MAX_DESCRIBED_CHARS),
        stack: typeof stack === "string" ? cut(stack, MAX_DESCRIBED_CHARS) : undefined,
        line: typeof error.lineNumber === "number" ? error.lineNumber : undefined,
        column: typeof error.columnNumber === "number" ? error.columnNumber : undefined,
      });
    },
  };
})`;
