// Engine test support: DAGs stored through validation, a worker running in the test process,
// and waiting for runs to end.
import { createHash } from "node:crypto";
import type { Runner } from "graphile-worker";
import type { DagDocument } from "@/server/dags/definition";
import { validateDag } from "@/server/dags/validate";
import { db } from "@/server/db/client";
import { systemScope, type WorkspaceScope } from "@/server/tenancy/door";
import { startWorker } from "@/worker/runner";

/** Stores a DAG document as the DAG's next version, as pushing it would. */
export async function storeDag(scope: WorkspaceScope, document: DagDocument): Promise<string> {
  const result = validateDag(document);
  if (!result.ok) throw new Error(`invalid test DAG: ${JSON.stringify(result.problems)}`);
  const dag = await scope.db.dag.upsert({
    where: { workspaceId_key: { workspaceId: scope.workspace.id, key: result.dag.id } },
    create: { workspaceId: scope.workspace.id, key: result.dag.id, tags: [] },
    update: {},
  });
  const count = await scope.db.dagVersion.count({ where: { dagId: dag.id } });
  const version = await scope.db.dagVersion.create({
    data: {
      workspaceId: scope.workspace.id,
      dagId: dag.id,
      number: count + 1,
      definition: result.dag as object,
      hash: createHash("sha256").update(JSON.stringify(result.dag)).digest("hex"),
      authorLabel: "test",
    },
  });
  await scope.db.dag.update({ where: { id: dag.id }, data: { currentVersionId: version.id } });
  return dag.id;
}

export async function workspaceScope(workspaceId: string, settings: { maxConcurrentTasks?: number } = {}) {
  if (settings.maxConcurrentTasks) {
    await db.workspace.update({ where: { id: workspaceId }, data: settings });
  }
  return systemScope(workspaceId);
}

let runner: Runner | undefined;
export async function startTestWorker(concurrency = 10): Promise<Runner> {
  runner = await startWorker({ concurrency });
  return runner;
}
export async function stopTestWorker() {
  await runner?.stop();
  runner = undefined;
}

/** Polls (cheaply) until the run has ended; returns it with its task instances and attempts. */
export async function waitForRun(runId: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A webhook delivery names its run before the engine creates it: wait for it to exist too.
    const run = await db.dagRun.findUnique({ where: { id: runId }, select: { state: true } });
    if ((run && ["success", "failed", "cancelled"].includes(run.state)) || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const run = await db.dagRun.findUniqueOrThrow({
    where: { id: runId },
    include: {
      taskInstances: {
        include: { attempts: { orderBy: { number: "asc" } } },
        orderBy: [{ taskId: "asc" }, { mapIndex: "asc" }],
      },
    },
  });
  if (!["success", "failed", "cancelled"].includes(run.state)) {
    const states = run.taskInstances
      .slice(0, 50)
      .map((t) => `${t.taskId}[${t.mapIndex}]=${t.state}`)
      .join(", ");
    throw new Error(`run ${runId} still ${run.state} after ${timeoutMs} ms: ${states}`);
  }
  return run;
}

export function statesOf(run: Awaited<ReturnType<typeof waitForRun>>): Record<string, string> {
  return Object.fromEntries(
    run.taskInstances.filter((t) => t.mapIndex === -1).map((t) => [t.taskId, t.state]),
  );
}
