// The template language of task config strings: `{{ path | filter }}` with path lookup only.
//
// It is deliberately not a programming language: an expression is one path from a fixed set of
// roots, followed by filters from a fixed list. Nothing is called, nothing is evaluated, and no
// path may walk into `__proto__`, `constructor` or `prototype`, so a DAG author can reach the
// data of a run and nothing else. The grammar:
//
//   template   = { text | "\{{" | "{{" expression "}}" }
//   expression = path { "|" filter }
//   path       = root { "." name | "[" integer "]" | "[" string "]" }
//                (under `tasks`, the names before the first `.output` make one task id:
//                `tasks.group.task.output` reads task `group.task`)
//   filter     = name [ "(" [ literal { "," literal } ] ")" ]
//   literal    = string | number | true | false | null
//
// Roots: params, vars, secrets, conn, tasks, run, dag, task, item (see ROOT_RULES below).

import { instantOf, wallOf, zoneProblem } from "@/server/schedules/zone";
import { SecretMask } from "@/server/secrets/mask";

export type TemplateRoot = "params" | "vars" | "secrets" | "conn" | "tasks" | "run" | "dag" | "task" | "item";

/** One `{{ … }}` in a string: its root, the path below the root (indexes as strings) and its text. */
export interface TemplateReference {
  root: TemplateRoot;
  path: string[];
  /** The expression as written between the braces, trimmed, filters included. */
  raw: string;
}

/** The fields of `run` a template may read. */
export const RUN_FIELDS = ["id", "logical_date", "data_interval_start", "data_interval_end"] as const;

/**
 * What a template can read while rendering. Roots that are absent make any reference to them an
 * error, so a context built for a DAG callback (no `task`, no `item`) refuses `{{ item }}`.
 */
export interface TemplateContext {
  params?: Record<string, unknown>;
  vars?: Record<string, unknown>;
  secrets?: Record<string, string>;
  conn?: Record<string, Record<string, unknown>>;
  tasks?: Record<string, { output?: unknown }>;
  run?: Partial<Record<(typeof RUN_FIELDS)[number], string>>;
  /** `timezone`: the zone the date filters use when given none (the DAG's: dagTimeZone). */
  dag?: { id: string; timezone?: string };
  task?: { id: string };
  item?: unknown;
}

/** Thrown by the render functions; validation never throws and reports these as problems. */
export class TemplateError extends Error {
  override name = "TemplateError";
}

type Literal = string | number | boolean | null;

interface Filter {
  name: FilterName;
  args: Literal[];
}

interface Expression {
  ref: TemplateReference;
  filters: Filter[];
}

type Part = { kind: "text"; text: string } | { kind: "expression"; expression: Expression };

interface ParsedTemplate {
  parts: Part[];
  errors: string[];
}

/** Shared by the many expressions without filters; never modified. */
const NO_FILTERS: Filter[] = [];

const ROOTS: readonly TemplateRoot[] = [
  "params",
  "vars",
  "secrets",
  "conn",
  "tasks",
  "run",
  "dag",
  "task",
  "item",
];

/** How deep each root may be addressed; returns an error message or undefined. */
const ROOT_RULES: Record<TemplateRoot, (path: string[]) => string | undefined> = {
  params: (p) => (p.length === 0 ? "name a param: {{ params.<name> }}" : undefined),
  vars: (p) => (p.length === 0 ? "name a variable: {{ vars.<name> }}" : undefined),
  secrets: (p) => (p.length === 1 ? undefined : "a secret is read whole: {{ secrets.<name> }}"),
  conn: (p) => (p.length === 2 ? undefined : "name a connection and a field: {{ conn.<name>.<field> }}"),
  tasks: (p) =>
    p.length >= 2 && p[1] === "output" ? undefined : "read a task's output: {{ tasks.<id>.output… }}",
  run: (p) =>
    p.length === 1 && (RUN_FIELDS as readonly string[]).includes(p[0]!)
      ? undefined
      : `run has the fields ${RUN_FIELDS.join(", ")}`,
  dag: (p) => (p.length === 1 && p[0] === "id" ? undefined : "dag has the field id"),
  task: (p) => (p.length === 1 && p[0] === "id" ? undefined : "task has the field id"),
  item: () => undefined,
};

