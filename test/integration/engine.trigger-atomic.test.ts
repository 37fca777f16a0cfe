// The trigger's run, its task instances and its audit event are created together or not at all:
// processes triggering runs as fast as they can, killed with SIGKILL mid-stream, leave no run
// without every instance of its version, none without its audit event, and none started without
// its roots queued.
import { spawn } from "node:child_process";
import { beforeAll, expect, it } from "vitest";
import { db } from "@/server/db/client";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { storeDag, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

const KILLS = 4;
let scope: WorkspaceScope;

beforeAll(async () => {
  scope = await workspaceScope((await createUser("trigger-atomic")).workspace.id);
  await db.workspace.update({ where: { id: scope.workspace.id }, data: { maxConcurrentRuns: 100_000 } });
  await storeDag(scope, {
    id: "triple",
    maxActiveRuns: 1_000,
    tasks: ["a", "b", "c"].map((id, i) => ({ id, operator: "noop", config: {}, dependsOn: i ? ["a"] : [] })),
  });
});

/** Starts a triggering process, lets it create `runs` more runs, and kills it mid-stream. */
async function triggerThenKill(runs: number) {
  const before = await db.dagRun.count({ where: { workspaceId: scope.workspace.id } });
  const child = spawn(process.execPath, ["--import", "tsx", "test/support/trigger-process.ts"], {
    env: { ...process.env, TRIGGER_WORKSPACE: scope.workspace.id, TRIGGER_DAG: "triple" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const deadline = Date.now() + 120_000;
    while ((await db.dagRun.count({ where: { workspaceId: scope.workspace.id } })) < before + runs) {
      if (Date.now() > deadline) throw new Error("the triggering process created too few runs in 120 s");
      if (child.exitCode !== null) throw new Error(`the triggering process exited (${child.exitCode})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    child.kill("SIGKILL");
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve)));
  }
}

it("leaves no run without its instances or its audit event when the triggering process is killed", async () => {
  for (let kill = 0; kill < KILLS; kill++) await triggerThenKill(10 + kill * 7);
  // One snapshot: a killed process's last calls may still be committing.
  const [runs, audited] = await db.$transaction(
    [
      db.dagRun.findMany({
        where: { workspaceId: scope.workspace.id },
        select: { id: true, state: true, taskInstances: { select: { taskId: true, state: true } } },
      }),
      db.auditEvent.findMany({
        where: { workspaceId: scope.workspace.id, action: "run.trigger" },
        select: { metadata: true },
      }),
    ],
    { isolationLevel: "RepeatableRead" },
  );
  expect(runs.length).toBeGreaterThanOrEqual(KILLS * 10);
  for (const run of runs) {
    expect(run.taskInstances.map((t) => t.taskId).sort()).toEqual(["a", "b", "c"]);
    // Nothing else of the workspace waits, so each run starts in its own trigger call.
    expect(run.state).toBe("running");
    expect(run.taskInstances.find((t) => t.taskId === "a")!.state).not.toBe("none");
  }
  expect(new Set(audited.map((e) => (e.metadata as { runId: string }).runId))).toEqual(
    new Set(runs.map((r) => r.id)),
  );
}, 600_000);
