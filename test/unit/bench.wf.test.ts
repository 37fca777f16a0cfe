// The wf bench's reading of WfFormat documents and its lower bound: the figures it prints are only
// as good as these.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { lowerBound, readWorkflow, syntheticWorkflow } from "../../bench/wf";

function file(doc: unknown): string {
  const at = path.join(mkdtempSync(path.join(os.tmpdir(), "wf-")), "doc.json");
  writeFileSync(at, JSON.stringify(doc));
  return at;
}

describe("readWorkflow", () => {
  it("reads WfFormat 1.5: dependencies from the specification, runtimes from the execution", () => {
    const workflow = readWorkflow(
      file({
        schemaVersion: "1.5",
        workflow: {
          specification: {
            tasks: [
              { name: "a", id: "a_ID1", parents: [], children: ["b_ID2"] },
              { name: "b", id: "b_ID2", parents: ["a_ID1"], children: [] },
            ],
          },
          execution: {
            tasks: [
              { id: "b_ID2", runtimeInSeconds: 2.5 },
              { id: "a_ID1", runtimeInSeconds: 1 },
            ],
          },
        },
      }),
    );
    expect(workflow.tasks).toEqual([
      { id: "a_ID1", parents: [], runtimeSeconds: 1 },
      { id: "b_ID2", parents: ["a_ID1"], runtimeSeconds: 2.5 },
    ]);
  });

  it("reads the flat 1.4 layout, whose parents are task names", () => {
    const workflow = readWorkflow(
      file({
        workflow: {
          tasks: [
            { name: "first", id: "1", parents: [], runtimeInSeconds: 3 },
            { name: "second", id: "2", parents: ["first"], runtimeInSeconds: 4 },
          ],
        },
      }),
    );
    expect(workflow.tasks[1]).toEqual({ id: "2", parents: ["1"], runtimeSeconds: 4 });
  });

  it("refuses a document without tasks, naming the file", () => {
    const at = file({ workflow: {} });
    expect(() => readWorkflow(at)).toThrow(`${at}: no tasks`);
  });
});

describe("lowerBound", () => {
  // a(2) → b(3) → d(1), a → c(5) → d: critical path a, c, d = 8; work 11.
  const tasks = [
    { id: "d", parents: ["b", "c"], runtimeSeconds: 1 },
    { id: "a", parents: [], runtimeSeconds: 2 },
    { id: "b", parents: ["a"], runtimeSeconds: 3 },
    { id: "c", parents: ["a"], runtimeSeconds: 5 },
  ];
  it("finds the critical path whatever the task order, and the total work", () => {
    expect(lowerBound(tasks, (i) => tasks[i]!.runtimeSeconds)).toEqual({ criticalPath: 8, work: 11 });
  });

  it("handles a 20,000-task layered DAG without deep recursion trouble", () => {
    const workflow = syntheticWorkflow(20_000, 100);
    const { criticalPath, work } = lowerBound(workflow.tasks, () => 1);
    expect(work).toBe(20_000);
    expect(criticalPath).toBe(200);
  });
});