type FilterName =
  | "json"
  | "default"
  | "upper"
  | "lower"
  | "date"
  | "urlencode"
  | "add_days"
  | "start_of"
  | "end_of";

/** Filters and how many arguments each takes: [min, max]. */
const FILTER_ARITY: Record<FilterName, [number, number]> = {
  json: [0, 0],
  default: [1, 1],
  upper: [0, 0],
  lower: [0, 0],
  date: [0, 2],
  urlencode: [0, 0],
  add_days: [1, 2],
  start_of: [1, 2],
  end_of: [1, 2],
};

/** True when the string contains something the renderer would act on. */
export function hasTemplate(text: string): boolean {
  return text.includes("{{");
}

/** Every reference in a string, and every syntax error, without throwing. */
export function findReferences(text: string): { refs: TemplateReference[]; errors: string[] } {
  const { parts, errors } = parseTemplate(text, false);
  const refs: TemplateReference[] = [];
  for (const part of parts) if (part.kind === "expression") refs.push(part.expression.ref);
  return { refs, errors };
}

/**
 * Parses a bare path such as `tasks.list_files.output` (no braces, no filters), as used by
 * `map.over`. Returns the reference or an error message.
 */
export function parseReference(pathText: string): { ref: TemplateReference } | { error: string } {
  const parser = new ExpressionParser(pathText, 0);
  try {
    const expression = parser.expression(false);
    parser.skipSpaces();
    if (!parser.atEnd()) parser.fail(`unexpected "${pathText[parser.pos]}"`);
    return { ref: expression.ref };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Looks up a bare path (see parseReference) in a context; throws TemplateError when it cannot. */
export function resolvePath(pathText: string, context: TemplateContext): unknown {
  const parsed = parseReference(pathText);
  if ("error" in parsed) throw new TemplateError(`${pathText}: ${parsed.error}`);
  return evaluate({ ref: parsed.ref, filters: [] }, context);
}

/**
 * Renders one string. A string that is exactly one `{{ … }}` renders to the raw value (an object
 * stays an object, a number a number); anything else renders to a string. Throws TemplateError on
 * a syntax error, an undefined value without `| default(…)`, or a root missing from the context.
 */
export function renderTemplateString(text: string, context: TemplateContext): unknown {
  if (!text.includes("{{")) return text;
  const { parts, errors } = parseTemplate(text);
  if (errors.length > 0) throw new TemplateError(errors.join("; "));
  const [only] = parts;
  if (parts.length === 1 && only?.kind === "expression") return evaluate(only.expression, context);
  let out = "";
  for (const part of parts) {
    out += part.kind === "text" ? part.text : interpolate(evaluate(part.expression, context));
  }
  return out;
}

/**
 * Renders the templated fields of a config: each field is a dotted path (`headers`, `rules.when`);
 * arrays met along the path are walked element by element, and every string inside the value the
 * path names is rendered. Other fields are returned untouched; the input is not mutated.
 */
export function renderConfig<T>(config: T, templatedFields: readonly string[], context: TemplateContext): T {
  let result: unknown = config;
  for (const segments of outermostFields(templatedFields)) {
    result = renderAt(result, segments, context);
  }
  return result as T;
}

export interface TemplatedString {
  path: Array<string | number>;
  text: string;
}

/** Every string inside the templated fields of a config, with its path, for validation. */
export function collectTemplatedStrings(
  config: unknown,
  templatedFields: readonly string[],
): TemplatedString[] {
  const collector: Collector = { found: [], seen: undefined };
  for (const segments of outermostFields(templatedFields)) collectAt(config, segments, 0, [], collector);
  return collector.found;
}

interface Collector {
  found: TemplatedString[];
  /** Objects already walked; created at the first object, as most templated fields are strings. */
  seen: Set<object> | undefined;
}

function collectAt(
  value: unknown,
  segments: string[],
  depth: number,
  path: Array<string | number>,
  to: Collector,
) {
  const head = segments[depth];
  if (head === undefined) {
    collectStrings(value, path, to);
  } else if (Array.isArray(value)) {
    if (isIndex(head)) {
      collectAt(value[Number(head)], segments, depth + 1, [...path, Number(head)], to);
    } else {
      for (let i = 0; i < value.length; i++) collectAt(value[i], segments, depth, [...path, i], to);
    }
  } else if (isRecord(value) && Object.hasOwn(value, head)) {
    collectAt(value[head], segments, depth + 1, [...path, head], to);
  }
}

function collectStrings(value: unknown, path: Array<string | number>, to: Collector) {
  if (typeof value === "string") {
    if (value.includes("{{")) to.found.push({ path, text: value });
    return;
  }
  if (value === null || typeof value !== "object") return;
  // A cyclic object can only come from code, not from a document; it ends here all the same.
  to.seen ??= new Set();
  if (to.seen.has(value)) return;
  to.seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) collectStrings(value[i], [...path, i], to);
  } else {
    for (const [key, child] of Object.entries(value)) collectStrings(child, [...path, key], to);
  }
}

