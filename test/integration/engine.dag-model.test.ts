// The DAG model's depth through real runs (issue 20): a task skipping itself (code, python, a soft
// sensor) recorded as a skip, fixed branch choices, literal map lists, and the data interval of
// runs the schedule did not create.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DagDocument } from "@/server/dags/definition";
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
import { jsonCaller } from "../support/rest";

// The first Python interpreter of a process makes the snapshot the others start from: on two busy
// cores that alone can take a minute, so runs get more time than the 60 s default.
vi.setConfig({ testTimeout: 150_000 });

let scope: WorkspaceScope;
let owner: Awaited<ReturnType<typeof createUser>>;

beforeAll(async () => {
  owner = await createUser("dag-model");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 20 });
  await startTestWorker(4);
});
afterAll(() => stopTestWorker());

async function run(document: DagDocument, input: { logicalDate?: Date } = {}) {
  await storeDag(scope, document);
  const { id } = await triggerRun(scope, { dagKey: document.id, ...input });
  return waitForRun(id, 120_000);
}

const byTask = (result: Awaited<ReturnType<typeof run>>) =>
  Object.fromEntries(result.taskInstances.filter((t) => t.mapIndex === -1).map((t) => [t.taskId, t]));

describe("a task skipping itself", () => {
  it("code and python tasks call skip(reason): the task and its attempt are skipped, downstream follows its rule", async () => {
    const result = await run({
      id: "self_skip",
      tasks: [
        {
          id: "check_js",
          operator: "code",
          config: { source: 'if (true) skip("no new rows"); return 1;' },
        },
        {
          id: "check_py",
          operator: "python",
          config: { source: 'def main():\n    skip("nothing to load")\n    return 1\n' },
        },
        { id: "load", operator: "noop", dependsOn: ["check_js"] },
        { id: "report", operator: "noop", dependsOn: ["check_js", "check_py"], triggerRule: "none_failed" },
      ],
    });
    const tasks = byTask(result);
    expect(statesOf(result)).toEqual({
      check_js: "skipped",
      check_py: "skipped",
      load: "skipped",
      report: "success",
    });
    expect(result.state).toBe("success");
    for (const id of ["check_js", "check_py"]) {
      expect(tasks[id]!.attempts.map((a) => a.state)).toEqual(["skipped"]);
    }
    expect(tasks.check_js!.error).toBe("no new rows");
    expect(tasks.check_py!.error).toBe("nothing to load");
  });

  it("a soft-failing sensor's skip is recorded as a skip, with queuedAt never after startedAt", async () => {
    const result = await run({
      id: "soft_sensor",
      tasks: [
        {
          id: "wait",
          operator: "time_sensor",
          config: { forSeconds: 3600, pokeIntervalSeconds: 1, timeoutSeconds: 1, softFail: true },
        },
      ],
    });
    const wait = byTask(result).wait!;
    expect(wait.state).toBe("skipped");
    expect(wait.attempts.map((a) => a.state)).toEqual(["skipped"]);
    expect(wait.queuedAt!.getTime()).toBeLessThanOrEqual(wait.startedAt!.getTime());
    expect(wait.startedAt!.getTime()).toBeLessThanOrEqual(wait.endedAt!.getTime());
  });
});

