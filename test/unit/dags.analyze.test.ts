import { describe, expect, it } from "vitest";
import { type AnalyzableTask, analyzeDag } from "@/server/dags/analyze";

const task = (id: string, dependsOn: string[] = [], estimatedDurationSeconds?: number): AnalyzableTask => ({
  id,
  dependsOn,
  estimatedDurationSeconds,
});

/**
 *   a(10) ─┬─ b(30) ─┬─ d(5)
 *          └─ c(20) ─┘
 *   e(1)  (independent)
 */
const diamond = {
  tasks: [
    task("a", [], 10),
    task("b", ["a"], 30),
    task("c", ["a"], 20),
    task("d", ["b", "c"], 5),
    task("e", [], 1),
  ],
};

describe("analyzeDag", () => {
  it("groups tasks into topological levels in document order", () => {
    const analysis = analyzeDag(diamond);
    expect(analysis.levels).toEqual([["a", "e"], ["b", "c"], ["d"]]);
    expect(analysis.maxWidth).toBe(2);
  });

  it("places a task one level below its deepest dependency", () => {
    const analysis = analyzeDag({
      tasks: [task("x", ["a", "c"]), task("a"), task("b", ["a"]), task("c", ["b"])],
    });
    expect(analysis.levels).toEqual([["a"], ["b"], ["c"], ["x"]]);
  });

  it("finds the critical path and its length", () => {
    const analysis = analyzeDag(diamond);
    expect(analysis.criticalPath).toEqual(["a", "b", "d"]);
    expect(analysis.criticalPathMs).toBe(45_000);
  });

  it("computes HEFT upward ranks and orders tasks by them", () => {
    const analysis = analyzeDag(diamond);
    expect(Object.fromEntries(analysis.upwardRank)).toEqual({
      a: 45_000,
      b: 35_000,
      c: 25_000,
      d: 5_000,
      e: 1_000,
    });
    expect(analysis.rankOrder).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("prefers measured estimates, then the document's, then the default", () => {
    const analysis = analyzeDag(diamond, { estimates: new Map([["c", 100_000]]), defaultEstimateMs: 1 });
    expect(analysis.criticalPath).toEqual(["a", "c", "d"]);
    expect(analysis.criticalPathMs).toBe(115_000);
    const defaults = analyzeDag({ tasks: [task("a"), task("b", ["a"])] });
    expect(defaults.criticalPathMs).toBe(120_000);
    const custom = analyzeDag({ tasks: [task("a"), task("b", ["a"])] }, { defaultEstimateMs: 5 });
    expect(custom.criticalPathMs).toBe(10);
  });

  it("keeps the rank order topological when durations are zero", () => {
    const tasks = [task("c", ["b"], 0), task("b", ["a"], 0), task("a", [], 0)];
    const analysis = analyzeDag({ tasks });
    expect(analysis.rankOrder).toEqual(["a", "b", "c"]);
    expect(analysis.criticalPath).toEqual(["a", "b", "c"]);
    expect(analysis.criticalPathMs).toBe(0);
  });

  it("handles an empty DAG", () => {
    expect(analyzeDag({ tasks: [] })).toEqual({
      levels: [],
      maxWidth: 0,
      criticalPath: [],
      criticalPathMs: 0,
      upwardRank: new Map(),
      rankOrder: [],
    });
  });

  it("refuses cycles and unknown dependencies", () => {
    expect(() => analyzeDag({ tasks: [task("a", ["b"]), task("b", ["a"])] })).toThrow(/cycle/);
    expect(() => analyzeDag({ tasks: [task("a", ["ghost"])] })).toThrow(/unknown task "ghost"/);
  });

  it("agrees with a brute-force longest path on random DAGs", () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed % n;
    };
    for (let round = 0; round < 50; round++) {
      const n = 1 + random(12);
      const tasks = Array.from({ length: n }, (_, i) => {
        const deps = [...new Set(Array.from({ length: random(3) }, () => random(Math.max(i, 1))))].filter(
          (d) => d < i,
        );
        return task(
          `t${i}`,
          deps.map((d) => `t${d}`),
          random(5),
        );
      });
      const longestFrom = (i: number): number => {
        const successors = tasks.flatMap((t, j) => (t.dependsOn.includes(`t${i}`) ? [j] : []));
        return (tasks[i]!.estimatedDurationSeconds ?? 0) * 1000 + Math.max(0, ...successors.map(longestFrom));
      };
      const analysis = analyzeDag({ tasks });
      expect(analysis.criticalPathMs).toBe(Math.max(...tasks.map((_, i) => longestFrom(i))));
      for (const [i, t] of tasks.entries()) expect(analysis.upwardRank.get(t.id)).toBe(longestFrom(i));
      const position = new Map(analysis.rankOrder.map((id, k) => [id, k]));
      for (const t of tasks)
        for (const d of t.dependsOn) expect(position.get(d)!).toBeLessThan(position.get(t.id)!);
      const pathMs = analysis.criticalPath.reduce(
        (sum, id) => sum + (tasks.find((t) => t.id === id)!.estimatedDurationSeconds ?? 0) * 1000,
        0,
      );
      expect(pathMs).toBe(analysis.criticalPathMs);
    }
  });
});

describe("analyzeDag: rank order", () => {
  it("orders by decreasing rank, equal ranks in topological (level) order, on random DAGs", () => {
    let seed = 11;
    const random = (n: number) => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed % n;
    };
    for (let round = 0; round < 30; round++) {
      const n = 1 + random(200);
      // Few distinct durations, so that many ranks are equal and the tie order is exercised.
      const tasks = Array.from({ length: n }, (_, i) =>
        task(
          `t${i}`,
          [...new Set(Array.from({ length: random(3) }, () => random(Math.max(i, 1))))]
            .filter((d) => d < i)
            .map((d) => `t${d}`),
          random(3),
        ),
      );
      const analysis = analyzeDag({ tasks });
      const topological = analysis.levels.flat();
      const expected = [...topological].sort(
        (a, b) => analysis.upwardRank.get(b)! - analysis.upwardRank.get(a)!,
      );
      expect(analysis.rankOrder).toEqual(expected);
      expect([...analysis.upwardRank.keys()]).toEqual(tasks.map((t) => t.id));
    }
  });
});