/**
 * Replaces every occurrence of each secret value with `***`, in every form server/secrets/mask.ts
 * masks (raw, JSON-escaped, URL-encoded). For one text; a SecretMask serves many.
 */
export function maskSecrets(text: string, secretValues: readonly string[]): string {
  return new SecretMask(secretValues).text(text);
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** Splits a string into text and expressions; `keepText: false` skips the text, for a faster scan. */
function parseTemplate(text: string, keepText = true): ParsedTemplate {
  const parts: Part[] = [];
  const errors: string[] = [];
  const parser = new ExpressionParser(text, 0);
  let literal = "";
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("{{", i);
    if (open === -1) {
      if (keepText) literal += text.slice(i);
      break;
    }
    // `\{{` is a literal `{{`, for the rare config string that needs one.
    if (open > 0 && text[open - 1] === "\\") {
      if (keepText) literal += `${text.slice(i, open - 1)}{{`;
      i = open + 2;
      continue;
    }
    if (keepText) {
      literal += text.slice(i, open);
      if (literal) parts.push({ kind: "text", text: literal });
      literal = "";
    }
    parser.pos = open + 2;
    try {
      const expression = parser.expression(true);
      parser.skipSpaces();
      if (!text.startsWith("}}", parser.pos)) {
        parser.fail(parser.atEnd() ? "missing }}" : `unexpected "${text[parser.pos]}"`);
      }
      parts.push({ kind: "expression", expression });
      i = parser.pos + 2;
    } catch (error) {
      errors.push(`column ${open + 1}: ${(error as Error).message}`);
      // Resume after this expression so that one typo does not hide the next.
      const close = text.indexOf("}}", parser.pos);
      if (close === -1) break;
      i = close + 2;
    }
  }
  if (literal) parts.push({ kind: "text", text: literal });
  return { parts, errors };
}

class ExpressionParser {
  constructor(
    private readonly text: string,
    public pos: number,
  ) {}

  fail(message: string): never {
    throw new Error(message);
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipSpaces(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return;
      this.pos++;
    }
  }

  expression(allowFilters: boolean): Expression {
    this.skipSpaces();
    const begin = this.pos;
    const name = this.name("a path such as params.x");
    // The root constant the name equals, found by comparison: a set or an object would first hash
    // the name, a new string each time, and large DAGs have expressions by the ten thousand.
    const root = ROOTS.find((known) => known === name);
    if (root === undefined) this.fail(`unknown root "${name}"; use ${ROOTS.join(", ")}`);
    const path = root === "tasks" ? joinTaskId(this.pathSegments()) : this.pathSegments();
    const shapeError = ROOT_RULES[root](path);
    if (shapeError) this.fail(shapeError);
    let filters = NO_FILTERS;
    let end = this.pos;
    for (;;) {
      this.skipSpaces();
      if (this.text[this.pos] !== "|") break;
      if (!allowFilters) this.fail("filters are not allowed here");
      this.pos++;
      if (filters === NO_FILTERS) filters = [];
      filters.push(this.filter());
      end = this.pos;
    }
    const raw = this.text.slice(begin, end);
    return { ref: { root, path, raw }, filters };
  }

