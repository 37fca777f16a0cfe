// Running a DAG on another DAG's outcome: a trigger (a DagTrigger row, managed through the API)
// starts `dagId` when a run of `upstreamDagId` in the same workspace ends in one of its `on`
// states, with params mapped from that run's event:
//
//   { dagId, runId, state, logicalDate, dataIntervalStart, dataIntervalEnd, params,
//     outputs: { <taskId>: <output of each task that succeeded> } }
//
// e.g. `{ "rows": "/outputs/load/rowCount", "day": "/logicalDate" }`. The engine enqueues
// `triggers:dag-outcome` when a run ends and some trigger listens (server/triggers/jobs.ts); the
// job does the work. The downstream run's key is `dag__<upstream run id>__<state>`, so a retried
// job never starts it twice, while a run that is cleared and ends again (failed, then success)
// fires each outcome once. Triggers may not form a cycle. A trigger is its downstream DAG's: that
// DAG must reach the upstream one (at the root or in its own folder, tenancy/folders.ts reachOf),
// when the trigger is made and each time it fires.
//
// Why rows and not a field of the DAG document: the link is looked up by the upstream DAG on every
// run end (an index on upstreamDagId), and it can be switched off or re-pointed without a new
// version of either DAG.
import { z } from "zod";
import { Prisma } from "@/prisma/generated/client";
import { conditionHolds, type DagDefinition, type TriggerCondition } from "@/server/dags/definition";
import { triggerRun } from "@/server/engine/runs";
import { AppError, notFound } from "@/server/errors";
import { keyset, type PageInput } from "@/server/pagination";
import { systemScope, type WorkspaceScope } from "@/server/tenancy/door";
import { reaches } from "@/server/tenancy/folders";
import { workspaceSql } from "@/server/tenancy/workspace-sql";
import { mapParams, type ParamMapping, paramMappingSchema, undeclaredParams, withSources } from "./mapping";

export const outcomeSchema = z.enum(["success", "failed"]);
export const dagTriggerMapping = paramMappingSchema({ headers: false });

const select = {
  id: true,
  on: true,
  paramMapping: true,
  enabled: true,
  lastFiredAt: true,
  lastRunId: true,
  lastError: true,
  pendingRunId: true,
  pendingSince: true,
  createdAt: true,
  dag: { select: { key: true } },
  upstreamDag: { select: { key: true } },
} as const;

type Row = Prisma.DagTriggerGetPayload<{ select: typeof select }>;

function present(row: Row) {
  const { dag, upstreamDag, paramMapping, ...rest } = row;
  return {
    ...rest,
    dagId: dag.key,
    upstreamDagId: upstreamDag.key,
    paramMapping: paramMapping as ParamMapping,
  };
}

async function dagByKey(scope: WorkspaceScope, key: string, what: string) {
  const dag = await scope.db.dag.findFirst({
    where: { key },
    select: { id: true, key: true, currentVersionId: true, folderId: true },
  });
  if (!dag) throw notFound(what);
  return dag;
}

async function declaredParams(scope: WorkspaceScope, versionId: string | null) {
  if (!versionId) return {};
  const version = await scope.db.dagVersion.findFirst({
    where: { id: versionId },
    select: { definition: true },
  });
  return (version?.definition as unknown as DagDefinition | undefined)?.params ?? {};
}

/** Whether `from` reaches `to` through existing triggers (upstream → downstream). */
async function triggersReach(scope: WorkspaceScope, from: string, to: string): Promise<boolean> {
  const edges = await scope.db.dagTrigger.findMany({ select: { upstreamDagId: true, dagId: true } });
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.upstreamDagId, [...(next.get(e.upstreamDagId) ?? []), e.dagId]);
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === to) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(next.get(id) ?? []));
  }
  return false;
}