describe("task ids with upper case and dots", () => {
  it("runs them, reads their outputs in templates and maps, and serves their logs by URL", async () => {
    // WfCommons names tasks like this one, 91 characters; the limit is 128.
    const longId = `individuals_merge_ID0000001_${"x".repeat(128 - 28)}`;
    const result = await run({
      id: "group_ids",
      tasks: [
        {
          id: "extract.List_Files",
          operator: "code",
          config: { source: 'console.log("listing"); return ["a", "b"];' },
        },
        {
          id: "extract.count",
          operator: "code",
          dependsOn: ["extract.List_Files"],
          config: {
            inputs: { files: "{{ tasks.extract.List_Files.output }}" },
            source: "return inputs.files.length;",
          },
        },
        {
          id: "load.each",
          operator: "test",
          dependsOn: ["extract.List_Files"],
          map: { over: "tasks.extract.List_Files.output" },
          config: { output: "{{ item }}" },
        },
        {
          id: longId,
          operator: "code",
          dependsOn: ["extract.count", "load.each"],
          config: {
            inputs: { count: '{{ tasks["extract.count"].output }}', each: "{{ tasks.load.each.output }}" },
            source: "return [inputs.count, inputs.each];",
          },
        },
      ],
    });
    expect(result.state).toBe("success");
    const tasks = byTask(result);
    expect(tasks["extract.count"]!.output).toBe(2);
    expect(tasks[longId]!.output).toEqual([2, ["a", "b"]]);

    const { token } = await owner.api.tokens.create({
      workspace: owner.workspace.slug,
      name: "logs",
      role: "VIEWER",
    });
    const logs = await jsonCaller(token)(
      "GET",
      `/runs/${result.id}/tasks/${encodeURIComponent("extract.List_Files")}/logs`,
    );
    expect(logs.status).toBe(200);
    expect(JSON.stringify(logs.body)).toContain("listing");
    const long = await jsonCaller(token)("GET", `/runs/${result.id}/tasks/${longId}/logs`);
    expect(long.status).toBe(200);
  });
});

describe("a run's tasks over REST", () => {
  it("GET /runs/{runId} answers its tasks a page at a time (taskLimit, taskCursor), with their count", async () => {
    const result = await run({
      id: "paged_tasks",
      tasks: ["e", "a", "d", "b", "c"].map((id) => ({ id, operator: "noop" })),
    });
    const { token } = await owner.api.tokens.create({
      workspace: owner.workspace.slug,
      name: "pages",
      role: "VIEWER",
    });
    const get = jsonCaller(token);
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const query: string = `taskLimit=2${cursor ? `&taskCursor=${encodeURIComponent(cursor)}` : ""}`;
      const answer = await get("GET", `/runs/${result.id}?${query}`);
      expect(answer.status).toBe(200);
      expect(answer.body.taskCount).toBe(5);
      pages.push(answer.body.tasks.map((t: { taskId: string }) => t.taskId));
      cursor = answer.body.tasksNextCursor;
    } while (cursor);
    expect(pages).toEqual([["a", "b"], ["c", "d"], ["e"]]);
    const all = await get("GET", `/runs/${result.id}`);
    expect(all.body.tasks).toHaveLength(5);
    expect(all.body.tasksNextCursor).toBeNull();
    const bad = await get("GET", `/runs/${result.id}?taskLimit=0`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("taskLimit");
  });
});

describe("branches and maps", () => {
  it("a branch with only a default always follows the same tasks", async () => {
    const result = await run({
      id: "fixed_branch",
      tasks: [
        { id: "choose", operator: "branch", config: { default: ["b"] } },
        { id: "a", operator: "noop", dependsOn: ["choose"] },
        { id: "b", operator: "noop", dependsOn: ["choose"] },
      ],
    });
    expect(statesOf(result)).toEqual({ choose: "success", a: "skipped", b: "success" });
  });

  it("maps over a literal list", async () => {
    const result = await run({
      id: "literal_map",
      tasks: [
        { id: "square", operator: "test", map: { over: [1, 2, 3] }, config: { output: "{{ item }}" } },
        {
          id: "total",
          operator: "code",
          dependsOn: ["square"],
          config: { inputs: { values: "{{ tasks.square.output }}" }, source: "return inputs.values;" },
        },
      ],
    });
    expect(result.state).toBe("success");
    expect(result.taskInstances.filter((t) => t.taskId === "square" && t.mapIndex >= 0)).toHaveLength(3);
    expect(byTask(result).total!.output).toEqual([1, 2, 3]);
  });
});

