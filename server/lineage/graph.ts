// Lineage: how a workspace's DAGs feed each other. An edge goes from the DAG whose runs come first
// (upstream) to the DAG that follows (downstream), and is one of:
//
// - `dag_trigger`: a DAG trigger (server/triggers) starts `to` when a run of `from` ends in one of
//   its outcomes (its "outcome events");
// - `trigger_dag`: a `trigger_dag` task of `from`'s current version starts runs of `to`;
// - `sensor`: an `external_run_sensor` task of `to`'s current version waits for a run of `from`.
//
// Each edge carries its last event: the trigger's last firing, the latest run the task started,
// the latest run the sensor saw reach its state. Edges come from the DAGs' current versions and the
// trigger rows, so a link removed from a document disappears with the next version.
import type { WorkspaceScope } from "@/server/tenancy/door";
import { workspaceSql } from "@/server/tenancy/workspace-sql";

export type LineageEdgeKind = "dag_trigger" | "trigger_dag" | "sensor";

export interface LineageEvent {
  at: Date;
  /** The run of `from` that caused it (the sensor: the run it saw). */
  upstreamRunId: string | null;
  /** The run of `to` it started (the sensor: the run that waited). */
  downstreamRunId: string | null;
  /** The downstream run's state now (a trigger or trigger_dag), or the state the sensor saw. */
  state: string | null;
  /** Why the trigger last failed to start a run. */
  error: string | null;
}

export interface LineageEdge {
  /** Stable: `dag_trigger:<trigger id>`, `trigger_dag:<from>.<task>`, `sensor:<to>.<task>`. */
  id: string;
  kind: LineageEdgeKind;
  from: string;
  to: string;
  /** The trigger_dag task (in `from`) or the sensor task (in `to`); null for a DAG trigger. */
  taskId: string | null;
  /** The outcomes it follows: a trigger's `on`, the state a sensor waits for; [] for trigger_dag. */
  on: string[];
  enabled: boolean;
  /** A DAG trigger that fired and waits for the rest of its DAG's triggerCondition. */
  pending: { since: Date; upstreamRunId: string } | null;
  lastEvent: LineageEvent | null;
}

export interface LineageNode {
  dagId: string;
  title: string | null;
  paused: boolean;
  archived: boolean;
  /** Named by an edge, but no such DAG exists in the workspace (a task names a DAG not made yet). */
  missing: boolean;
  lastRun: { id: string; state: string; queuedAt: Date } | null;
}

interface EdgeDraft extends Omit<LineageEdge, "lastEvent"> {
  triggerId?: string;
}

/** Every edge of the workspace, without events. */
async function edgesOf(scope: WorkspaceScope): Promise<EdgeDraft[]> {
  const [triggers, { rows: tasks }] = await Promise.all([
    scope.db.dagTrigger.findMany({
      select: {
        id: true,
        on: true,
        enabled: true,
        pendingRunId: true,
        pendingSince: true,
        dag: { select: { key: true } },
        upstreamDag: { select: { key: true } },
      },
      orderBy: { createdAt: "asc" },
    }),
    // Only the linking tasks of each current version are read out of its document.
    workspaceSql(scope).query<{
      dagKey: string;
      taskId: string;
      operator: string;
      target: string;
      state: string | null;
    }>(
      `SELECT d.key AS "dagKey", t->>'id' AS "taskId", t->>'operator' AS operator,
              t->'config'->>'dagId' AS target, t->'config'->>'state' AS state
       FROM "Dag" d
       JOIN "DagVersion" v ON v.id = d."currentVersionId" AND v."workspaceId" = $1
       CROSS JOIN LATERAL jsonb_array_elements(v.definition->'tasks') AS t
       WHERE d."workspaceId" = $1 AND d."archivedAt" IS NULL
         AND t->>'operator' IN ('trigger_dag', 'external_run_sensor') AND t->'config'->>'dagId' IS NOT NULL
       ORDER BY d.key, t->>'id'`,
      [scope.workspace.id],
    ),
  ]);
  const edges: EdgeDraft[] = triggers.map((t) => ({
    id: `dag_trigger:${t.id}`,
    triggerId: t.id,
    kind: "dag_trigger",
    from: t.upstreamDag.key,
    to: t.dag.key,
    taskId: null,
    on: t.on,
    enabled: t.enabled,
    pending:
      t.pendingRunId && t.pendingSince ? { since: t.pendingSince, upstreamRunId: t.pendingRunId } : null,
  }));
  for (const task of tasks) {
    edges.push(
      task.operator === "trigger_dag"
        ? {
            id: `trigger_dag:${task.dagKey}.${task.taskId}`,
            kind: "trigger_dag",
            from: task.dagKey,
            to: task.target,
            taskId: task.taskId,
            on: [],
            enabled: true,
            pending: null,
          }
        : {
            id: `sensor:${task.dagKey}.${task.taskId}`,
            kind: "sensor",
            from: task.target,
            to: task.dagKey,
            taskId: task.taskId,
            on: [task.state ?? "success"],
            enabled: true,
            pending: null,
          },
    );
  }
  return edges;
}

