// The engine end to end on a real worker: dependencies, outputs, trigger rules, branching,
// mapping, retries, timeouts, cancel, clear, mark, max active runs, output cap (cut with a marker).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DagDocument } from "@/server/dags/definition";
import { db } from "@/server/db/client";
import { cancelRun, clearTasks, markTask, previewClear, retryFailed } from "@/server/engine/operations";
import { getRun, readLogs } from "@/server/engine/queries";
import { triggerRun } from "@/server/engine/runs";
import type { WorkspaceScope } from "@/server/tenancy/door";
import {
  startTestWorker,
  statesOf,
  stopTestWorker,
  storeDag,
  waitForRun,
  workspaceScope,
} from "../support/engine";
import { createUser } from "../support/factories";

let scope: WorkspaceScope;

beforeAll(async () => {
  const owner = await createUser("engine");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 50 });
  await startTestWorker(8);
});
afterAll(() => stopTestWorker());

async function run(document: DagDocument, params?: Record<string, unknown>) {
  await storeDag(scope, document);
  const { id } = await triggerRun(scope, { dagKey: document.id, params });
  return waitForRun(id);
}

const t = (id: string, config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  id,
  operator: "test",
  config,
  ...extra,
});

describe("dependencies and outputs", () => {
  it("runs a chain in order and passes outputs through templates", async () => {
    const result = await run(
      {
        id: "chain",
        params: { city: { type: "string", default: "Oslo" } },
        tasks: [
          t("fetch", { output: { city: "{{ params.city }}", temps: [1, 2, 3] } }),
          t("transform", { output: "{{ tasks.fetch.output.temps }}" }, { dependsOn: ["fetch"] }),
          t("load", { output: "{{ tasks.transform.output | json }}" }, { dependsOn: ["transform"] }),
        ],
      },
      { city: "Bergen" },
    );
    expect(result.state).toBe("success");
    const byTask = Object.fromEntries(result.taskInstances.map((ti) => [ti.taskId, ti]));
    expect(byTask.fetch!.output).toEqual({ city: "Bergen", temps: [1, 2, 3] });
    expect(byTask.transform!.output).toEqual([1, 2, 3]);
    expect(byTask.load!.output).toBe("[1,2,3]");
    expect(byTask.transform!.startedAt!.getTime()).toBeGreaterThanOrEqual(byTask.fetch!.endedAt!.getTime());
  });

  it("refuses params that do not match the schema, naming the field", async () => {
    await storeDag(scope, {
      id: "typed",
      params: { n: { type: "integer", required: true } },
      tasks: [t("a")],
    });
    await expect(triggerRun(scope, { dagKey: "typed", params: { n: "x" } })).rejects.toMatchObject({
      code: "UNPROCESSABLE_CONTENT",
      problems: [{ path: "params.n" }],
    });
  });
});

describe("trigger rules", () => {
  // Upstream: ok succeeds, bad fails; each rule's task depends on both.
  const rules = {
    all_success: "upstream_failed",
    all_failed: "skipped",
    all_done: "success",
    one_success: "success",
    one_failed: "success",
    none_failed: "upstream_failed",
    none_failed_min_one_success: "upstream_failed",
    none_skipped: "success",
    always: "success",
  } as const;

  it("decide each task from its upstream states", async () => {
    const result = await run({
      id: "rules",
      tasks: [
        t("ok"),
        t("bad", { outcome: "fail" }),
        ...Object.keys(rules).map((rule) =>
          t(`r_${rule}`, {}, { dependsOn: ["ok", "bad"], triggerRule: rule }),
        ),
      ],
    });
    const states = statesOf(result);
    for (const [rule, expected] of Object.entries(rules)) expect(states[`r_${rule}`], rule).toBe(expected);
    expect(result.state).toBe("failed");
  });

  it("propagate skips and upstream failures down the graph", async () => {
    const result = await run({
      id: "propagation",
      tasks: [
        t("bad", { outcome: "fail" }),
        t("child", {}, { dependsOn: ["bad"] }),
        t("grandchild", {}, { dependsOn: ["child"] }),
        t("cleanup", {}, { dependsOn: ["grandchild"], triggerRule: "all_done" }),
      ],
    });
    expect(statesOf(result)).toEqual({
      bad: "failed",
      child: "upstream_failed",
      grandchild: "upstream_failed",
      cleanup: "success",
    });
    // The leaf succeeded, so the run does (as in Airflow).
    expect(result.state).toBe("success");
  });
});