  private pathSegments(): string[] {
    const path: string[] = [];
    for (;;) {
      const c = this.text[this.pos];
      let segment: string;
      if (c === ".") {
        this.pos++;
        segment = this.name("a name after the dot");
      } else if (c === "[") {
        this.pos++;
        const key = this.literal();
        if (typeof key === "number" && Number.isInteger(key) && key >= 0) segment = String(key);
        else if (typeof key === "string") segment = key;
        else this.fail("an index must be a non-negative integer or a quoted key");
        if (this.text[this.pos] !== "]") this.fail("missing ]");
        this.pos++;
      } else {
        return path;
      }
      if (isForbidden(segment)) this.fail(`"${segment}" is not allowed in a path`);
      path.push(segment);
    }
  }

  private filter(): Filter {
    this.skipSpaces();
    const name = this.name("a filter name");
    if (!Object.hasOwn(FILTER_ARITY, name)) {
      this.fail(`unknown filter "${name}"; use ${Object.keys(FILTER_ARITY).join(", ")}`);
    }
    const args: Literal[] = [];
    const afterName = this.pos;
    this.skipSpaces();
    if (this.text[this.pos] !== "(") this.pos = afterName;
    else {
      this.pos++;
      this.skipSpaces();
      if (this.text[this.pos] !== ")") {
        for (;;) {
          this.skipSpaces();
          args.push(this.literal());
          this.skipSpaces();
          if (this.text[this.pos] === ",") this.pos++;
          else break;
        }
      }
      if (this.text[this.pos] !== ")") this.fail("missing )");
      this.pos++;
    }
    const [min, max] = FILTER_ARITY[name as FilterName];
    if (args.length < min || args.length > max) {
      this.fail(`filter "${name}" takes ${min === max ? min : `${min} to ${max}`} argument(s)`);
    }
    return { name: name as FilterName, args };
  }

  /** A name: a letter or _, then letters, digits, _ and -. Scanned by hand: this is the hot loop. */
  private name(what: string): string {
    const text = this.text;
    const start = this.pos;
    if (!isNameStart(text.charCodeAt(start))) this.fail(`expected ${what}`);
    let end = start + 1;
    while (end < text.length && isNamePart(text.charCodeAt(end))) end++;
    this.pos = end;
    return text.slice(start, end);
  }

  private literal(): Literal {
    const text = this.text;
    const quote = text[this.pos];
    if (quote === '"' || quote === "'") {
      let value = "";
      for (let i = this.pos + 1; i < text.length; i++) {
        const c = text[i]!;
        if (c === "\\" && i + 1 < text.length) value += text[++i];
        else if (c === quote) {
          this.pos = i + 1;
          return value;
        } else value += c;
      }
      this.fail("unterminated string");
    }
    NUMBER.lastIndex = this.pos;
    const number = NUMBER.exec(text);
    if (number) {
      this.pos = NUMBER.lastIndex;
      return Number(number[0]);
    }
    for (const [word, value] of KEYWORDS) {
      if (text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    this.fail("expected a string, number, true, false or null");
  }
}

/**
 * `tasks.extract.load.output` names the task `extract.load`: a task id may hold dots (a task
 * group's tasks), so the id is every name up to the first `output`. The path comes back as
 * `[id, "output", …]`, what every reader of a tasks reference expects.
 */
function joinTaskId(path: string[]): string[] {
  const output = path.indexOf("output", 1);
  return output > 1 ? [path.slice(0, output).join("."), ...path.slice(output)] : path;
}

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95; // a-z A-Z _
}

function isNamePart(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57) || c === 45; // and 0-9 -
}

// Sticky, so that it matches at a position without slicing the text.
const NUMBER = /-?\d+(\.\d+)?/y;
const KEYWORDS: ReadonlyArray<readonly [string, Literal]> = [
  ["true", true],
  ["false", false],
  ["null", null],
];

