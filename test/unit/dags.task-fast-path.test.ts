// The hand-written task parse (server/dags/task-fast-path.ts) against the schema it stands in for:
// whenever it accepts a task, zod accepts it too and returns an equal object, keys in the same
// order; it accepts the tasks documents are made of; and validation, which uses it, answers what
// the schema alone answers.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dagSchema, taskIdPattern, taskSchema } from "@/server/dags/definition";
import { isTaskField, isTaskId, parseTaskFast } from "@/server/dags/task-fast-path";
import { validateDag } from "@/server/dags/validate";
import { operatorCatalog } from "@/server/operators/catalog";

const day = 86_400;

/** For each field of a task: values at and beyond its bounds, wrong types, odd objects. */
const edgeValues: Record<string, unknown[]> = {
  id: ["", "a", "A", "1abc", "_a", "a-", "a".repeat(63), "a".repeat(64), "a b", "a\n", "é", 3, null],
  operator: ["noop", "test", "nope", "", 1, null],
  description: ["", "text", 1, null, false],
  config: [
    {},
    [],
    null,
    "x",
    Object.create(null),
    Object.assign(Object.create(null), { a: 1 }),
    JSON.parse('{"__proto__": {"polluted": 1}, "b": 2}'),
    { [Symbol("s")]: 1 },
    { constructor: "x" },
    { constructor: Object },
    { 1: "one", a: { nested: true } },
    Object.defineProperty({ a: 1 }, "hidden", { value: 2, enumerable: false }),
  ],
  dependsOn: [[], ["a"], ["a", "a"], [1], ["a", null], "a", {}, new Array<string>(2).fill("a", 1)],
  triggerRule: ["all_success", "one_failed", "always", "sometimes", "", 1, null],
  retries: [-1, 0, 1, 100, 101, 1.5, -0, Number.NaN, Number.POSITIVE_INFINITY, "1", null],
  retryDelaySeconds: [-1, -0, 0, 0.5, 7 * day, 7 * day + 1, Number.NaN, Number.POSITIVE_INFINITY, "5"],
  retryExponentialBackoff: [true, false, 0, 1, "true", null],
  maxRetryDelaySeconds: [-1, 0, 7 * day, 7 * day + 0.5, Number.NaN, Number.NEGATIVE_INFINITY],
  timeoutSeconds: [-1, -0, 0, Number.MIN_VALUE, 1, 7 * day, 7 * day + 1, Number.POSITIVE_INFINITY],
  priorityWeight: [-1001, -1000, 0, 1000, 1001, 0.5, Number.NaN, "1"],
  pool: ["default", "a", "Pool", "", "a".repeat(63), "a".repeat(64), 1],
  map: [
    { over: "tasks.a.output" },
    { over: "" },
    { over: 1 },
    {},
    { over: "x", extra: 1 },
    Object.assign(Object.create(null), { over: "x" }),
    [],
    null,
    "tasks.a.output",
  ],
  templated: [
    [],
    ["headers"],
    ["rules.when", "a-b.c_d"],
    [""],
    ["a..b"],
    ["__proto__"],
    ["x.constructor"],
    [1],
    "x",
  ],
  estimatedDurationSeconds: [-1, -0, 0, 1.5, Number.MAX_VALUE, Number.POSITIVE_INFINITY, Number.NaN, "1"],
};

/** Values each field can hold: random ones around the valid range, and the edge values. */
const fieldValues: Record<string, fc.Arbitrary<unknown>> = Object.fromEntries(
  Object.entries({
    id: fc.stringMatching(/^[a-z][a-z0-9_-]{0,12}$/),
    operator: fc.string({ maxLength: 6 }),
    description: fc.string(),
    config: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
    dependsOn: fc.array(fc.stringMatching(/^[a-z]{1,4}$/), { maxLength: 4 }),
    triggerRule: fc.string({ maxLength: 12 }),
    retries: fc.integer({ min: -2, max: 102 }),
    retryDelaySeconds: fc.double({ min: -1, max: 8 * day }),
    retryExponentialBackoff: fc.boolean(),
    maxRetryDelaySeconds: fc.double({ min: -1, max: 8 * day }),
    timeoutSeconds: fc.double({ min: -1, max: 8 * day }),
    priorityWeight: fc.integer({ min: -1002, max: 1002 }),
    pool: fc.stringMatching(/^[a-z][a-z0-9_-]{0,6}$/),
    map: fc.record({ over: fc.string({ maxLength: 6 }) }),
    templated: fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }),
    estimatedDurationSeconds: fc.double({ min: -1, max: 1e6 }),
  }).map(([key, random]) => [key, fc.oneof(random, fc.constantFrom(...edgeValues[key]!))]),
);