describe("branching and mapping", () => {
  it("skips the branches not followed", async () => {
    const document: DagDocument = {
      id: "branching",
      params: { mode: { type: "string", default: "fast" } },
      tasks: [
        {
          id: "choose",
          operator: "branch",
          config: {
            rules: [{ when: "{{ params.mode }}", equals: "fast", then: ["fast"] }],
            default: ["slow"],
          },
        },
        t("fast", {}, { dependsOn: ["choose"] }),
        t("slow", {}, { dependsOn: ["choose"] }),
        t("after_slow", {}, { dependsOn: ["slow"] }),
        t("join", {}, { dependsOn: ["fast", "after_slow"], triggerRule: "none_failed_min_one_success" }),
      ],
    };
    const fast = await run(document);
    expect(statesOf(fast)).toEqual({
      choose: "success",
      fast: "success",
      slow: "skipped",
      after_slow: "skipped",
      join: "success",
    });
    const slow = await run(document, { mode: "thorough" });
    expect(statesOf(slow)).toEqual({
      choose: "success",
      fast: "skipped",
      slow: "success",
      after_slow: "success",
      join: "success",
    });
  });

  it("runs one instance per element and hands the list of outputs downstream", async () => {
    const result = await run({
      id: "fanout",
      tasks: [
        t("list", { output: { files: ["a", "b", "c"] } }),
        t(
          "process",
          { output: "{{ item | upper }}" },
          { dependsOn: ["list"], map: { over: "tasks.list.output.files" } },
        ),
        t("combine", { output: "{{ tasks.process.output }}" }, { dependsOn: ["process"] }),
      ],
    });
    expect(result.state).toBe("success");
    const children = result.taskInstances.filter((ti) => ti.taskId === "process" && ti.mapIndex >= 0);
    expect(children.map((c) => c.output)).toEqual(["A", "B", "C"]);
    expect(result.taskInstances.find((ti) => ti.taskId === "combine")!.output).toEqual(["A", "B", "C"]);
  });

  it("skips a mapped task over an empty list", async () => {
    const result = await run({
      id: "empty_map",
      params: { items: { type: "array", default: [] } },
      tasks: [t("each", {}, { map: { over: "params.items" } }), t("after", {}, { dependsOn: ["each"] })],
    });
    expect(statesOf(result)).toEqual({ each: "skipped", after: "skipped" });
  });
});

