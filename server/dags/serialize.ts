// DAG documents as text: JSON or YAML in, JSON or YAML out. Parsing never throws; a syntax error
// becomes a Problem (path "", the document) whose message gives the line and column.
import { parseDocument, stringify } from "yaml";
import type { DagDefinition } from "./definition";
import { type Problem, type ValidateOptions, type ValidationResult, validateDag } from "./validate";
import { loadYamlFast } from "./yaml-fast-path";

export type DagFormat = "json" | "yaml";

export type ParseResult =
  | { ok: true; document: unknown; format: DagFormat }
  | { ok: false; problems: Problem[]; format: DagFormat };

/**
 * Parses text into a plain document (not yet validated). Without `format`, text whose first
 * character is `{` is read as JSON and anything else as YAML.
 */
export function parseDagText(text: string, format?: DagFormat): ParseResult {
  const source = text.replace(/^\uFEFF/, "");
  const chosen = format ?? (source.trimStart().startsWith("{") ? "json" : "yaml");
  if (source.trim() === "") {
    return { ok: false, format: chosen, problems: [{ path: "", message: "the document is empty" }] };
  }
  try {
    return chosen === "json" ? parseJson(source) : parseYaml(source);
  } catch (error) {
    const message = error instanceof Error ? error.message : "unreadable document";
    return { ok: false, format: chosen, problems: [{ path: "", message }] };
  }
}

/** Parses, then validates: the usual path from an upload or the code editor to a DAG. */
export function parseAndValidateDag(
  text: string,
  options: ValidateOptions & { format?: DagFormat } = {},
): ValidationResult & { format: DagFormat } {
  const parsed = parseDagText(text, options.format);
  if (!parsed.ok) return parsed;
  return { ...validateDag(parsed.document, options), format: parsed.format };
}

export function toJson(dag: DagDefinition): string {
  return `${JSON.stringify(dag, null, 2)}\n`;
}

export function toYaml(dag: DagDefinition): string {
  // No anchors for shared objects and no folding of long strings: the output is read and diffed
  // by people, and must parse back to exactly the same document.
  return stringify(dag, { aliasDuplicateObjects: false, lineWidth: 0 });
}

function parseJson(text: string): ParseResult {
  try {
    return { ok: true, format: "json", document: JSON.parse(text) };
  } catch {
    // JSON.parse does not always say where the error is; find it ourselves.
    const offset = jsonErrorOffset(text);
    const { line, column } = lineAndColumn(text, offset);
    const found = offset >= text.length ? "end of the document" : JSON.stringify(text[offset]);
    return {
      ok: false,
      format: "json",
      problems: [
        { path: "", message: `JSON syntax error at line ${line}, column ${column}: unexpected ${found}` },
      ],
    };
  }
}

function parseYaml(text: string): ParseResult {
  const fast = loadYamlFast(text);
  if (fast) return { ok: true, format: "yaml", document: fast.document };
  // Warnings (an unknown tag, say) leave a usable document; keep them off stderr.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, logLevel: "error" });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error) => {
      const reason = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      const start = error.linePos?.[0];
      const where = start ? ` at line ${start.line}, column ${start.col}` : "";
      return { path: "", message: `YAML syntax error${where}: ${reason}` };
    });
    return { ok: false, format: "yaml", problems };
  }
  // maxAliasCount bounds alias expansion, so a few lines of aliases cannot expand to gigabytes.
  return { ok: true, format: "yaml", document: doc.toJS({ maxAliasCount: 100 }) };
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, column: offset - lineStart + 1 };
}

/** The offset of the first syntax error in JSON text, by a strict recursive-descent scan. */
function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const spaces = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const number = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
  const string = () => {
    i++;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === "\\") {
        const escaped = text[i + 1] ?? "";
        if (escaped === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if (escaped !== "" && '"\\/bfnrt'.includes(escaped)) i += 2;
        else {
          i++;
          fail();
        }
      } else if (c < " ") fail();
      else i++;
    }
    fail();
  };
  const sequence = (close: string, item: () => void) => {
    i++;
    spaces();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      spaces();
      if (text[i] === ",") i++;
      else if (text[i] === close) {
        i++;
        return;
      } else fail();
    }
  };
  const value = (): void => {
    spaces();
    const c = text[i];
    if (c === "{") {
      sequence("}", () => {
        spaces();
        if (text[i] !== '"') fail();
        string();
        spaces();
        if (text[i] !== ":") fail();
        i++;
        value();
      });
    } else if (c === "[") sequence("]", value);
    else if (c === '"') string();
    else literal();
  };
  const literal = () => {
    number.lastIndex = i;
    const match = number.exec(text);
    if (match) {
      i += match[0].length;
      return;
    }
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    fail();
  };
  try {
    value();
    spaces();
    if (i < text.length) fail();
    return text.length;
  } catch (error) {
    // A number is our own report; anything else (a stack overflow on absurd nesting) is not.
    return typeof error === "number" ? error : 0;
  }
}
