// A run's limits under hostile input (issue 15, point 8). Mapped fan-out: the plan's quotas on
// mapped instances per task and per run refuse a longer list before any element exists, naming
// the quota; a run's answer counts its elements by state and GET /runs/{id}/tasks pages through
// them. Params: read as own properties, so a param named like an Object method behaves as any.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unwrap } from "@/server/client";
import type { DagDocument } from "@/server/dags/definition";
import { db } from "@/server/db/client";
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
import { restClient } from "../support/rest";

let scope: WorkspaceScope;
let token: string;
let owner: Awaited<ReturnType<typeof createUser>>;

beforeAll(async () => {
  owner = await createUser("mapped");
  await db.workspace.update({
    where: { id: owner.workspace.id },
    data: { maxMapInstancesPerTask: 5, maxMapInstancesPerRun: 8 },
  });
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 20 });
  token = (await owner.api.tokens.create({ workspace: owner.workspace.slug, name: "ci", role: "VIEWER" }))
    .token;
  await startTestWorker(4);
});
afterAll(() => stopTestWorker());

const items = (n: number) => Array.from({ length: n }, (_, i) => i);

const fanOut: DagDocument = {
  id: "fan_out",
  params: { first: { type: "array", default: [] }, second: { type: "array", default: [] } },
  tasks: [
    { id: "first", operator: "test", map: { over: "params.first" }, config: { output: "{{ item }}" } },
    {
      id: "second",
      operator: "test",
      dependsOn: ["first"],
      map: { over: "params.second" },
      config: { output: "{{ item }}" },
    },
  ],
};

async function run(params: Record<string, unknown>) {
  const { id } = await triggerRun(scope, { dagKey: fanOut.id, params });
  return waitForRun(id);
}

describe("mapped instance quotas", () => {
  beforeAll(() => storeDag(scope, fanOut));

  it("run every element of lists within both quotas", async () => {
    const result = await run({ first: items(5), second: items(3) });
    expect(result.state).toBe("success");
    expect(result.taskInstances.filter((t) => t.mapIndex >= 0)).toHaveLength(8);
  });

  it("fail a task whose list is longer than maxMapInstancesPerTask, before any element exists", async () => {
    const result = await run({ first: items(6), second: items(1) });
    expect(result.state).toBe("failed");
    expect(statesOf(result)).toEqual({ first: "failed", second: "upstream_failed" });
    const first = result.taskInstances.find((t) => t.taskId === "first")!;
    expect(first.error).toBe(
      "The list has 6 items, above this workspace's limit of 5 mapped instances per task (quota maxMapInstancesPerTask)",
    );
    expect(result.taskInstances.filter((t) => t.mapIndex >= 0)).toEqual([]);
  });

  it("fail the task that would take the run beyond maxMapInstancesPerRun", async () => {
    const result = await run({ first: items(5), second: items(4) });
    expect(statesOf(result)).toEqual({ first: "success", second: "failed" });
    expect(result.taskInstances.find((t) => t.taskId === "second" && t.mapIndex === -1)!.error).toBe(
      "The list has 4 items and the run's other mapped tasks 5, above this workspace's limit of 8 mapped instances per run (quota maxMapInstancesPerRun)",
    );
    expect(result.taskInstances.filter((t) => t.taskId === "second" && t.mapIndex >= 0)).toEqual([]);
  });
});

