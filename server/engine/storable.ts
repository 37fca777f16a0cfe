// What PostgreSQL can store of the text and values tasks produce. Its `text` refuses NUL (U+0000)
// and `jsonb` refuses both NUL (`\u0000`) and lone surrogates (`\ud800` without its pair). A value
// it refuses makes the whole statement fail, so an attempt's outcome must be checked before it is
// recorded: log lines and error text are escaped (stored whole, readable), outputs holding such a
// string are refused with a reason naming where it is (execute.ts), since changing data silently
// would be worse than failing.

const NUL = "\u0000";
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE = new RegExp(`${NUL}|${LONE_SURROGATE.source}`, "g");

const isStorable = (text: string) => !text.includes(NUL) && !LONE_SURROGATE.test(text);

/** The text with each NUL and lone surrogate written as its escape (`\u0000`, `\ud800`). */
export function storableText(text: string): string {
  if (isStorable(text)) return text;
  return text.replace(UNSTORABLE, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * Why jsonb would refuse a value, given the value and its JSON text: e.g. `the string at
 * output.k holds a NUL character (\u0000)`; undefined when it would store it. JSON.stringify
 * escapes both NUL and lone surrogates, so the text alone says whether there is anything to find.
 */
export function unstorableJson(value: unknown, json: string, name: string): string | undefined {
  if (!json.includes("\\u0000") && !/\\ud[89a-f]/i.test(json)) return undefined;
  const found = unstorableAt(value, name);
  return found && `the ${found.isKey ? "key" : "string"} at ${found.path} holds ${found.what}`;
}

/** Where a JSON-like value holds text PostgreSQL refuses (path from `name`), and what it is. */
export function unstorableAt(
  value: unknown,
  name: string,
): { path: string; what: string; isKey: boolean } | undefined {
  const found = findUnstorable(value, name);
  if (!found) return undefined;
  const what = found.text.includes(NUL)
    ? "a NUL character (\\u0000)"
    : "a lone surrogate (half of a UTF-16 pair)";
  return { path: found.path, what, isKey: found.isKey };
}

function findUnstorable(
  value: unknown,
  path: string,
): { path: string; text: string; isKey: boolean } | undefined {
  if (typeof value === "string") return isStorable(value) ? undefined : { path, text: value, isKey: false };
  if (typeof value !== "object" || value === null) return undefined;
  if (Array.isArray(value)) {
    for (const [i, element] of value.entries()) {
      const found = findUnstorable(element, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, element] of Object.entries(value)) {
    const at = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
    if (!isStorable(key)) return { path: at, text: key, isKey: true };
    const found = findUnstorable(element, at);
    if (found) return found;
  }
  return undefined;
}

/**
 * Longest error text recorded for an attempt. Operators bound what they put in errors (a body's
 * first 300 characters, a sandbox's message cut to 2,000), but an error can also come from an
 * answer the task does not control: a PostgreSQL server may send a message of any size.
 */
export const MAX_ERROR_CHARS = 16_384;

/** The text, or its start with "… (N more characters)" when longer than `max`. */
export function cutText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** A PostgreSQL error caused by the data sent (SQLSTATE class 22: NUL, bad JSON, bad encoding…). */
export function isDataException(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === "string" && code.startsWith("22");
}