/** Tasks that are valid and written as JSON documents write them. */
const validTask = fc.record(
  {
    id: fc.stringMatching(/^[a-z][a-z0-9_-]{0,12}$/),
    operator: fc.constantFrom("noop", "test", "http"),
    description: fc.string(),
    config: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
    dependsOn: fc.array(fc.stringMatching(/^[a-z]{1,4}$/), { maxLength: 4 }),
    triggerRule: fc.constantFrom("all_success", "none_failed", "always"),
    retries: fc.integer({ min: 0, max: 100 }),
    retryDelaySeconds: fc.double({ min: 0, max: 7 * 86_400, noNaN: true }),
    retryExponentialBackoff: fc.boolean(),
    maxRetryDelaySeconds: fc.integer({ min: 0, max: 7 * 86_400 }),
    timeoutSeconds: fc.integer({ min: 1, max: 7 * 86_400 }),
    priorityWeight: fc.integer({ min: -1000, max: 1000 }),
    pool: fc.stringMatching(/^[a-z][a-z0-9_-]{0,6}$/),
    map: fc.record({ over: fc.constantFrom("tasks.a.output", "params.x") }),
    templated: fc.array(fc.constantFrom("headers", "rules.when", "a-b.c_d"), { maxLength: 3 }),
    estimatedDurationSeconds: fc.double({ min: 0, max: 1e6, noNaN: true }),
  },
  { requiredKeys: ["id", "operator"] },
);

/**
 * Valid tasks with a few fields replaced by any of their values above (valid or not) or by
 * undefined, sometimes with a field taskSchema does not know, sometimes not a plain object.
 */
const taskLike = fc
  .tuple(
    validTask,
    fc.array(
      fc
        .constantFrom(...Object.keys(fieldValues))
        .chain((key) =>
          fc.tuple(fc.constant(key), fc.option(fieldValues[key]!, { nil: undefined, freq: 5 })),
        ),
      { maxLength: 3 },
    ),
    fc.constantFrom("plain", "plain", "plain", "plain", "extra", "null-prototype"),
  )
  .map(([task, replacements, form]) => {
    const input: Record<string, unknown> = JSON.parse(JSON.stringify(task));
    for (const [key, value] of replacements) input[key] = value;
    if (form === "extra") input.extra = 1;
    return form === "null-prototype" ? Object.assign(Object.create(null), input) : input;
  });

/** Equal values, the same prototypes and the same keys in the same order, at every level. */
function expectSameObject(actual: unknown, expected: unknown) {
  expect(actual).toStrictEqual(expected);
  if (actual !== null && typeof actual === "object") {
    expect(Object.getPrototypeOf(actual)).toBe(Object.getPrototypeOf(expected));
    expect(Object.keys(actual)).toEqual(Object.keys(expected as object));
    for (const key of Object.keys(actual)) {
      expectSameObject((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key]);
    }
  }
}

