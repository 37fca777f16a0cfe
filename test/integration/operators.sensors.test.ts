// time_sensor, external_run_sensor and trigger_dag through real runs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
import { instance, logOf, runDag } from "../support/operators";

let scope: WorkspaceScope;

beforeAll(async () => {
  const owner = await createUser("sensors");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 50 });
  await startTestWorker(4);
});
afterAll(() => stopTestWorker());

describe("time_sensor", () => {
  it("waits for a duration or a moment without a worker, and times out softly", async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    const far = new Date(Date.now() + 86_400_000).toISOString();
    const run = await runDag(scope, {
      id: "time_sensors",
      tasks: [
        { id: "duration", operator: "time_sensor", config: { forSeconds: 1 } },
        { id: "passed", operator: "time_sensor", config: { until: past } },
        { id: "too_far", operator: "time_sensor", config: { until: far, timeoutSeconds: 1, softFail: true } },
      ],
    });
    expect(statesOf(run)).toEqual({ duration: "success", passed: "success", too_far: "skipped" });
    const duration = instance(run, "duration");
    expect(duration.endedAt!.getTime() - duration.startedAt!.getTime()).toBeGreaterThanOrEqual(950);
    expect(duration.attempts).toHaveLength(1);
    expect(await logOf(scope, run.id, "duration")).toMatch(/waiting until .* without holding a worker/);
    expect(instance(run, "passed").output).toEqual({ until: past });
    expect(instance(run, "too_far").error).toMatch(/was not reached within 1 s/);
  });
});

describe("external_run_sensor", () => {
  it("waits for the other DAG's run of the same logical date, or its latest run", async () => {
    await storeDag(scope, {
      id: "upstream_dag",
      tasks: [{ id: "load", operator: "test", config: { output: 1 } }],
    });
    await storeDag(scope, {
      id: "downstream_dag",
      tasks: [
        {
          id: "same_day",
          operator: "external_run_sensor",
          config: { dagId: "upstream_dag", pokeIntervalSeconds: 1 },
        },
        {
          id: "latest",
          operator: "external_run_sensor",
          config: { dagId: "upstream_dag", match: "latest", pokeIntervalSeconds: 1 },
        },
      ],
    });
    const logicalDate = new Date("2030-03-01T00:00:00Z");
    const waiting = await triggerRun(scope, { dagKey: "downstream_dag", logicalDate });
    await expect
      .poll(async () => (await logOf(scope, waiting.id, "same_day")).includes("has no run for 2030-03-01"), {
        timeout: 10_000,
      })
      .toBe(true);
    const other = await triggerRun(scope, { dagKey: "upstream_dag", logicalDate });
    const run = await waitForRun(waiting.id);
    expect(statesOf(run)).toEqual({ same_day: "success", latest: "success" });
    expect(instance(run, "same_day").output).toEqual({
      runId: other.id,
      state: "success",
      logicalDate: logicalDate.toISOString(),
    });
  });
});

describe("trigger_dag", () => {
  it("starts another DAG's run with params, waits for it and takes its outputs", async () => {
    await storeDag(scope, {
      id: "child",
      params: { n: { type: "integer", required: true } },
      tasks: [
        { id: "double", operator: "test", config: { output: "{{ params.n }}" } },
        {
          id: "fail_if_7",
          operator: "branch",
          config: { rules: [{ when: "{{ params.n }}", equals: 7, then: ["boom"] }] },
        },
        { id: "boom", operator: "test", dependsOn: ["fail_if_7"], config: { outcome: "fail" } },
      ],
    });
    const run = await runDag(scope, {
      id: "parent",
      params: { n: { type: "integer", default: 21 } },
      tasks: [
        {
          id: "wait",
          operator: "trigger_dag",
          config: {
            dagId: "child",
            params: { n: "{{ params.n }}" },
            waitForCompletion: true,
            pollSeconds: 1,
          },
        },
        { id: "fire", operator: "trigger_dag", config: { dagId: "child", params: { n: 1 } } },
        {
          id: "failing",
          operator: "trigger_dag",
          config: { dagId: "child", params: { n: 7 }, waitForCompletion: true, pollSeconds: 1 },
        },
        { id: "bad_params", operator: "trigger_dag", config: { dagId: "child", params: { n: "x" } } },
        { id: "unknown", operator: "trigger_dag", config: { dagId: "no_such_dag" } },
      ],
    });
    expect(statesOf(run)).toEqual({
      wait: "success",
      fire: "success",
      failing: "failed",
      bad_params: "failed",
      unknown: "failed",
    });
    const wait = instance(run, "wait").output as {
      runId: string;
      state: string;
      outputs: Record<string, unknown>;
    };
    expect(wait).toMatchObject({
      state: "success",
      outputs: { double: 21, fail_if_7: { follow: [] }, boom: null },
    });
    const child = await waitForRun(wait.runId);
    expect(child.triggeredBy).toBe("dag");
    expect(child.params).toEqual({ n: 21 });
    expect(instance(run, "fire").output).toEqual({ runId: expect.any(String) });
    expect(instance(run, "failing").error).toMatch(/The triggered run .* of child ended failed/);
    expect(instance(run, "bad_params").error).toMatch(/Cannot trigger child: .*params\.n/);
    expect(instance(run, "unknown").error).toMatch(/Cannot trigger no_such_dag: DAG not found/);
  });
});
