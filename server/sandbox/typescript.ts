// Turns TypeScript into JavaScript for the sandbox by erasing the types.
//
// Node's own `stripTypeScriptTypes` (the type stripping Node 24 uses to run .ts files) replaces
// every annotation with whitespace, so each statement keeps its line and column: the line numbers
// in the sandbox's stack traces and error messages are the lines the user wrote. It needs no extra
// dependency and no child process. The price is that only erasable syntax is accepted (what
// TypeScript's `erasableSyntaxOnly` allows): enums, namespaces and constructor parameter properties
// are refused with a clear message. esbuild would accept those too, but it reprints the code, so
// runtime errors would point at lines the user never wrote unless source maps were applied.
import { stripTypeScriptTypes } from "node:module";

export type StripResult = { ok: true; code: string } | { ok: false; message: string; line?: number };

const SOURCE_URL = "task.ts";

export function stripTypes(source: string): StripResult {
  try {
    return { ok: true, code: stripTypeScriptTypes(source, { mode: "strip", sourceUrl: SOURCE_URL }) };
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX") {
      return {
        ok: false,
        message: `${error.message} (the sandbox only erases types: use a union of literals or an object instead of an enum or namespace)`,
        line: errorLine(error),
      };
    }
    if (code === "ERR_INVALID_TYPESCRIPT_SYNTAX") {
      return { ok: false, message: error.message, line: errorLine(error) };
    }
    throw error;
  }
}

// The parser's message carries no position, but Node decorates the error's stack with
// "<sourceUrl>:<line>" and a code frame. Best effort: without it the message still stands.
function errorLine(error: Error): number | undefined {
  const match = error.stack?.match(/^task\.ts:(\d+)\n/);
  return match ? Number(match[1]) : undefined;
}