// ---------------------------------------------------------------------------------------------
// Evaluation

function evaluate({ ref, filters }: Expression, context: TemplateContext): unknown {
  if (!Object.hasOwn(context, ref.root) || context[ref.root] === undefined) {
    throw new TemplateError(`{{ ${ref.raw} }}: "${ref.root}" is not available here`);
  }
  let value: unknown = context[ref.root];
  for (const segment of ref.path) {
    value = child(value, segment);
    if (value === undefined) break;
  }
  const zone = context.dag?.timezone ?? "UTC";
  for (const filter of filters) value = applyFilter(filter, value, ref, zone);
  if (value === undefined) {
    throw new TemplateError(`{{ ${ref.raw} }} is undefined (add | default(…) to allow that)`);
  }
  return value;
}

/** One step down a path: own properties of plain data only, never inherited ones. */
function child(value: unknown, key: string): unknown {
  if (Array.isArray(value)) return isIndex(key) ? value[Number(key)] : undefined;
  if (value !== null && typeof value === "object" && Object.hasOwn(value, key)) {
    return (value as Record<string, unknown>)[key];
  }
  return undefined;
}

/** `defaultZone`: the zone of the date filters given none. */
function applyFilter(
  { name, args }: Filter,
  value: unknown,
  ref: TemplateReference,
  defaultZone: string,
): unknown {
  if (name === "default") return value === undefined || value === null ? args[0] : value;
  if (value === undefined) return undefined;
  switch (name) {
    case "json":
      return JSON.stringify(value);
    case "upper":
      return interpolate(value).toUpperCase();
    case "lower":
      return interpolate(value).toLowerCase();
    case "urlencode":
      return encodeURIComponent(interpolate(value));
    case "date":
      return formatDate(
        wallOfValue(value, zoneArg(args[1], ref, defaultZone), ref),
        stringArg(args[0]) ?? "YYYY-MM-DD",
      );
    case "add_days": {
      // Calendar days in the zone, as Airflow's ds_add: a day across a clock change is 23 or 25 h.
      const days = args[0];
      if (typeof days !== "number" || !Number.isInteger(days)) {
        throw new TemplateError(`{{ ${ref.raw} }}: add_days takes a whole number of days`);
      }
      const zone = zoneArg(args[1], ref, defaultZone);
      return new Date(
        instantOf(wallOfValue(value, zone, ref).getTime() + days * 86_400_000, zone),
      ).toISOString();
    }
    case "start_of":
    case "end_of": {
      const zone = zoneArg(args[1], ref, defaultZone);
      const unit = args[0];
      if (unit !== "day" && unit !== "week" && unit !== "month" && unit !== "year") {
        throw new TemplateError(`{{ ${ref.raw} }}: ${name} takes "day", "week", "month" or "year"`);
      }
      const start = startOfPeriod(wallOfValue(value, zone, ref), unit);
      if (name === "start_of") return new Date(instantOf(start.getTime(), zone)).toISOString();
      // The period's last millisecond: the next period's start, less one.
      return new Date(instantOf(nextPeriod(start, unit).getTime(), zone) - 1).toISOString();
    }
  }
}

const stringArg = (arg: Literal | undefined) => (typeof arg === "string" ? arg : undefined);

/** The time zone argument of a date filter (`defaultZone` when absent), checked. */
function zoneArg(arg: Literal | undefined, ref: TemplateReference, defaultZone: string): string {
  if (arg === undefined) return defaultZone;
  const problem = typeof arg === "string" ? zoneProblem(arg) : "is not a time zone";
  if (problem) throw new TemplateError(`{{ ${ref.raw} }}: ${JSON.stringify(arg)} ${problem}`);
  return arg as string;
}

/** A date value as the zone's wall clock shows it, held in a Date read with its UTC getters. */
function wallOfValue(value: unknown, zone: string, ref: TemplateReference): Date {
  const date = value instanceof Date ? value : new Date(value as string | number);
  if (typeof value === "boolean" || Number.isNaN(date.getTime())) {
    throw new TemplateError(`{{ ${ref.raw} }}: ${JSON.stringify(value)} is not a date`);
  }
  return new Date(wallOf(date.getTime(), zone));
}

