// Properties of validation over generated DAGs: valid ones (acyclic by construction) pass and
// survive JSON ↔ YAML; broken ones are refused with a problem pointing at the broken element;
// nothing ever throws.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDagText, toJson, toYaml } from "@/server/dags/serialize";
import { validateDag } from "@/server/dags/validate";

type Task = { id: string; operator: string; dependsOn: string[]; config?: Record<string, unknown> } & Record<
  string,
  unknown
>;
type Doc = { id: string; tasks: Task[] } & Record<string, unknown>;

const slug = fc.stringMatching(/^[a-z][a-z0-9_-]{0,12}$/);
const text = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom(
    "yes",
    "null",
    "~",
    "0123",
    "1e3",
    "- x",
    "a: b",
    "#c",
    "{{ x }}",
    " pad ",
    "multi\nline",
    "@",
    "*",
  ),
);
/** JSON values without "{{", which in a templated field would be a (broken) template. */
const json = fc
  .jsonValue({ maxDepth: 2 })
  .map((v) => JSON.parse(JSON.stringify(v).replaceAll("{{", "{ {")) as unknown);

const schedule = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.record({
    type: fc.constant("cron"),
    cron: fc.oneof(
      fc.constantFrom(
        "@daily",
        "@hourly",
        "@weekly",
        "*/5 * * * *",
        "0 0 1 * *",
        "30 6 * * 1-5",
        "0 */2 * * * *",
      ),
      fc
        .tuple(
          fc.integer({ min: 0, max: 59 }),
          fc.integer({ min: 0, max: 23 }),
          fc.integer({ min: 0, max: 6 }),
        )
        .map(([m, h, d]) => `${m} ${h} * * ${d}`),
    ),
    timezone: fc.constantFrom(
      "UTC",
      "Europe/Paris",
      "America/New_York",
      "Asia/Kolkata",
      "Australia/Lord_Howe",
    ),
  }),
  fc.record({ type: fc.constant("interval"), every: fc.integer({ min: 1, max: 600 }).map((m) => `${m}m`) }),
);

const param = fc.oneof(
  fc.record({ type: fc.constant("string"), default: fc.string({ unit: "grapheme", maxLength: 20 }) }),
  fc.record({ type: fc.constant("integer"), default: fc.integer() }),
  fc.record({ type: fc.constant("number"), default: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
  fc.record({ type: fc.constant("boolean"), default: fc.boolean() }),
  fc.record({ type: fc.constant("array"), default: fc.array(json, { maxLength: 3 }) }),
  fc.record({ type: fc.constant("object"), required: fc.constant(true), description: text }),
);

/** A valid DAG: each task depends only on tasks created before it, then the list is shuffled. */
const validDoc: fc.Arbitrary<Doc> = fc
  .record({
    id: slug,
    title: fc.option(text, { nil: undefined }),
    description: fc.option(text, { nil: undefined }),
    tags: fc.array(fc.string({ unit: "grapheme", minLength: 1, maxLength: 10 }), { maxLength: 3 }),
    schedule,
    catchup: fc.boolean(),
    params: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), param, { maxKeys: 3 }),
    ids: fc.uniqueArray(slug, { minLength: 2, maxLength: 25 }),
    seed: fc.array(fc.nat(), { minLength: 80, maxLength: 80 }),
    outputs: fc.array(json, { minLength: 25, maxLength: 25 }),
  })
  .map(({ ids, seed, outputs, params, ...rest }) => {
    let k = 0;
    const next = (n: number) => (n <= 0 ? 0 : seed[k++ % seed.length]! % n);
    const paramNames = Object.keys(params);
    const tasks: Task[] = ids.map((id, i) => {
      const dependsOn = [...new Set(Array.from({ length: next(4) }, () => next(i)))]
        .filter((d) => d < i)
        .map((d) => ids[d]!);
      const kind = next(4);
      if (kind === 0) return { id, operator: "noop", dependsOn };
      if (kind === 1)
        return { id, operator: "sleep", dependsOn, config: { seconds: next(100) }, retries: next(5) };
      const refs = [
        ...dependsOn.map((d) => `{{ tasks.${d}.output }}`),
        ...paramNames.map((p) => `{{ params.${p} | json }}`),
      ];
      if (kind === 2)
        return { id, operator: "test", dependsOn, config: { output: { value: outputs[i], refs } } };
      return {
        id,
        operator: "http",
        dependsOn,
        config: { url: `https://example.com/${id}`, query: { q: refs.join(",") } },
      };
    });
    for (let i = tasks.length - 1; i > 0; i--) {
      const j = next(i + 1);
      [tasks[i], tasks[j]] = [tasks[j]!, tasks[i]!];
    }
    return JSON.parse(JSON.stringify({ ...rest, params, tasks })) as Doc;
  });

