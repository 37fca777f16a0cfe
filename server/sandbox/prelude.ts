// The sandbox side of the bridge: JavaScript evaluated inside QuickJS before the user's code.
//
// It runs first, so it can keep the pristine JSON and String functions in a closure: user
// code may replace the globals, but cannot change how inputs are decoded, how the output is encoded
// or how its errors are described. Only data crosses the boundary: inputs and results travel as JSON
// text, logs as strings, and the only host functions the code can reach are the two handed in here.
//
// `install(emitLog, hostFetch, inputsJson)` defines the globals `params`, `upstream`, `vars`,
// `item`, `console` and (when hostFetch is given) `fetch`, then returns the host's helpers:
// - serialize(value): the output as JSON text (`undefined` becomes "null"); may throw.
// - describe(error): JSON `{ name?, message, stack?, line?, column? }` for any thrown value.
export const PRELUDE_SOURCE = String.raw`(function install(emitLog, hostFetch, inputsJson) {
  "use strict";
  const { parse, stringify } = JSON;
  const toText = String;
  const objectToString = Object.prototype.toString;
  const defineProperty = Object.defineProperty;

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

  function logger(level) {
    return function (...args) {
      emitLog(level, args.map(format).join(" "));
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
      if (!isErrorLike(error)) return stringify({ message: format(error) });
      return stringify({
        name: toText(error.name),
        message: error.message,
        stack: typeof error.stack === "string" ? error.stack : undefined,
        line: typeof error.lineNumber === "number" ? error.lineNumber : undefined,
        column: typeof error.columnNumber === "number" ? error.columnNumber : undefined,
      });
    },
  };
})`;