type Period = "day" | "week" | "month" | "year";

/** The wall time a period starts at (weeks start on Monday, as ISO 8601's). */
function startOfPeriod(wall: Date, unit: Period): Date {
  const y = wall.getUTCFullYear();
  const m = wall.getUTCMonth();
  const d = wall.getUTCDate();
  if (unit === "year") return new Date(Date.UTC(y, 0, 1));
  if (unit === "month") return new Date(Date.UTC(y, m, 1));
  const back = unit === "week" ? (wall.getUTCDay() + 6) % 7 : 0;
  return new Date(Date.UTC(y, m, d - back));
}

function nextPeriod(start: Date, unit: Period): Date {
  const y = start.getUTCFullYear();
  const m = start.getUTCMonth();
  const d = start.getUTCDate();
  if (unit === "year") return new Date(Date.UTC(y + 1, 0, 1));
  if (unit === "month") return new Date(Date.UTC(y, m + 1, 1));
  return new Date(Date.UTC(y, m, d + (unit === "week" ? 7 : 1)));
}

/** Formats a wall time (read with UTC getters) with the tokens YYYY, MM, DD, HH, mm, ss; everything else is kept. */
function formatDate(date: Date, format: string): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const tokens: Record<string, string> = {
    YYYY: String(date.getUTCFullYear()).padStart(4, "0"),
    MM: pad(date.getUTCMonth() + 1),
    DD: pad(date.getUTCDate()),
    HH: pad(date.getUTCHours()),
    mm: pad(date.getUTCMinutes()),
    ss: pad(date.getUTCSeconds()),
  };
  return format.replace(/YYYY|MM|DD|HH|mm|ss/g, (token) => tokens[token]!);
}

/** How a value reads inside a longer string: JSON for structures, nothing for null. */
function interpolate(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function renderAt(value: unknown, segments: string[], context: TemplateContext): unknown {
  const [head, ...rest] = segments;
  if (head === undefined) return renderDeep(value, context);
  if (Array.isArray(value)) {
    if (!isIndex(head)) return value.map((item) => renderAt(item, segments, context));
    const index = Number(head);
    if (index >= value.length) return value;
    const copy = [...value];
    copy[index] = renderAt(value[index], rest, context);
    return copy;
  }
  if (isRecord(value) && Object.hasOwn(value, head)) {
    return { ...value, [head]: renderAt(value[head], rest, context) };
  }
  return value;
}

function renderDeep(value: unknown, context: TemplateContext): unknown {
  if (typeof value === "string") return renderTemplateString(value, context);
  if (Array.isArray(value)) return value.map((item) => renderDeep(item, context));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, context)]));
  }
  return value;
}

/**
 * The fields to render, as path segments, without fields inside other listed fields (`headers.x`
 * when `headers` is listed), so that no string is rendered twice: a second pass would evaluate
 * `{{ … }}` found in a rendered value, letting a task output or a param smuggle in
 * `{{ secrets.x }}`. Cached per array, since the same operator lists come back for every task.
 */
function outermostFields(fields: readonly string[]): string[][] {
  let result = outermostCache.get(fields);
  if (!result) {
    const unique = [...new Set(fields)].filter((f) => f.length > 0 && !f.split(".").some(isForbidden));
    result = unique
      .filter((f) => !unique.some((other) => other !== f && f.startsWith(`${other}.`)))
      .map((f) => f.split("."));
    outermostCache.set(fields, result);
  }
  return result;
}

const outermostCache = new WeakMap<readonly string[], string[][]>();

/**
 * A path segment that would reach JavaScript internals rather than data. Compared one by one, not
 * looked up in a set: every segment parsed is a new string, which a set lookup would first hash.
 */
function isForbidden(segment: string): boolean {
  return segment === "__proto__" || segment === "constructor" || segment === "prototype";
}

function isIndex(segment: string): boolean {
  return /^(0|[1-9]\d*)$/.test(segment);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