describe("data intervals of runs the schedule did not create", () => {
  const reader = {
    id: "read",
    operator: "test",
    config: { output: "{{ run.data_interval_start }}/{{ run.data_interval_end }}" },
  };

  it("an interval schedule: the `every` before the logical date", async () => {
    const at = new Date("2025-03-10T13:30:00Z");
    const result = await run(
      { id: "every_4h", schedule: { type: "interval", every: "4h" }, tasks: [reader] },
      { logicalDate: at },
    );
    expect(result.dataIntervalStart).toEqual(new Date("2025-03-10T09:30:00Z"));
    expect(result.dataIntervalEnd).toEqual(at);
    expect(byTask(result).read!.output).toBe("2025-03-10T09:30:00.000Z/2025-03-10T13:30:00.000Z");
  });

  it("a cron schedule: the last complete interval, in the schedule's time zone", async () => {
    const result = await run(
      {
        id: "daily_paris",
        schedule: { type: "cron", cron: "0 0 * * *", timezone: "Europe/Paris" },
        tasks: [reader],
      },
      { logicalDate: new Date("2025-03-25T00:00:00Z") }, // 01:00 in Paris on the 25th
    );
    expect(result.dataIntervalStart).toEqual(new Date("2025-03-23T23:00:00Z"));
    expect(result.dataIntervalEnd).toEqual(new Date("2025-03-24T23:00:00Z"));
    expect(result.logicalDate).toEqual(new Date("2025-03-25T00:00:00Z"));
  });

  it("no schedule: the logical date itself", async () => {
    const at = new Date("2025-03-10T13:30:00Z");
    const result = await run({ id: "manual_only", tasks: [reader] }, { logicalDate: at });
    expect(result.dataIntervalStart).toEqual(at);
    expect(result.dataIntervalEnd).toEqual(at);
    expect(result.state).toBe("success");
  });
});

describe("template date filters", () => {
  it("read dates in the DAG's time zone when given none (its cron schedule's; UTC without one)", async () => {
    const dated = {
      id: "dated",
      operator: "test",
      config: {
        output:
          '{{ run.logical_date | date("YYYY-MM-DD HH:mm") }} {{ run.logical_date | start_of("day") }} {{ run.logical_date | date("HH:mm", "UTC") }}',
      },
    };
    // 20:00 UTC on the 24th is 05:00 on the 25th in Tokyo.
    const at = new Date("2025-03-24T20:00:00Z");
    const tokyo = await run(
      {
        id: "in_tokyo",
        schedule: { type: "cron", cron: "0 5 * * *", timezone: "Asia/Tokyo" },
        tasks: [dated],
      },
      { logicalDate: at },
    );
    expect(byTask(tokyo).dated!.output).toBe("2025-03-25 05:00 2025-03-24T15:00:00.000Z 20:00");
    const utc = await run({ id: "in_utc", tasks: [dated] }, { logicalDate: at });
    expect(byTask(utc).dated!.output).toBe("2025-03-24 20:00 2025-03-24T00:00:00.000Z 20:00");
  });
});

describe("ignoreDownstreamTriggerRules", () => {
  const dag = (id: string, ignore: boolean | undefined): DagDocument => ({
    id,
    tasks: [
      {
        id: "gate",
        operator: "branch",
        // Follows `fast` only; `slow` and everything that hangs below it alone is not taken.
        config: {
          default: ["fast"],
          ...(ignore === undefined ? {} : { ignoreDownstreamTriggerRules: ignore }),
        },
      },
      { id: "fast", operator: "noop", dependsOn: ["gate"] },
      { id: "slow", operator: "noop", dependsOn: ["gate"] },
      { id: "cleanup", operator: "noop", dependsOn: ["slow"], triggerRule: "all_done" },
      { id: "other", operator: "noop" },
      { id: "report", operator: "noop", dependsOn: ["cleanup", "other"], triggerRule: "none_failed" },
      // Also below a followed task: its trigger rule decides, whatever the setting.
      {
        id: "join",
        operator: "noop",
        dependsOn: ["fast", "cleanup"],
        triggerRule: "none_failed_min_one_success",
      },
    ],
  });

  it("false (the default, Airflow's branch): only the direct downstream is skipped, trigger rules decide below", async () => {
    const expected = {
      gate: "success",
      fast: "success",
      slow: "skipped",
      cleanup: "success",
      other: "success",
      report: "success",
      join: "success",
    };
    expect(statesOf(await run(dag("rules_decide", undefined)))).toEqual(expected);
    expect(statesOf(await run(dag("rules_decide_too", false)))).toEqual(expected);
  });

  it("true (Airflow's short-circuit): everything below the tasks not followed is skipped, whatever its rule", async () => {
    expect(statesOf(await run(dag("skip_all_below", true)))).toEqual({
      gate: "success",
      fast: "success",
      slow: "skipped",
      cleanup: "skipped",
      other: "success",
      report: "skipped",
      join: "success",
    });
  });
});