export async function createDagTrigger(
  scope: WorkspaceScope,
  input: {
    dagId: string;
    upstreamDagId: string;
    /** Default: success only. */
    on?: Array<"success" | "failed"> | undefined;
    paramMapping?: ParamMapping | undefined;
    enabled?: boolean | undefined;
  },
) {
  const dag = await dagByKey(scope, input.dagId, "DAG");
  const upstream = await dagByKey(scope, input.upstreamDagId, "Upstream DAG");
  if (dag.id === upstream.id) {
    throw new AppError("UNPROCESSABLE_CONTENT", "A DAG cannot trigger itself", [
      { path: "upstreamDagId", message: "must be another DAG" },
    ]);
  }
  if (!reaches(dag.folderId, upstream.folderId)) {
    throw new AppError("UNPROCESSABLE_CONTENT", `${dag.key} does not reach ${upstream.key}`, [
      {
        path: "upstreamDagId",
        message: `${upstream.key} is in another folder; a DAG follows DAGs at the workspace root or in its own folder`,
      },
    ]);
  }
  if (await triggersReach(scope, dag.id, upstream.id)) {
    throw new AppError("UNPROCESSABLE_CONTENT", "Triggers may not form a cycle", [
      { path: "upstreamDagId", message: `${dag.key} already triggers ${upstream.key}, directly or not` },
    ]);
  }
  const mapping = input.paramMapping ?? {};
  const problems = undeclaredParams(mapping, await declaredParams(scope, dag.currentVersionId));
  if (problems.length > 0)
    throw new AppError("UNPROCESSABLE_CONTENT", "The param mapping names unknown params", problems);
  try {
    const row = await scope.db.dagTrigger.create({
      data: {
        workspaceId: scope.workspace.id,
        dagId: dag.id,
        upstreamDagId: upstream.id,
        on: [...new Set(input.on?.length ? input.on : ["success"])],
        paramMapping: mapping,
        enabled: input.enabled ?? true,
      },
      select,
    });
    await scope.audit("dag_trigger.create", dag.key, { upstream: upstream.key, on: row.on });
    return present(row);
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new AppError(
        "CONFLICT",
        `${upstream.key} already triggers ${dag.key}; change that trigger instead`,
      );
    }
    throw error;
  }
}

const triggersOrder = keyset([
  ["createdAt", "asc", "date"],
  ["id", "asc"],
]);

/** Triggers from and to a DAG's runs (or all of the workspace's), oldest first. */
export async function listDagTriggers(
  scope: WorkspaceScope,
  input: PageInput & { dagId?: string | undefined },
) {
  const filter = input.dagId
    ? { OR: [{ dag: { key: input.dagId } }, { upstreamDag: { key: input.dagId } }] }
    : {};
  if (input.dagId) await dagByKey(scope, input.dagId, "DAG");
  return triggersOrder.page(
    input,
    ({ where, ...query }) =>
      scope.db.dagTrigger.findMany({ ...query, where: { ...filter, ...where }, select }),
    present,
  );
}

async function findTrigger(scope: WorkspaceScope, dagKey: string, triggerId: string) {
  const row = await scope.db.dagTrigger.findFirst({
    where: { id: triggerId, dag: { key: dagKey } },
    select: { id: true, dag: { select: { key: true, currentVersionId: true } } },
  });
  if (!row) throw notFound("Trigger");
  return row;
}