const mutations = ["cycle", "unknownDependency", "duplicateId", "unknownOperator", "badCron"] as const;
type Mutation = (typeof mutations)[number];

/** Breaks a valid document in one way; returns the path a problem must name. */
function breakDoc(doc: Doc, mutation: Mutation, pick: number): RegExp {
  const n = doc.tasks.length;
  const i = pick % n;
  const j = (i + 1 + (pick % (n - 1))) % n;
  const [a, b] = [doc.tasks[i]!, doc.tasks[j]!];
  switch (mutation) {
    case "cycle": {
      if (!a.dependsOn.includes(b.id)) a.dependsOn.push(b.id);
      if (!b.dependsOn.includes(a.id)) b.dependsOn.push(a.id);
      return /^tasks\[\d+\]\.dependsOn\[\d+\]$/;
    }
    case "unknownDependency":
      a.dependsOn.push("ghost-task-0");
      return new RegExp(`^tasks\\[${i}\\]\\.dependsOn\\[${a.dependsOn.length - 1}\\]$`);
    case "duplicateId":
      doc.tasks[Math.max(i, j)]!.id = doc.tasks[Math.min(i, j)]!.id;
      return new RegExp(`^tasks\\[${Math.max(i, j)}\\]\\.id$`);
    case "unknownOperator":
      a.operator = "no_such_operator";
      return new RegExp(`^tasks\\[${i}\\]\\.operator$`);
    case "badCron":
      doc.schedule = {
        type: "cron",
        cron: ["61 * * * *", "* * *", "0 0 32 * *", "every day", "* * * * * * *"][pick % 5],
      };
      return /^schedule\.cron$/;
  }
}

describe("validation properties", () => {
  it("accepts generated valid DAGs", () => {
    fc.assert(
      fc.property(validDoc, (doc) => {
        const result = validateDag(doc);
        expect(result.ok ? [] : result.problems).toEqual([]);
      }),
    );
  });

  it("round-trips valid DAGs through YAML and JSON to a deep-equal document", () => {
    fc.assert(
      fc.property(validDoc, (doc) => {
        const result = validateDag(doc);
        if (!result.ok) throw new Error(JSON.stringify(result.problems));
        for (const [format, textOf] of [
          ["yaml", toYaml],
          ["json", toJson],
        ] as const) {
          const parsed = parseDagText(textOf(result.dag));
          expect(parsed).toEqual({ ok: true, format, document: result.dag });
          const again = validateDag(parsed.ok ? parsed.document : undefined);
          expect(again).toEqual({ ok: true, dag: result.dag });
        }
      }),
    );
  }, 60_000);

  it("refuses broken DAGs with a problem naming the broken element", () => {
    fc.assert(
      fc.property(validDoc, fc.constantFrom(...mutations), fc.nat(), (doc, mutation, pick) => {
        const expected = breakDoc(doc, mutation, pick);
        const result = validateDag(doc);
        expect(result.ok).toBe(false);
        if (result.ok) return;
        for (const problem of result.problems) expect(problem.path).not.toBe("");
        expect(result.problems.map((p) => p.path)).toContainEqual(expect.stringMatching(expected));
        if (mutation === "cycle")
          expect(result.problems.some((p) => p.message.startsWith("cycle: "))).toBe(true);
      }),
    );
  });

  it("never throws, whatever the input", () => {
    fc.assert(
      fc.property(
        fc.anything({ withNullPrototype: true, withMap: true, withSet: true, withBigInt: true }),
        (input) => {
          const result = validateDag(input);
          if (!result.ok) expect(result.problems.length).toBeGreaterThan(0);
        },
      ),
    );
  });

  it("never throws when any value of a valid document is replaced by anything", () => {
    fc.assert(
      fc.property(
        validDoc,
        fc.nat(),
        fc.anything({ withBigInt: true, withNullPrototype: true }),
        (doc, pick, value) => {
          const containers: Array<Record<string, unknown> | unknown[]> = [];
          const walk = (node: unknown) => {
            if (node !== null && typeof node === "object") {
              containers.push(node as Record<string, unknown>);
              for (const child of Object.values(node)) walk(child);
            }
          };
          walk(doc);
          const target = containers[pick % containers.length]!;
          const keys = Object.keys(target);
          const key = keys.length > 0 ? keys[pick % keys.length]! : "extra";
          (target as Record<string, unknown>)[key] = value;
          expect(() => validateDag(doc)).not.toThrow();
        },
      ),
    );
  });
});
