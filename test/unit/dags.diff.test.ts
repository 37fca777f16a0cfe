import { describe, expect, it } from "vitest";
import type { DagDefinition } from "@/server/dags/definition";
import { deepEqual, diffDags } from "@/server/dags/diff";
import { validateDag } from "@/server/dags/validate";

function dag(document: Record<string, unknown>): DagDefinition {
  const result = validateDag(document);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.dag;
}

type Task = { id: string; operator: string; dependsOn?: string[]; config?: Record<string, unknown> };

const base: { id: string; schedule: unknown; tasks: Task[] } = {
  id: "etl",
  schedule: { type: "cron", cron: "0 2 * * *" },
  tasks: [
    { id: "extract", operator: "http", config: { url: "https://example.com/a" } },
    { id: "transform", operator: "code", dependsOn: ["extract"], config: { source: "return 1;" } },
    {
      id: "load",
      operator: "sql",
      dependsOn: ["transform", "extract"],
      config: { connection: "db", statement: "select 1" },
    },
  ],
};

describe("diffDags", () => {
  it("finds nothing between identical versions", () => {
    expect(diffDags(dag(base), dag(structuredClone(base)))).toEqual({
      added: [],
      removed: [],
      changed: [],
      dagFields: [],
    });
  });

  it("lists added, removed and changed tasks with their changed fields", () => {
    const next = structuredClone(base);
    next.tasks[0]!.config = { url: "https://example.com/b" };
    (next.tasks[1] as Record<string, unknown>).retries = 3;
    next.tasks.splice(2, 1);
    next.tasks.push({ id: "notify", operator: "noop", dependsOn: ["transform"] });
    expect(diffDags(dag(base), dag(next))).toEqual({
      added: ["notify"],
      removed: ["load"],
      changed: [
        { taskId: "extract", fields: ["config"] },
        { taskId: "transform", fields: ["retries"] },
      ],
      dagFields: [],
    });
  });

  it("lists changed DAG-level fields", () => {
    const next = { ...structuredClone(base), schedule: null, maxActiveRuns: 2, description: "new" };
    expect(diffDags(dag(base), dag(next)).dagFields).toEqual(["schedule", "maxActiveRuns", "description"]);
  });

  it("ignores the order of tasks and of dependencies", () => {
    const next = structuredClone(base);
    next.tasks.reverse();
    next.tasks[0]!.dependsOn = ["extract", "transform"];
    expect(diffDags(dag(base), dag(next))).toEqual({ added: [], removed: [], changed: [], dagFields: [] });
  });

  it("reports a changed dependency set", () => {
    const next = structuredClone(base);
    next.tasks[2]!.dependsOn = ["transform"];
    expect(diffDags(dag(base), dag(next)).changed).toEqual([{ taskId: "load", fields: ["dependsOn"] }]);
  });

  it("compares deeply, ignoring key order", () => {
    expect(deepEqual({ a: [1, { b: 2, c: 3 }] }, { a: [1, { c: 3, b: 2 }] })).toBe(true);
    expect(deepEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(deepEqual({ a: undefined }, {})).toBe(true);
    expect(deepEqual([], {})).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
    expect(deepEqual(Number.NaN, Number.NaN)).toBe(true);
  });
});
