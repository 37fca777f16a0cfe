// Graceful shutdown of a worker started with the production command: on SIGTERM it takes no new
// work, an attempt that finishes within BATON_SHUTDOWN_GRACE_SECONDS finishes (its outcome
// written), one that does not is handed back and retried by another worker, and the process exits
// 0 without logging errors.
import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { generateKey } from "@/server/secrets/crypto";
import { storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { startTestServer, type TestServer } from "../support/http-server";
import { until } from "../support/until";

process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;
let server: TestServer;
const workers: ChildProcess[] = [];
/** Requests to /slow so far: the first one takes longer than the grace period, later ones not. */
let slowCalls = 0;

function startWorkerProcess(): { child: ChildProcess; stderr: () => string } {
  let stderr = "";
  // The worker itself (not a tsx wrapper), so that a signal, SIGKILL included, reaches it.
  const child = spawn(process.execPath, ["--import", "tsx", "worker/main.ts"], {
    env: {
      ...process.env,
      BATON_HTTP_ALLOW: "127.0.0.1/32",
      BATON_SHUTDOWN_GRACE_SECONDS: "3",
      NODE_ENV: "production",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  workers.push(child);
  return { child, stderr: () => stderr };
}

beforeAll(async () => {
  const reply = (ms: number) => (_request: unknown, response: import("node:http").ServerResponse) =>
    setTimeout(() => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end("{}");
    }, ms);
  server = await startTestServer({
    "/quick": reply(1_000),
    "/slow": (request, response) => reply(++slowCalls === 1 ? 60_000 : 10)(request, response),
  });
});

afterAll(async () => {
  for (const child of workers) if (child.exitCode === null) child.kill("SIGKILL");
  await server.close();
});

it("lets running attempts finish within the grace period, hands the rest back, and exits 0 quietly", async () => {
  const owner = await createUser("shutdown");
  const scope = await workspaceScope(owner.workspace.id);
  await storeDag(scope, {
    id: "stopping",
    defaults: { retries: 2, retryDelaySeconds: 0.1 },
    tasks: [
      { id: "quick", operator: "http", config: { url: `${server.url}/quick` } },
      { id: "slow", operator: "http", config: { url: `${server.url}/slow` } },
      { id: "after", operator: "noop", dependsOn: ["quick", "slow"] },
    ],
  });
  const first = startWorkerProcess();
  const run = await triggerRun(scope, { dagKey: "stopping", triggeredBy: "manual" });
  await until("both tasks to be running", () => server.to("/quick").length === 1 && slowCalls === 1);

  const exited = new Promise<number | null>((resolve) => first.child.once("exit", resolve));
  first.child.kill("SIGTERM");
  expect(await exited).toBe(0);
  const states = async () =>
    Object.fromEntries(
      (
        await db.taskInstance.findMany({
          where: { runId: run.id },
          include: { attempts: { orderBy: { number: "asc" } } },
        })
      ).map((ti) => [ti.taskId, ti.attempts.map((a) => `${a.state}${a.error ? `: ${a.error}` : ""}`)]),
    );
  const afterStop = await states();
  // Finished within the grace period: its outcome was written.
  expect(afterStop.quick).toEqual(["success"]);
  // Still running when the grace period ended: handed back to be retried elsewhere.
  expect(afterStop.slow).toEqual([expect.stringMatching(/^failed: .*stopped before the attempt finished/)]);
  expect(afterStop.after).toEqual([]);
  // A normal stop logs no errors.
  const errors = first
    .stderr()
    .split("\n")
    .filter((line) => line.includes('"level":"error"') || line.includes('"level":"fatal"'));
  expect(errors).toEqual([]);

  // Another worker picks the slow task up again, and the run ends.
  const second = startWorkerProcess();
  const ended = await waitForRun(run.id, 60_000);
  expect(ended.state).toBe("success");
  expect(slowCalls).toBe(2);
  second.child.kill("SIGTERM");
}, 120_000);
