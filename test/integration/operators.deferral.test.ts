// Waiting holds no worker slot: with a worker of concurrency 2, a hundred sensors and a few
// approvals that are all waiting do not stop other tasks from running.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { cancelRun } from "@/server/engine/operations";
import { triggerRun } from "@/server/engine/runs";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { sendJson, startTestServer, type TestServer } from "../support/http-server";

process.env.BATON_HTTP_ALLOW = "127.0.0.1/32";

const SENSORS = 100;
const APPROVALS = 5;

let scope: WorkspaceScope;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ "/not-yet": (_req, res) => sendJson(res, 503, { ready: false }) });
  const owner = await createUser("deferral");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 200 });
  await startTestWorker(2);
});
afterAll(async () => {
  await stopTestWorker();
  await server.close();
});

const statesOfRun = async (runId: string) =>
  db.taskInstance.groupBy({ by: ["state"], where: { runId }, _count: true });

describe("deferred tasks", () => {
  it("a hundred waiting sensors and waiting approvals leave the worker free for other tasks", async () => {
    await storeDag(scope, {
      id: "many_waiters",
      tasks: [
        ...Array.from({ length: SENSORS }, (_, i) => ({
          id: `sensor_${i}`,
          operator: "http_sensor",
          config: { url: `${server.url}/not-yet`, pokeIntervalSeconds: 3600 },
        })),
        ...Array.from({ length: APPROVALS }, (_, i) => ({
          id: `approval_${i}`,
          operator: "approval",
          config: { message: `Approve ${i}?` },
        })),
      ],
    });
    const waiters = await triggerRun(scope, { dagKey: "many_waiters" });
    // Every sensor has checked once and now waits, as does every approval.
    await expect
      .poll(async () => (await statesOfRun(waiters.id)).find((s) => s.state === "deferred")?._count, {
        timeout: 30_000,
        interval: 100,
      })
      .toBe(SENSORS + APPROVALS);
    expect(server.to("/not-yet")).toHaveLength(SENSORS);

    await storeDag(scope, {
      id: "meanwhile",
      tasks: Array.from({ length: 10 }, (_, i) => ({
        id: `work_${i}`,
        operator: "test",
        config: { output: i, durationMs: 20 },
        ...(i > 0 ? { dependsOn: [`work_${i - 1}`] } : {}),
      })),
    });
    const started = Date.now();
    const other = await triggerRun(scope, { dagKey: "meanwhile" });
    const result = await waitForRun(other.id, 15_000);
    expect(result.state).toBe("success");
    expect(Date.now() - started).toBeLessThan(10_000);
    // The waiters are still waiting, none of them holding a worker.
    expect(await statesOfRun(waiters.id)).toEqual([{ state: "deferred", _count: SENSORS + APPROVALS }]);
    expect(server.to("/not-yet")).toHaveLength(SENSORS);

    await cancelRun(scope, waiters.id);
    expect((await waitForRun(waiters.id)).state).toBe("cancelled");
  });
});
