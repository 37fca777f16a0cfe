// A hand-written parse of a task, beside taskSchema, because zod spends 1–3 µs on each task
// (a payload object per field, checks run through closures): most of the time of validating a
// 10,000-task DAG. This one reads the task once and builds what taskSchema.parse would return: the
// same fields, defaults filled, keys in the same order, the same values.
//
// It only ever accepts. Anything it is not sure of (an unknown field, a value out of range, an
// object that is not a plain object) makes it answer undefined, and zod parses the task instead,
// so every problem is still found and worded by the schema. test/unit/dags.task-fast-path.test.ts
// holds it to that over generated tasks, valid and broken: whenever it accepts, zod accepts and
// returns an equal object.
import {
  configPathPattern,
  forbiddenConfigPathPattern,
  maxTaskIdLength,
  poolNamePattern,
  type TaskDefinition,
  triggerRules,
} from "./definition";

const knownTriggerRules = new Set<unknown>(triggerRules);
const maxSeconds = 7 * 86_400;

/**
 * The task as taskSchema.parse would return it, or undefined when the task should go through
 * taskSchema instead (it may be valid all the same; only zod decides that it is not).
 *
 * Fields are read by name rather than from a table: task objects come in many shapes, and a
 * property read with a computed name costs several times a named one there.
 */
export function parseTaskFast(input: unknown): TaskDefinition | undefined {
  if (!isPlainObject(input)) return undefined;
  let keys = 0;
  for (const key in input) {
    if (!isTaskField(key)) return undefined;
    keys++;
  }
  const {
    id,
    operator,
    description,
    config,
    dependsOn,
    triggerRule,
    retries,
    retryDelaySeconds,
    retryExponentialBackoff,
    maxRetryDelaySeconds,
    timeoutSeconds,
    priorityWeight,
    pool,
    map,
    templated,
    estimatedDurationSeconds,
    sla,
    edgeLabels,
  } = input;
  // Tasks with an SLA or edge labels are few: zod parses them.
  if (sla !== undefined || edgeLabels !== undefined) return undefined;
  if (typeof id !== "string" || !isTaskId(id)) return undefined;
  if (typeof operator !== "string" || operator === "") return undefined;
  if (description !== undefined && typeof description !== "string") return undefined;
  const parsedConfig = config === undefined ? {} : copyRecord(config);
  const parsedDependsOn = dependsOn === undefined ? [] : copyStrings(dependsOn);
  if (parsedConfig === undefined || parsedDependsOn === undefined) return undefined;
  if (triggerRule !== undefined && !knownTriggerRules.has(triggerRule)) return undefined;
  const parsedTriggerRule = (triggerRule ?? "all_success") as TaskDefinition["triggerRule"];
  // Keys that hold a value. Fewer than the keys means that one holds undefined, which zod keeps in
  // its output for an optional field: rare enough to leave to zod.
  let defined =
    2 +
    Number(description !== undefined) +
    Number(config !== undefined) +
    Number(dependsOn !== undefined) +
    Number(triggerRule !== undefined);

  // Keys in taskSchema's order, which is the order of the keys zod's output has. The fields every
  // task has are written in one literal, which lets the engine lay the object out at once.
  const task: TaskDefinition =
    description === undefined
      ? { id, operator, config: parsedConfig, dependsOn: parsedDependsOn, triggerRule: parsedTriggerRule }
      : {
          id,
          operator,
          description,
          config: parsedConfig,
          dependsOn: parsedDependsOn,
          triggerRule: parsedTriggerRule,
        };
  if (retries !== undefined) {
    if (!isIntegerIn(retries, 0, 100)) return undefined;
    task.retries = retries;
    defined++;
  }
  if (retryDelaySeconds !== undefined) {
    if (!isNumberIn(retryDelaySeconds, 0, maxSeconds)) return undefined;
    task.retryDelaySeconds = retryDelaySeconds;
    defined++;
  }
  if (retryExponentialBackoff !== undefined) {
    if (typeof retryExponentialBackoff !== "boolean") return undefined;
    task.retryExponentialBackoff = retryExponentialBackoff;
    defined++;
  }
  if (maxRetryDelaySeconds !== undefined) {
    if (!isNumberIn(maxRetryDelaySeconds, 0, maxSeconds)) return undefined;
    task.maxRetryDelaySeconds = maxRetryDelaySeconds;
    defined++;
  }
  if (timeoutSeconds !== undefined) {
    if (!isNumberIn(timeoutSeconds, 0, maxSeconds) || timeoutSeconds === 0) return undefined; // positive
    task.timeoutSeconds = timeoutSeconds;
    defined++;
  }
  if (priorityWeight !== undefined) {
    if (!isIntegerIn(priorityWeight, -1000, 1000)) return undefined;
    task.priorityWeight = priorityWeight;
    defined++;
  }
  if (pool !== undefined) {
    if (typeof pool !== "string" || !poolNamePattern.test(pool)) return undefined;
    task.pool = pool;
    defined++;
  }
  if (map !== undefined) {
    if (!isPlainObject(map)) return undefined;
    for (const key in map) if (key !== "over") return undefined;
    // A literal list is left to zod, which copies it.
    if (typeof map.over !== "string" || map.over === "") return undefined;
    task.map = { over: map.over };
    defined++;
  }
  if (templated !== undefined) {
    const copy = copyStrings(templated);
    if (copy === undefined) return undefined;
    for (const path of copy) {
      if (!configPathPattern.test(path) || forbiddenConfigPathPattern.test(path)) return undefined;
    }
    task.templated = copy;
    defined++;
  }
  if (estimatedDurationSeconds !== undefined) {
    if (!isNumberIn(estimatedDurationSeconds, 0, Number.MAX_VALUE)) return undefined;
    task.estimatedDurationSeconds = estimatedDurationSeconds;
    defined++;
  }
  return defined === keys ? task : undefined;
}

