// Operator test helpers: run a DAG to its end, read a task's log and state.
import { createConnection } from "@/server/config/connections";
import type { DagDocument } from "@/server/dags/definition";
import { readLogs } from "@/server/engine/queries";
import { triggerRun } from "@/server/engine/runs";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { storeDag, waitForRun } from "./engine";

export type FinishedRun = Awaited<ReturnType<typeof waitForRun>>;

export async function runDag(
  scope: WorkspaceScope,
  document: DagDocument,
  params?: Record<string, unknown>,
  timeoutMs?: number,
): Promise<FinishedRun> {
  await storeDag(scope, document);
  const { id } = await triggerRun(scope, { dagKey: document.id, params });
  return waitForRun(id, timeoutMs);
}

export function instance(run: FinishedRun, taskId: string) {
  const found = run.taskInstances.find((ti) => ti.taskId === taskId && ti.mapIndex === -1);
  if (!found) throw new Error(`no task ${taskId} in run ${run.id}`);
  return found;
}

/** The text of a task's (latest) attempt log. */
export async function logOf(scope: WorkspaceScope, runId: string, taskId: string): Promise<string> {
  const log = await readLogs(scope, { runId, taskId, mapIndex: -1 });
  return log.chunks.map((c) => c.text).join("");
}

/**
 * A postgres connection named `name` to this test file's own database (tests allow 127.0.0.1
 * with BATON_HTTP_ALLOW, as a self-hoster would allow an internal database).
 */
export async function connectToTestDatabase(scope: WorkspaceScope, name = "warehouse"): Promise<void> {
  const url = new URL(process.env.DATABASE_URL!);
  await createConnection(scope, {
    name,
    type: "postgres",
    config: {
      // An address the allow-list names: "localhost" would also resolve to ::1, which it does not.
      host: url.hostname === "localhost" ? "127.0.0.1" : url.hostname,
      port: Number(url.port || 5432),
      database: url.pathname.slice(1),
      user: decodeURIComponent(url.username),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ssl: false,
    },
  });
}