describe("parseTaskFast", () => {
  it("accepts only what taskSchema accepts, and returns what it returns", () => {
    let accepted = 0;
    fc.assert(
      fc.property(taskLike, (task) => {
        const fast = parseTaskFast(task);
        if (fast === undefined) return;
        accepted++;
        const zod = taskSchema.safeParse(task);
        expect(zod.success).toBe(true);
        expectSameObject(fast, zod.data);
      }),
      { numRuns: 2000 },
    );
    // The generator reaches valid tasks often enough for the comparison above to mean something.
    expect(accepted).toBeGreaterThan(20);
  });

  it("agrees with taskSchema on every edge value of every field", () => {
    const base = { id: "a", operator: "test", dependsOn: ["b"], config: { output: 1 } };
    for (const [key, values] of Object.entries(edgeValues)) {
      for (const value of [...values, undefined]) {
        const task: Record<string, unknown> = { ...base, [key]: value };
        const fast = parseTaskFast(task);
        if (fast === undefined) continue;
        const zod = taskSchema.safeParse(task);
        expect(zod.success, `${key}: ${String(value)}`).toBe(true);
        expectSameObject(fast, zod.data);
      }
    }
  });

  it("accepts valid tasks as documents hold them, and copies what it returns", () => {
    fc.assert(
      fc.property(validTask, (task) => {
        const input = JSON.parse(JSON.stringify(task));
        const fast = parseTaskFast(input);
        expect(fast).toBeDefined();
        expectSameObject(fast, taskSchema.parse(input));
        if (input.config) expect(fast!.config).not.toBe(input.config);
        if (input.dependsOn) expect(fast!.dependsOn).not.toBe(input.dependsOn);
      }),
    );
  });

  it("knows the fields of taskSchema and no other", () => {
    for (const key of Object.keys(taskSchema.shape)) expect(isTaskField(key), key).toBe(true);
    for (const key of ["", "ID", "depends_on", "__proto__", "constructor", "extra"]) {
      expect(isTaskField(key), key).toBe(false);
    }
  });

  it("checks ids as taskIdPattern does", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 140 }),
          fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,140}$/),
          fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,60}(\.[A-Za-z_0-9.][A-Za-z0-9_-]{0,40}){0,3}$/),
          fc.stringMatching(/^[ -~]{0,8}$/),
        ),
        (text) => {
          expect(isTaskId(text)).toBe(taskIdPattern.test(text));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("validateDag with the fast path", () => {
  /** What validation answered before the fast path: the whole document through dagSchema. */
  function reference(document: unknown) {
    const dag = dagSchema.parse(document);
    for (const task of dag.tasks)
      task.config = operatorCatalog.get(task.operator)!.configSchema.parse(task.config) as Record<
        string,
        unknown
      >;
    return dag;
  }

  const document = fc
    .uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/), { minLength: 1, maxLength: 12 })
    .chain((ids) =>
      fc.record({
        id: fc.constant("doc"),
        params: fc.constant({ region: { type: "string", default: "eu" } }),
        tasks: fc.tuple(
          ...ids.map((id, i) =>
            fc.record(
              {
                id: fc.constant(id),
                operator: fc.constantFrom("noop", "test"),
                dependsOn: fc.subarray(ids.slice(0, i)),
                retries: fc.integer({ min: 0, max: 5 }),
                estimatedDurationSeconds: fc.integer({ min: 0, max: 600 }),
                triggerRule: fc.constantFrom("all_success", "always"),
              },
              { requiredKeys: ["id", "operator"] },
            ),
          ),
        ),
      }),
    )
    .map((doc) => JSON.parse(JSON.stringify(doc)));

  it("returns what the full schema returns for valid documents", () => {
    fc.assert(
      fc.property(document, (doc) => {
        const result = validateDag(doc);
        if (!result.ok) throw new Error(JSON.stringify(result.problems));
        expectSameObject(result.dag, reference(doc));
      }),
    );
  });

  it("reports the schema's problems, in its order, when one task is broken", () => {
    const doc = {
      id: "doc",
      extra: true,
      tasks: [
        { id: "a", operator: "noop" },
        { id: "b", operator: "noop", retries: -1, dependsOn: ["a"] },
        { id: "c", operator: "noop", colour: "red" },
      ],
    };
    const result = validateDag(doc);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toEqual([
      { path: "tasks[1].retries", message: "Too small: expected number to be >=0" },
      { path: "tasks[2].colour", message: 'unknown field "colour"' },
      { path: "extra", message: 'unknown field "extra"' },
    ]);
  });

  it("gives each task without a config its own copy of the operator's defaults", () => {
    const result = validateDag({
      id: "doc",
      tasks: [
        { id: "a", operator: "test" },
        { id: "b", operator: "test" },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const [a, b] = result.dag.tasks;
    expect(a!.config).toEqual(operatorCatalog.get("test")!.configSchema.parse({}));
    expect(a!.config).not.toBe(b!.config);
    a!.config.outcome = "fail";
    expect(b!.config.outcome).toBe("success");
  });
});
