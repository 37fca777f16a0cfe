import { describe, expect, it } from "vitest";
import { resolveTaskSettings } from "@/server/dags/definition";
import { dagJsonSchema } from "@/server/dags/json-schema";
import { validateDag } from "@/server/dags/validate";

const noop = (id: string, extra: Record<string, unknown> = {}) => ({ id, operator: "noop", ...extra });

/** start → [extract: list → s3.{a → b}, other] → load */
function grouped() {
  return {
    id: "grouped",
    defaults: { retries: 1 },
    groups: [
      { id: "extract", dependsOn: ["start"], defaults: { retries: 3, pool: "io" } },
      { id: "extract.s3", defaults: { retries: 5, timeoutSeconds: 60 } },
    ],
    tasks: [
      noop("start"),
      noop("extract.list"),
      noop("extract.s3.a", { dependsOn: ["extract.list"] }),
      noop("extract.s3.b", { dependsOn: ["extract.s3.a"], retries: 0 }),
      noop("extract.other"),
      noop("load", { dependsOn: ["extract"], edgeLabels: { extract: "all extracted" } }),
    ],
  };
}

function valid(doc: unknown) {
  const result = validateDag(doc);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.dag;
}

function problems(doc: unknown) {
  const result = validateDag(doc);
  return result.ok ? [] : result.problems;
}

describe("task groups", () => {
  it("depending on a group waits for its leaves; a group's dependsOn holds its roots", () => {
    const dag = valid(grouped());
    const deps = Object.fromEntries(dag.tasks.map((t) => [t.id, t.dependsOn]));
    expect(deps).toEqual({
      start: [],
      "extract.list": ["start"],
      "extract.s3.a": ["extract.list"],
      "extract.s3.b": ["extract.s3.a"],
      "extract.other": ["start"],
      load: ["extract.s3.b", "extract.other"],
    });
    expect(dag.groups?.map((g) => g.id)).toEqual(["extract", "extract.s3"]);
  });

  it("a dependency on a nested group, and a nested group's own dependsOn, resolve inside the parent", () => {
    const dag = valid({
      id: "nested",
      groups: [{ id: "g" }, { id: "g.first" }, { id: "g.second", dependsOn: ["g.first"] }],
      tasks: [
        noop("g.first.x"),
        noop("g.first.y", { dependsOn: ["g.first.x"] }),
        noop("g.second.p"),
        noop("g.second.q"),
        noop("after", { dependsOn: ["g"] }),
      ],
    });
    const deps = Object.fromEntries(dag.tasks.map((t) => [t.id, t.dependsOn]));
    expect(deps).toEqual({
      "g.first.x": [],
      "g.first.y": ["g.first.x"],
      "g.second.p": ["g.first.y"],
      "g.second.q": ["g.first.y"],
      after: ["g.second.p", "g.second.q"],
    });
  });

  it("group defaults apply under the task's own settings, the innermost group first", () => {
    const dag = valid(grouped());
    const settings = (id: string) => resolveTaskSettings(dag, dag.tasks.find((t) => t.id === id)!);
    expect(settings("start")).toMatchObject({ retries: 1, pool: "default" });
    expect(settings("extract.list")).toMatchObject({ retries: 3, pool: "io", timeoutSeconds: undefined });
    expect(settings("extract.s3.a")).toMatchObject({ retries: 5, pool: "io", timeoutSeconds: 60 });
    expect(settings("extract.s3.b")).toMatchObject({ retries: 0, pool: "io" });
  });

  it("a stored version validates to itself", () => {
    const dag = valid(grouped());
    expect(valid(structuredClone(dag))).toEqual(dag);
  });

  it("names each group problem by its field", () => {
    const found = problems({
      id: "bad",
      groups: [
        { id: "a", dependsOn: ["a.x", "strat"] },
        { id: "empty" },
        { id: "a" },
        { id: "t" },
        { id: "b", defaults: { retries: -1, poool: "x" } },
        { id: "1b" },
      ],
      tasks: [
        noop("a.x", { dependsOn: ["a"] }),
        noop("t", { dependsOn: ["a"], edgeLabels: { q: "why" } }),
        noop("start"),
        noop("b.y"),
      ],
    });
    const at = (path: string) => found.filter((p) => p.path === path).map((p) => p.message);
    expect(at("groups[2].id")).toEqual(['duplicate group id "a" (first used by groups[0])']);
    expect(at("groups[3].id")).toEqual(['"t" is a task id; a group needs an id of its own']);
    expect(at("groups[1].id")).toEqual(['group "empty" has no tasks; name its tasks "empty.<task>"']);
    expect(at("groups[0].dependsOn[0]")[0]).toContain('"a.x" is inside group "a"');
    expect(at("groups[0].dependsOn[1]")).toEqual(['unknown task or group "strat"; did you mean "start"?']);
    expect(at("tasks[0].dependsOn[0]")).toEqual(['"a.x" is inside group "a" and cannot depend on it']);
    expect(at("tasks[1].edgeLabels.q")[0]).toContain('"q" is not in dependsOn');
    expect(at("groups[4].defaults.retries").length).toBe(1);
    expect(at("groups[4].defaults.poool")).toEqual(['unknown field "poool"; did you mean "pool"?']);
    expect(at("groups[5].id")[0]).toMatch(/^A group id must start with a letter/);
  });

  it("reports a cycle through a group on the dependsOn entry that closes it", () => {
    const found = problems({
      id: "loop",
      groups: [{ id: "g", dependsOn: ["after"] }],
      tasks: [noop("g.a"), noop("after", { dependsOn: ["g"] })],
    });
    expect(found.map((p) => `${p.path} ${p.message}`)).toEqual([
      "groups[0].dependsOn[0] cycle: g.a → after → g.a",
    ]);
  });

  it("lets templates read a grouped task's output through the resolved dependencies", () => {
    const found = problems({
      id: "reads",
      groups: [{ id: "g" }],
      tasks: [
        { id: "g.make", operator: "code", config: { source: "return 1;" } },
        {
          id: "use",
          operator: "code",
          dependsOn: ["g"],
          config: { source: "return inputs.x;", inputs: { x: "{{ tasks.g.make.output }}" } },
        },
      ],
    });
    expect(found).toEqual([]);
  });

  it("is in the JSON Schema", () => {
    const schema = JSON.stringify(dagJsonSchema());
    expect(schema).toContain('"groups"');
    expect(schema).toContain('"edgeLabels"');
  });
});

describe("edge labels", () => {
  it("are kept by task id without groups, and refused on a task that is not a dependency", () => {
    const dag = valid({
      id: "labels",
      tasks: [noop("check"), noop("walk", { dependsOn: ["check"], edgeLabels: { check: "if dry" } })],
    });
    expect(dag.tasks[1]!.edgeLabels).toEqual({ check: "if dry" });
    const found = problems({
      id: "labels",
      tasks: [noop("check"), noop("walk", { edgeLabels: { check: "" } })],
    });
    expect(found.map((p) => p.path).sort()).toEqual([
      "tasks[1].edgeLabels.check",
      "tasks[1].edgeLabels.check",
    ]);
  });
});
