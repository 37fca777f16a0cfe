// `baton run …` over the REST API (in-process) against a real database and an in-process worker.
import { afterAll, beforeAll, expect, it } from "vitest";
import { baton } from "../support/cli";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

let token: string;
beforeAll(async () => {
  const owner = await createUser("cli-runs");
  token = (await owner.api.tokens.create({ workspace: owner.workspace.slug, name: "ci", role: "OPERATOR" }))
    .token;
  const scope = await workspaceScope(owner.workspace.id);
  await storeDag(scope, {
    id: "greet",
    params: { name: { type: "string", default: "world" } },
    tasks: [
      { id: "hello", operator: "test", config: { output: "hello {{ params.name }}" } },
      { id: "wait", operator: "test", config: { durationMs: 20_000 }, dependsOn: ["hello"] },
    ],
  });
  await storeDag(scope, {
    id: "regions",
    tasks: [
      {
        id: "export",
        operator: "test",
        map: { over: ["eu", "us", "apac"] },
        config: { output: "{{ item }}" },
      },
    ],
  });
  await startTestWorker(4);
});
afterAll(() => stopTestWorker());

it("triggers with params, shows status and logs, clears and cancels", async () => {
  const triggered = await baton(["run", "trigger", "greet", "--params", '{"name":"Ada"}'], { token });
  expect(triggered.code).toBe(0);
  const runId = triggered.stdout.trim();
  expect(runId).toMatch(/^[0-9a-f-]{36}$/);

  await expect
    .poll(async () => (await baton(["run", "status", runId], { token })).stdout, { timeout: 10_000 })
    .toMatch(/wait\s+running/);
  const status = await baton(["run", "status", runId, "--json"], { token });
  const hello = JSON.parse(status.stdout).tasks.find((t: { taskId: string }) => t.taskId === "hello");
  expect(hello.output).toBe("hello Ada");

  const logs = await baton(["run", "logs", runId, "hello"], { token });
  expect(logs.stdout).toMatch(/the test task succeeded/);
  const list = await baton(["run", "list", "--dag", "greet"], { token });
  expect(list.stdout).toContain(runId);

  expect((await baton(["run", "cancel", runId], { token })).code).toBe(0);
  expect((await waitForRun(runId)).state).toBe("cancelled");

  const cleared = await baton(["run", "clear", runId, "hello"], { token });
  expect(cleared.stdout).toMatch(/Cleared hello/);
  const retried = await baton(["run", "retry-failed", runId], { token });
  expect(retried).toMatchObject({ code: 1, stderr: "baton: The run has no failed tasks to retry\n" });
});

it("names the field of bad input", async () => {
  const bad = await baton(["run", "trigger", "greet", "--params", "not json"], { token });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--params.*JSON object/);
  const unknown = await baton(["run", "trigger", "nope"], { token });
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/DAG not found/);
  const wrongParam = await baton(["run", "trigger", "greet", "--params", '{"name": 42}'], { token });
  expect(wrongParam.code).toBe(1);
  expect(wrongParam.stderr).toMatch(/\n {2}params\.name: /);
});

it("shows a mapped task once in the status, and every element with run tasks", async () => {
  const triggered = await baton(["run", "trigger", "regions", "--wait"], { token });
  expect(triggered.code).toBe(0);
  const runId = triggered.stdout.split(" ")[0]!;
  const status = await baton(["run", "status", runId], { token });
  expect(status.stdout).toMatch(/export\s+success \(3 success\)/);
  expect(status.stdout).not.toContain("export[0]");

  const tasks = await baton(["run", "tasks", runId, "--task", "export"], { token });
  expect(tasks.stdout.match(/^export\S*/gm)).toEqual(["export", "export[0]", "export[1]", "export[2]"]);
  const json = await baton(["run", "tasks", runId, "--state", "success", "--json"], { token });
  expect(JSON.parse(json.stdout).map((t: { output: unknown }) => t.output)).toEqual([
    ["eu", "us", "apac"],
    "eu",
    "us",
    "apac",
  ]);
});