/**
 * True for the fields of taskSchema. A switch rather than a set: keys of objects are interned
 * strings, which a switch compares by identity, where a set hashes each one.
 */
export function isTaskField(key: string): boolean {
  switch (key) {
    case "id":
    case "operator":
    case "description":
    case "config":
    case "dependsOn":
    case "triggerRule":
    case "retries":
    case "retryDelaySeconds":
    case "retryExponentialBackoff":
    case "maxRetryDelaySeconds":
    case "timeoutSeconds":
    case "priorityWeight":
    case "pool":
    case "map":
    case "templated":
    case "estimatedDurationSeconds":
    case "sla":
    case "edgeLabels":
      return true;
    default:
      return false;
  }
}

/**
 * What taskIdPattern accepts, checked by hand: parts joined by dots, each a letter or _ (the
 * first part a letter) then letters, digits, _ and -; at most maxTaskIdLength characters. Calling
 * the regular expression costs more than the rest of the task's checks.
 */
export function isTaskId(text: string): boolean {
  if (text.length === 0 || text.length > maxTaskIdLength) return false;
  if (!isLetter(text.charCodeAt(0))) return false;
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      // A dot starts a part: a letter or _ must follow.
      const next = text.charCodeAt(++i);
      if (!(isLetter(next) || next === 95)) return false;
    } else if (!(isLetter(c) || (c >= 48 && c <= 57) || c === 95 || c === 45)) return false;
  }
  return true;
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

/** A finite number in [min, max] (z.number() refuses NaN and the infinities). */
function isNumberIn(value: unknown, min: number, max: number): value is number {
  return typeof value === "number" && value >= min && value <= max;
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
}

/** A fresh array of the same strings, as z.array(z.string()) makes one. */
function copyStrings(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const copy: string[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const element = value[i];
    if (typeof element !== "string") return undefined;
    copy[i] = element;
  }
  return copy;
}

/** A shallow copy of a plain object's own fields, as z.record(z.string(), z.unknown()) makes one. */
function copyRecord(value: unknown): Record<string, unknown> | undefined {
  // zod skips a `__proto__` key and refuses symbol keys; leave those rare objects to it.
  if (!isPlainObject(value) || Object.getOwnPropertySymbols(value).length > 0) return undefined;
  const copy: Record<string, unknown> = {};
  for (const key in value) {
    if (key === "__proto__" || !Object.hasOwn(value, key)) return undefined;
    copy[key] = value[key];
  }
  return copy;
}

/**
 * An object whose prototype is Object.prototype and whose `constructor` is Object's: what JSON
 * and YAML parsers produce, and a subset of what zod takes for an object or a record.
 */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype &&
    (value as { constructor: unknown }).constructor === Object
  );
}