export async function updateDagTrigger(
  scope: WorkspaceScope,
  input: {
    dagId: string;
    triggerId: string;
    on?: Array<"success" | "failed"> | undefined;
    paramMapping?: ParamMapping | undefined;
    enabled?: boolean | undefined;
  },
) {
  const found = await findTrigger(scope, input.dagId, input.triggerId);
  if (input.paramMapping) {
    const problems = undeclaredParams(
      input.paramMapping,
      await declaredParams(scope, found.dag.currentVersionId),
    );
    if (problems.length > 0)
      throw new AppError("UNPROCESSABLE_CONTENT", "The param mapping names unknown params", problems);
  }
  const row = await scope.db.dagTrigger.update({
    where: { id: found.id },
    data: {
      ...(input.on ? { on: [...new Set(input.on)] } : {}),
      ...(input.paramMapping ? { paramMapping: input.paramMapping } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
    },
    select,
  });
  await scope.audit("dag_trigger.update", found.dag.key, { triggerId: found.id });
  return present(row);
}

export async function deleteDagTrigger(scope: WorkspaceScope, input: { dagId: string; triggerId: string }) {
  const found = await findTrigger(scope, input.dagId, input.triggerId);
  await scope.db.dagTrigger.delete({ where: { id: found.id } });
  await scope.audit("dag_trigger.delete", found.dag.key, { triggerId: found.id });
}

// ---------------------------------------------------------------------------------------------
// The job

/** The event of a finished run that trigger mappings read. */
export async function runEvent(scope: WorkspaceScope, runId: string, state: string) {
  const run = await scope.db.dagRun.findFirst({
    where: { id: runId },
    select: {
      id: true,
      dagId: true,
      params: true,
      logicalDate: true,
      dataIntervalStart: true,
      dataIntervalEnd: true,
      dag: { select: { key: true, folderId: true } },
    },
  });
  if (!run) return null;
  const outputs = await scope.db.taskInstance.findMany({
    where: { runId, mapIndex: -1, state: "success" },
    select: { taskId: true, output: true },
  });
  return {
    dagRowId: run.dagId,
    upstreamFolderId: run.dag.folderId,
    event: {
      dagId: run.dag.key,
      runId: run.id,
      state,
      logicalDate: run.logicalDate.toISOString(),
      dataIntervalStart: run.dataIntervalStart?.toISOString() ?? null,
      dataIntervalEnd: run.dataIntervalEnd?.toISOString() ?? null,
      params: run.params,
      outputs: Object.fromEntries(outputs.map((o) => [o.taskId, o.output])),
    },
  };
}

/**
 * Records that `triggerId` fired for `upstreamRunId`, and answers whether its DAG's
 * triggerCondition now holds; if so the DAG's pending triggers are consumed, all in one
 * transaction. The DAG's trigger rows are locked first (in id order), so two upstream runs ending
 * at once cannot each miss the other's event.
 */
async function recordAndCheck(
  workspaceId: string,
  dagRowId: string,
  triggerId: string,
  upstreamRunId: string,
) {
  return workspaceSql(workspaceId).transaction(async (sql) => {
    const { rows } = await sql.query<{ id: string; upstream: string; enabled: boolean; pending: boolean }>(
      `SELECT t.id, u.key AS upstream, t.enabled,
              (t.id = $3::uuid OR t."pendingRunId" IS NOT NULL) AS pending
         FROM "DagTrigger" t JOIN "Dag" u ON u.id = t."upstreamDagId"
        WHERE t."workspaceId" = $1::uuid AND t."dagId" = $2::uuid
        ORDER BY t.id FOR UPDATE OF t`,
      [workspaceId, dagRowId, triggerId],
    );
    const { rows: version } = await sql.query<{ condition: TriggerCondition | null }>(
      `SELECT v.definition->'triggerCondition' AS condition
         FROM "Dag" d JOIN "DagVersion" v ON v.id = d."currentVersionId"
        WHERE d.id = $2::uuid AND d."workspaceId" = $1::uuid`,
      [workspaceId, dagRowId],
    );
    const enabled = rows.filter((r) => r.enabled);
    const condition = version[0]?.condition ?? { all: enabled.map((r) => r.upstream) };
    const fired = new Set(enabled.filter((r) => r.pending).map((r) => r.upstream));
    const holds = conditionHolds(condition, fired);
    await sql.query(
      holds
        ? `UPDATE "DagTrigger" SET "pendingRunId" = NULL, "pendingSince" = NULL
            WHERE "workspaceId" = $1::uuid AND "dagId" = $2::uuid`
        : `UPDATE "DagTrigger" SET "pendingRunId" = $4::uuid, "pendingSince" = now()
            WHERE "workspaceId" = $1::uuid AND "dagId" = $2::uuid AND id = $3::uuid`,
      holds ? [workspaceId, dagRowId] : [workspaceId, dagRowId, triggerId, upstreamRunId],
    );
    return holds;
  });
}

/**
 * `triggers:dag-outcome`: starts the DAGs whose triggers listen for this run's outcome, once their
 * triggerCondition holds (until then the trigger waits, pending). The started run's params are
 * mapped from the event that completed the condition.
 */
export async function fireDagTriggers(input: { runId: string; workspaceId: string; state: string }) {
  const system = await systemScope(input.workspaceId).catch(() => null);
  if (!system) return [];
  const found = await runEvent(system, input.runId, input.state);
  if (!found) return [];
  const { event, dagRowId, upstreamFolderId } = found;
  const triggers = await system.db.dagTrigger.findMany({
    where: { upstreamDagId: dagRowId, enabled: true, on: { has: input.state } },
    select: { id: true, dagId: true, paramMapping: true, dag: { select: { key: true, folderId: true } } },
  });
  const scope: WorkspaceScope = { ...system, actor: { kind: "system", label: `dag ${event.dagId}` } };
  const started: Array<{ triggerId: string; runId?: string; error?: string; pending?: true }> = [];
  for (const trigger of triggers) {
    if (!(await recordAndCheck(input.workspaceId, trigger.dagId, trigger.id, event.runId))) {
      started.push({ triggerId: trigger.id, pending: true });
      continue;
    }
    const mapping = trigger.paramMapping as ParamMapping;
    try {
      // Checked as it fires: either DAG may have moved since the trigger was made.
      if (!reaches(trigger.dag.folderId, upstreamFolderId)) throw notFound("Upstream DAG");
      const run = await triggerRun(scope, {
        dagKey: trigger.dag.key,
        params: mapParams(mapping, event),
        triggeredBy: "dag",
        runKey: `dag__${event.runId}__${input.state}`,
        note: `${event.dagId} run ${event.runId} ended: ${input.state}`,
      });
      await system.db.dagTrigger.update({
        where: { id: trigger.id },
        data: { lastFiredAt: new Date(), lastRunId: run.id, lastError: null },
      });
      started.push({ triggerId: trigger.id, runId: run.id });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const problems = withSources(error.problems, mapping).map((p) => `${p.path}: ${p.message}`);
      const message = [error.message, ...problems].join("; ");
      await system.db.dagTrigger.update({
        where: { id: trigger.id },
        data: { lastFiredAt: new Date(), lastError: message },
      });
      await system.audit("dag_trigger.failed", trigger.dag.key, { triggerId: trigger.id, error: message });
      started.push({ triggerId: trigger.id, error: message });
    }
  }
  return started;
}