describe("literal mapped lists", () => {
  const literal = (id: string, ...lengths: number[]): DagDocument => ({
    id,
    tasks: lengths.map((n, i) => ({ id: `t${i}`, operator: "test", map: { over: items(n) } })),
  });

  it("are refused at push beyond the quotas, naming the list and the quota", async () => {
    const push = (document: DagDocument) =>
      owner.api.dags.push({ workspace: owner.workspace.slug, document, message: "" });
    await expect(push(literal("too_long", 6))).rejects.toMatchObject({
      code: "UNPROCESSABLE_CONTENT",
      cause: {
        problems: [
          {
            path: "tasks[0].map.over",
            message:
              "has 6 items; this workspace's plan allows at most 5 mapped instances per task (quota maxMapInstancesPerTask)",
          },
        ],
      },
    });
    await expect(push(literal("too_many", 5, 4))).rejects.toMatchObject({
      cause: {
        problems: [
          { path: "tasks", message: expect.stringMatching(/9 items together.*maxMapInstancesPerRun/) },
        ],
      },
    });
    await expect(push(literal("within", 5, 3))).resolves.toMatchObject({ created: true });
  });
});

describe("a run with mapped tasks, read over the REST API", () => {
  it("counts a mapped task's elements by state, and pages through them in order", async () => {
    const result = await run({ first: items(5), second: items(3) });
    const api = restClient(token);
    const detail = await unwrap(api.GET("/runs/{runId}", { params: { path: { runId: result.id } } }));
    expect(detail.tasks.map((t) => [t.taskId, t.mapIndex, t.mapCount, t.mapStates])).toEqual([
      ["first", -1, 5, { success: 5 }],
      ["second", -1, 3, { success: 3 }],
    ]);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await unwrap(
        api.GET("/runs/{runId}/tasks", {
          params: { path: { runId: result.id }, query: { cursor, limit: 3 } },
        }),
      );
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((t) => `${t.taskId}[${t.mapIndex}]=${t.output ?? ""}`));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([
      "first[-1]=0,1,2,3,4",
      ...items(5).map((i) => `first[${i}]=${i}`),
      "second[-1]=0,1,2",
      ...items(3).map((i) => `second[${i}]=${i}`),
    ]);

    const elements = await unwrap(
      api.GET("/runs/{runId}/tasks", {
        params: { path: { runId: result.id }, query: { taskId: "second", mapped: true } },
      }),
    );
    expect(elements.items.map((t) => [t.mapIndex, t.state, t.attempts.length, t.mapStates])).toEqual(
      items(3).map((i) => [i, "success", 1, null]),
    );
  });

  it("answers 404 for a run that is not the workspace's, and 400 for a cursor that is not ours", async () => {
    const api = restClient(token);
    const missing = await api.GET("/runs/{runId}/tasks", {
      params: { path: { runId: "00000000-0000-4000-8000-000000000000" } },
    });
    expect(missing.response.status).toBe(404);
    const { id } = await triggerRun(scope, { dagKey: fanOut.id, params: {} });
    const bad = await api.GET("/runs/{runId}/tasks", {
      params: { path: { runId: id }, query: { cursor: "nope" } },
    });
    expect(bad.response.status).toBe(400);
    await waitForRun(id);
  });
});

describe("params named like Object's own methods", () => {
  it("are pushed, defaulted and passed like any other, and refused by type like any other", async () => {
    const document: DagDocument = {
      id: "object_words",
      params: {
        constructor: { type: "string" as const, default: "fallback" },
        toString: { type: "number" as const, default: 7 },
      },
      tasks: [{ id: "echo", operator: "test", config: { output: "{{ params.toString }}" } }],
    };
    await storeDag(scope, document);
    const defaulted = await waitForRun((await triggerRun(scope, { dagKey: document.id })).id);
    expect(defaulted.state).toBe("success");
    expect(defaulted.params).toEqual({ constructor: "fallback", toString: 7 });
    expect(defaulted.taskInstances[0]!.output).toBe(7);

    const given = await waitForRun(
      (await triggerRun(scope, { dagKey: document.id, params: { constructor: "given", toString: 2 } })).id,
    );
    expect(given.params).toEqual({ constructor: "given", toString: 2 });
    expect(given.taskInstances[0]!.output).toBe(2);

    await expect(
      triggerRun(scope, { dagKey: document.id, params: { toString: "two" } }),
    ).rejects.toMatchObject({
      problems: [{ path: "params.toString" }],
    });
  });
});
