import { describe, expect, it } from "vitest";
import { collapseGroups, edgeLabels, groupedRows, groupState } from "@/app/_components/dag-graph/groups";

const groups = new Set(["g", "g.inner"]);
const tasks = [
  { id: "start", dependsOn: [] },
  { id: "g.a", dependsOn: ["start"] },
  { id: "g.inner.b", dependsOn: ["g.a"] },
  { id: "end", dependsOn: ["g.inner.b"], edgeLabels: { "g.inner.b": "done" } },
];

describe("collapsed task groups", () => {
  it("draws a collapsed group as one node with the dependencies that cross its border", () => {
    expect(collapseGroups(tasks, groups, new Set(["g", "g.inner"]))).toEqual([
      { id: "start", dependsOn: [] },
      { id: "g", dependsOn: ["start"], members: ["g.a", "g.inner.b"] },
      { id: "end", dependsOn: ["g"] },
    ]);
    expect(collapseGroups(tasks, groups, new Set(["g.inner"]))).toEqual([
      { id: "start", dependsOn: [] },
      { id: "g.a", dependsOn: ["start"] },
      { id: "g.inner", dependsOn: ["g.a"], members: ["g.inner.b"] },
      { id: "end", dependsOn: ["g.inner"] },
    ]);
  });

  it("carries labels onto the arrow that stands for them", () => {
    expect([...edgeLabels(tasks, groups, new Set(["g"]))]).toEqual([["g->end", "done"]]);
    expect([...edgeLabels(tasks, groups, new Set())]).toEqual([["g.inner.b->end", "done"]]);
  });

  it("gives a group the state that most needs attention", () => {
    expect(groupState(["success", "failed", "running"])).toBe("failed");
    expect(groupState(["success", "running"])).toBe("running");
    expect(groupState(["success", "none"])).toBe("running");
    expect(groupState(["success", "skipped"])).toBe("success");
    expect(groupState(["skipped", "skipped"])).toBe("skipped");
    expect(groupState([undefined, "none"])).toBe("none");
  });

  it("gathers a group's rows under it, and hides them while it is collapsed", () => {
    const ids = ["g.a", "start", "end", "g.inner.b"];
    expect(groupedRows(ids, groups, new Set()).map((r) => `${r.depth}${r.kind[0]}:${r.id}`)).toEqual([
      "0g:g",
      "1t:g.a",
      "1g:g.inner",
      "2t:g.inner.b",
      "0t:start",
      "0t:end",
    ]);
    expect(groupedRows(ids, groups, new Set(["g"])).map((r) => r.id)).toEqual(["g", "start", "end"]);
  });
});
