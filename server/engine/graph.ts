// A DAG version compiled for execution: upstream and downstream lists, effective settings and
// priorities per task. Versions never change, so each is compiled once per process and cached.
import { analyzeDag } from "@/server/dags/analyze";
import {
  type DagDefinition,
  resolveTaskSettings,
  type TaskDefinition,
  type TaskSettings,
} from "@/server/dags/definition";
import { operatorCatalog } from "@/server/operators/catalog";
import type { Sql } from "./sql";

export interface CompiledTask {
  def: TaskDefinition;
  settings: TaskSettings;
  upstream: string[];
  downstream: string[];
  /** Priority weight first, then the upward rank: tasks on the longest remaining path go first. */
  priority: number;
  /** Config paths rendered as templates: the operator's plus the task's own. */
  templatedFields: string[];
}

export interface CompiledDag {
  versionId: string;
  dag: DagDefinition;
  tasks: Map<string, CompiledTask>;
}

export function compileDag(versionId: string, dag: DagDefinition): CompiledDag {
  const analysis = analyzeDag(dag);
  const downstream = new Map<string, string[]>(dag.tasks.map((t) => [t.id, []]));
  for (const task of dag.tasks) for (const up of task.dependsOn) downstream.get(up)?.push(task.id);
  const tasks = new Map<string, CompiledTask>();
  for (const task of dag.tasks) {
    const settings = resolveTaskSettings(dag, task);
    const operator = operatorCatalog.get(task.operator);
    tasks.set(task.id, {
      def: task,
      settings,
      upstream: [...task.dependsOn],
      downstream: downstream.get(task.id) ?? [],
      // Weights are small integers; ranks are milliseconds, far below 1e9 for any real DAG.
      priority: settings.priorityWeight * 1e9 + (analysis.upwardRank.get(task.id) ?? 0),
      templatedFields: [...(operator?.templatedFields ?? []), ...(task.templated ?? [])],
    });
  }
  return { versionId, dag, tasks };
}

/** Compiled versions by version id, with the workspace each belongs to. */
const cache = new Map<string, { workspaceId: string; compiled: CompiledDag }>();
const CACHE_SIZE = 500;

/** The compiled DAG of a version of `workspaceId` (another workspace's version is not found). */
export async function compiledVersion(
  sql: Sql,
  versionId: string,
  workspaceId: string,
): Promise<CompiledDag> {
  const hit = cache.get(versionId);
  if (hit?.workspaceId === workspaceId) return hit.compiled;
  const { rows } = await sql.query<{ definition: DagDefinition }>(
    `SELECT definition FROM "DagVersion" WHERE id = $1 AND "workspaceId" = $2`,
    [versionId, workspaceId],
  );
  if (!rows[0]) throw new Error(`DAG version ${versionId} not found in workspace ${workspaceId}`);
  const compiled = compileDag(versionId, rows[0].definition);
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(versionId, { workspaceId, compiled });
  return compiled;
}