describe("failure handling", () => {
  it("retries with backoff until an attempt succeeds", async () => {
    const result = await run({
      id: "flaky",
      tasks: [
        t("flaky", { failTimes: 2 }, { retries: 3, retryDelaySeconds: 0.05, retryExponentialBackoff: true }),
      ],
    });
    expect(result.state).toBe("success");
    const ti = result.taskInstances[0]!;
    expect(ti.tryNumber).toBe(3);
    expect(ti.attempts.map((a) => a.state)).toEqual(["failed", "failed", "success"]);
    // Exponential: the second wait is at least the doubled delay (with ±10% jitter).
    const [a1, a2, a3] = ti.attempts;
    expect(a3!.startedAt.getTime() - a2!.endedAt!.getTime()).toBeGreaterThanOrEqual(90 - 15);
    expect(a2!.startedAt.getTime() - a1!.endedAt!.getTime()).toBeGreaterThanOrEqual(45 - 10);
  });

  it("fails after the last try", async () => {
    const result = await run({
      id: "hopeless",
      tasks: [t("x", { outcome: "fail" }, { retries: 1, retryDelaySeconds: 0 })],
    });
    expect(result.state).toBe("failed");
    expect(result.taskInstances[0]!.attempts).toHaveLength(2);
  });

  it("aborts an attempt at its timeout", async () => {
    const result = await run({
      id: "slow",
      tasks: [t("slow", { durationMs: 10_000 }, { timeoutSeconds: 0.3 })],
    });
    expect(result.state).toBe("failed");
    expect(result.taskInstances[0]!.error).toMatch(/Timed out after 0.3 s/);
  });

  it("stores an output over the workspace's limit cut, with a marker and a log line", async () => {
    await db.workspace.update({ where: { id: scope.workspace.id }, data: { maxOutputBytes: 100 } });
    try {
      const result = await run({
        id: "big",
        tasks: [
          t("big", { output: "x".repeat(500) }),
          t("after", { output: "{{ tasks.big.output.truncated }}" }, { dependsOn: ["big"] }),
        ],
      });
      expect(result.state).toBe("success");
      const big = result.taskInstances.find((ti) => ti.taskId === "big")!;
      const output = big.output as { truncated: boolean; bytes: number; limit: number; preview: string };
      expect(output).toMatchObject({ truncated: true, bytes: 502, limit: 100 });
      expect(output.preview).toMatch(/^"x+$/);
      expect(Buffer.byteLength(JSON.stringify(output))).toBeLessThanOrEqual(100);
      // Downstream tasks read the marker.
      expect(result.taskInstances.find((ti) => ti.taskId === "after")!.output).toBe(true);
      const log = await readLogs(scope, { runId: result.id, taskId: "big", mapIndex: -1 });
      expect(log.chunks.map((c) => c.text).join("")).toMatch(
        /output is 502 bytes, above this workspace's limit of 100 bytes \(maxOutputBytes\): stored cut/,
      );
    } finally {
      await db.workspace.update({ where: { id: scope.workspace.id }, data: { maxOutputBytes: 1_048_576 } });
    }
  });
});

describe("operations", () => {
  it("cancel stops running attempts and ends the run", async () => {
    await storeDag(scope, {
      id: "long",
      tasks: [t("wait", { durationMs: 30_000 }), t("next", {}, { dependsOn: ["wait"] })],
    });
    const { id } = await triggerRun(scope, { dagKey: "long" });
    await expect
      .poll(async () => (await getRun(scope, id)).tasks.find((ti) => ti.taskId === "wait")?.state, {
        timeout: 5000,
      })
      .toBe("running");
    await cancelRun(scope, id);
    const result = await waitForRun(id);
    expect(result.state).toBe("cancelled");
    expect(statesOf(result)).toEqual({ next: "cancelled", wait: "cancelled" });
  });

  it("clear with downstream re-runs only the cleared tasks, keeping upstream outputs", async () => {
    await storeDag(scope, {
      id: "weather",
      params: { broken: { type: "boolean", default: true } },
      tasks: [
        t("fetch_weather", { output: { temp: 21 } }),
        t("transform_weather", { outcome: "fail" }, { dependsOn: ["fetch_weather"] }),
        t("load_to_db", {}, { dependsOn: ["transform_weather"] }),
      ],
    });
    const { id } = await triggerRun(scope, { dagKey: "weather" });
    const failed = await waitForRun(id);
    expect(statesOf(failed)).toEqual({
      fetch_weather: "success",
      transform_weather: "failed",
      load_to_db: "upstream_failed",
    });

    // Fix the transform in place (the run keeps its version; here we mark it instead of editing).
    await clearTasks(scope, { runId: id, taskIds: ["transform_weather"], downstream: true });
    const again = await waitForRun(id);
    expect(statesOf(again).fetch_weather).toBe("success");
    const fetch = again.taskInstances.find((ti) => ti.taskId === "fetch_weather")!;
    expect(fetch.attempts).toHaveLength(1); // not fetched again
    expect(again.taskInstances.find((ti) => ti.taskId === "transform_weather")!.attempts).toHaveLength(2);

    await markTask(scope, { runId: id, taskId: "transform_weather", state: "success" });
    const marked = await waitForRun(id);
    expect(statesOf(marked)).toEqual({
      fetch_weather: "success",
      transform_weather: "success",
      load_to_db: "success",
    });
    expect(marked.state).toBe("success");
    expect(fetch.output).toEqual({ temp: 21 });
  });

  it("clear with the latest version runs the fixed DAG; a changed graph is refused", async () => {
    const broken = {
      id: "weather_fix",
      tasks: [
        t("fetch_weather", { output: { temp: 21 } }),
        t("transform_weather", { outcome: "fail" }, { dependsOn: ["fetch_weather"] }),
        t(
          "load_to_db",
          { output: "{{ tasks.transform_weather.output }}" },
          { dependsOn: ["transform_weather"] },
        ),
      ],
    };
    await storeDag(scope, broken);
    const { id } = await triggerRun(scope, { dagKey: "weather_fix" });
    expect((await waitForRun(id)).state).toBe("failed");

    // A version that also adds a task cannot take over the run.
    await storeDag(scope, { ...broken, tasks: [...broken.tasks, t("extra")] });
    await expect(
      clearTasks(scope, { runId: id, taskIds: ["transform_weather"], downstream: true, latestVersion: true }),
    ).rejects.toThrow(/changes this run's graph \(adds extra\)/);

    // The fix: same graph, the transform now succeeds.
    await storeDag(scope, {
      ...broken,
      tasks: broken.tasks.map((task) =>
        task.id === "transform_weather" ? { ...task, config: { output: "fixed" } } : task,
      ),
    });
    await clearTasks(scope, {
      runId: id,
      taskIds: ["transform_weather"],
      downstream: true,
      latestVersion: true,
    });
    const fixed = await waitForRun(id);
    expect(statesOf(fixed)).toEqual({
      fetch_weather: "success",
      transform_weather: "success",
      load_to_db: "success",
    });
    expect(fixed.taskInstances.find((ti) => ti.taskId === "load_to_db")!.output).toBe("fixed");
    expect(fixed.taskInstances.find((ti) => ti.taskId === "fetch_weather")!.attempts).toHaveLength(1);
    const dag = await db.dag.findFirstOrThrow({
      where: { key: "weather_fix", workspaceId: scope.workspace.id },
    });
    expect((await db.dagRun.findUniqueOrThrow({ where: { id } })).dagVersionId).toBe(dag.currentVersionId);
  });

  it("clear options: the dry run lists what upstream, downstream and only-failed reset, and the clear resets exactly that", async () => {
    await storeDag(scope, {
      id: "diamond",
      tasks: [
        t("a", { output: 1 }),
        t("b", { outcome: "fail" }, { dependsOn: ["a"] }),
        t("c", {}, { dependsOn: ["a"] }),
        t("d", {}, { dependsOn: ["b", "c"] }),
      ],
    });
    const { id } = await triggerRun(scope, { dagKey: "diamond" });
    expect(statesOf(await waitForRun(id))).toEqual({
      a: "success",
      b: "failed",
      c: "success",
      d: "upstream_failed",
    });
    const preview = async (options: Partial<Parameters<typeof previewClear>[1]>) =>
      (await previewClear(scope, { runId: id, taskIds: ["b"], downstream: false, ...options })).tasks;

    expect(await preview({})).toEqual([{ taskId: "b", state: "failed" }]);
    expect(await preview({ upstream: true })).toEqual([
      { taskId: "a", state: "success" },
      { taskId: "b", state: "failed" },
    ]);
    expect((await preview({ upstream: true, downstream: true })).map((task) => task.taskId)).toEqual([
      "a",
      "b",
      "d",
    ]);
    expect(await preview({ upstream: true, downstream: true, onlyFailed: true })).toEqual([
      { taskId: "b", state: "failed" },
      { taskId: "d", state: "upstream_failed" },
    ]);
    await expect(
      previewClear(scope, { runId: id, taskIds: ["c"], downstream: false, onlyFailed: true }),
    ).rejects.toThrow(/None of these tasks failed/);
    // The dry run changed nothing.
    expect(statesOf(await waitForRun(id))).toEqual({
      a: "success",
      b: "failed",
      c: "success",
      d: "upstream_failed",
    });

    const { cleared } = await clearTasks(scope, {
      runId: id,
      taskIds: ["b"],
      downstream: true,
      upstream: true,
      onlyFailed: true,
    });
    expect(cleared.sort()).toEqual(["b", "d"]);
    const after = await waitForRun(id);
    const attempts = Object.fromEntries(after.taskInstances.map((ti) => [ti.taskId, ti.attempts.length]));
    // a and c kept their single attempt; b ran again (and failed again); d never ran.
    expect(attempts).toEqual({ a: 1, b: 2, c: 1, d: 0 });
  });

  it("retry failed clears only the failed tasks", async () => {
    await storeDag(scope, { id: "retry_me", tasks: [t("ok"), t("bad", { outcome: "fail" })] });
    const { id } = await triggerRun(scope, { dagKey: "retry_me" });
    await waitForRun(id);
    await retryFailed(scope, id);
    const result = await waitForRun(id);
    const ok = result.taskInstances.find((ti) => ti.taskId === "ok")!;
    const bad = result.taskInstances.find((ti) => ti.taskId === "bad")!;
    expect(ok.attempts).toHaveLength(1);
    expect(bad.attempts).toHaveLength(2);
  });

  it("holds runs beyond maxActiveRuns until earlier ones end", async () => {
    await storeDag(scope, { id: "one_at_a_time", maxActiveRuns: 1, tasks: [t("work", { durationMs: 200 })] });
    const first = await triggerRun(scope, { dagKey: "one_at_a_time" });
    const second = await triggerRun(scope, { dagKey: "one_at_a_time" });
    expect((await db.dagRun.findUniqueOrThrow({ where: { id: second.id } })).state).toBe("queued");
    const a = await waitForRun(first.id);
    const b = await waitForRun(second.id);
    expect(b.startedAt!.getTime()).toBeGreaterThanOrEqual(a.endedAt!.getTime());
  });
});

describe("logs", () => {
  it("are stored per attempt and readable after", async () => {
    const result = await run({
      id: "logged",
      tasks: [t("speak", { failTimes: 1 }, { retries: 1, retryDelaySeconds: 0 })],
    });
    const first = await readLogs(scope, { runId: result.id, taskId: "speak", mapIndex: -1, attempt: 1 });
    const second = await readLogs(scope, { runId: result.id, taskId: "speak", mapIndex: -1 });
    expect(first.chunks.map((c) => c.text).join("")).toMatch(/fails its first 1 attempt/);
    expect(second.attempt).toBe(2);
    expect(second.chunks.map((c) => c.text).join("")).toMatch(/the test task succeeded/);
  });
});

describe("sleep", () => {
  it("waits without holding a worker", async () => {
    const result = await run({
      id: "nap",
      tasks: [
        { id: "nap", operator: "sleep", config: { seconds: 1.5 } },
        t("after", {}, { dependsOn: ["nap"] }),
      ],
    });
    expect(result.state).toBe("success");
    const nap = result.taskInstances.find((ti) => ti.taskId === "nap")!;
    expect(nap.attempts).toHaveLength(1);
    expect(nap.endedAt!.getTime() - nap.startedAt!.getTime()).toBeGreaterThanOrEqual(1400);
  });
});
