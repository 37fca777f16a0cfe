// `baton run …` against a real database and an in-process worker.
import { afterAll, beforeAll, expect, it } from "vitest";
import { baton } from "../support/cli";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

let slug: string;
beforeAll(async () => {
  const owner = await createUser("cli-runs");
  slug = owner.workspace.slug;
  const scope = await workspaceScope(owner.workspace.id);
  await storeDag(scope, {
    id: "greet",
    params: { name: { type: "string", default: "world" } },
    tasks: [
      { id: "hello", operator: "test", config: { output: "hello {{ params.name }}" } },
      { id: "wait", operator: "test", config: { durationMs: 20_000 }, dependsOn: ["hello"] },
    ],
  });
  await startTestWorker(4);
});
afterAll(() => stopTestWorker());

it("triggers with params, shows status and logs, clears and cancels", async () => {
  const triggered = await baton([
    "run",
    "trigger",
    "greet",
    "--workspace",
    slug,
    "--params",
    '{"name":"Ada"}',
  ]);
  expect(triggered.code).toBe(0);
  const runId = triggered.stdout.trim();
  expect(runId).toMatch(/^[0-9a-f-]{36}$/);

  await expect
    .poll(async () => (await baton(["run", "status", runId, "--workspace", slug])).stdout, {
      timeout: 10_000,
    })
    .toMatch(/wait\s+running/);
  const status = await baton(["run", "status", runId, "--workspace", slug, "--json"]);
  const hello = JSON.parse(status.stdout).tasks.find((t: { taskId: string }) => t.taskId === "hello");
  expect(hello.output).toBe("hello Ada");

  const logs = await baton(["run", "logs", runId, "hello", "--workspace", slug]);
  expect(logs.stdout).toMatch(/the test task succeeded/);

  expect((await baton(["run", "cancel", runId, "--workspace", slug])).code).toBe(0);
  expect((await waitForRun(runId)).state).toBe("cancelled");

  const cleared = await baton(["run", "clear", runId, "hello", "--workspace", slug]);
  expect(cleared.stdout).toMatch(/Cleared hello/);
});

it("names the field of bad input", async () => {
  const bad = await baton(["run", "trigger", "greet", "--workspace", slug, "--params", "not json"]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--params.*JSON object/);
  const unknown = await baton(["run", "trigger", "nope", "--workspace", slug]);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/DAG not found/);
});