/** The last event of each edge, one indexed query per edge (newest runs first). */
async function withLastEvents(
  scope: WorkspaceScope,
  edges: EdgeDraft[],
  dagIds: ReadonlyMap<string, string>,
): Promise<LineageEdge[]> {
  const sql = workspaceSql(scope);
  const workspaceId = scope.workspace.id;
  return Promise.all(
    edges.map(async ({ triggerId, ...edge }): Promise<LineageEdge> => {
      const from = dagIds.get(edge.from);
      const to = dagIds.get(edge.to);
      let lastEvent: LineageEvent | null = null;
      if (edge.kind === "dag_trigger") {
        const { rows } = await sql.query<LineageEvent>(
          `SELECT g."lastFiredAt" AS at, g."lastError" AS error, g."lastRunId" AS "downstreamRunId",
                  r.state::text AS state,
                  CASE WHEN split_part(r."runKey", '__', 2) ~ '^[0-9a-f-]{36}$' THEN split_part(r."runKey", '__', 2) END
                    AS "upstreamRunId"
           FROM "DagTrigger" g
           LEFT JOIN "DagRun" r ON r.id = g."lastRunId" AND r."workspaceId" = $1
           WHERE g.id = $2 AND g."workspaceId" = $1 AND g."lastFiredAt" IS NOT NULL`,
          [workspaceId, triggerId],
        );
        lastEvent = rows[0] ?? null;
      } else if (edge.kind === "trigger_dag" && from && to) {
        // Runs a trigger_dag task starts are keyed dag__<upstream run>__<task>__<map index>__<try>.
        const { rows } = await sql.query<LineageEvent>(
          `SELECT d."queuedAt" AS at, NULL AS error, d.id AS "downstreamRunId", d.state::text AS state,
                  u.id AS "upstreamRunId"
           FROM "DagRun" d
           JOIN "DagRun" u ON u."workspaceId" = $1 AND u."dagId" = $3
             AND u.id = (CASE WHEN split_part(d."runKey", '__', 2) ~ '^[0-9a-f-]{36}$'
                              THEN split_part(d."runKey", '__', 2)::uuid END)
           WHERE d."workspaceId" = $1 AND d."dagId" = $2 AND d."triggeredBy" = 'dag'
             AND split_part(d."runKey", '__', 3) = $4
           ORDER BY d."queuedAt" DESC LIMIT 1`,
          [workspaceId, to, from, edge.taskId],
        );
        lastEvent = rows[0] ?? null;
      } else if (edge.kind === "sensor" && to) {
        const { rows } = await sql.query<LineageEvent>(
          `SELECT t."endedAt" AS at, NULL AS error, r.id AS "downstreamRunId", t.output->>'state' AS state,
                  t.output->>'runId' AS "upstreamRunId"
           FROM "DagRun" r
           JOIN "TaskInstance" t ON t."runId" = r.id AND t."workspaceId" = $1 AND t."taskId" = $3 AND t."mapIndex" = -1
           WHERE r."workspaceId" = $1 AND r."dagId" = $2 AND t.state = 'success'
           ORDER BY r."queuedAt" DESC LIMIT 1`,
          [workspaceId, to, edge.taskId],
        );
        lastEvent = rows[0] ?? null;
      }
      return { ...edge, lastEvent };
    }),
  );
}

async function dagsOf(scope: WorkspaceScope, keys?: ReadonlySet<string>) {
  return scope.db.dag.findMany({
    where: keys ? { key: { in: [...keys] } } : {},
    select: { id: true, key: true, title: true, paused: true, archivedAt: true },
    orderBy: { key: "asc" },
  });
}

/**
 * The workspace's lineage graph: the DAGs that have a link (DAGs without any are left out; `unlinked`
 * counts them), with their latest run, and every link with its last event.
 */
export async function lineageGraph(scope: WorkspaceScope) {
  const [drafts, dags] = await Promise.all([edgesOf(scope), dagsOf(scope)]);
  const ids = new Map(dags.map((d) => [d.key, d.id]));
  const linked = new Set(drafts.flatMap((e) => [e.from, e.to]));
  const edges = await withLastEvents(scope, drafts, ids);
  const { rows: latest } = linked.size
    ? await workspaceSql(scope).query<{ dagId: string; id: string; state: string; queuedAt: Date }>(
        `SELECT DISTINCT ON (r."dagId") r."dagId", r.id, r.state::text AS state, r."queuedAt"
         FROM "DagRun" r WHERE r."workspaceId" = $1 AND r."dagId" = ANY($2::uuid[])
         ORDER BY r."dagId", r."queuedAt" DESC`,
        [scope.workspace.id, [...linked].flatMap((key) => ids.get(key) ?? [])],
      )
    : { rows: [] };
  const lastRun = new Map(latest.map((r) => [r.dagId, { id: r.id, state: r.state, queuedAt: r.queuedAt }]));
  const byKey = new Map(dags.map((d) => [d.key, d]));
  const nodes: LineageNode[] = [...linked].sort().map((key) => {
    const dag = byKey.get(key);
    return {
      dagId: key,
      title: dag?.title ?? null,
      paused: dag?.paused ?? false,
      archived: Boolean(dag?.archivedAt),
      missing: !dag,
      lastRun: dag ? (lastRun.get(dag.id) ?? null) : null,
    };
  });
  const unlinked = dags.filter((d) => !d.archivedAt && !linked.has(d.key)).length;
  return { nodes, edges, unlinked };
}

/** One DAG's links: the edges into it (upstream) and out of it (downstream). */
export async function dagLineage(scope: WorkspaceScope, dagKey: string) {
  const drafts = await edgesOf(scope);
  const mine = drafts.filter((e) => e.from === dagKey || e.to === dagKey);
  const dags = await dagsOf(scope, new Set([dagKey, ...mine.flatMap((e) => [e.from, e.to])]));
  if (!dags.some((d) => d.key === dagKey)) return null;
  const edges = await withLastEvents(scope, mine, new Map(dags.map((d) => [d.key, d.id])));
  return {
    dagId: dagKey,
    upstream: edges.filter((e) => e.to === dagKey),
    downstream: edges.filter((e) => e.from === dagKey),
  };
}
