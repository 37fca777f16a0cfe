// Retention: each workspace keeps what its plan says and nothing older. The hourly
// `retention:purge` job (worker/tasks/retention.ts) deletes, for every workspace,
//
// - the logs of runs that ended more than `logRetentionDays` ago (the run keeps `logsPurgedAt`,
//   so it is not scanned again and its pages can say why the logs are gone);
// - runs that ended more than `runRetentionDays` ago, with their task instances, outputs and
//   attempts (runs that never ended are never purged);
// - webhook deliveries received more than `runRetentionDays` ago;
//
// then measures what each workspace stores into today's UsageDay.storageBytes, and keeps
// graphile-worker's own tables lean (./worker-tables.ts).
//
// Nothing here holds a lock for long: every statement touches at most `batchSize` rows (a run's
// task instances and logs go first, in batches, so deleting the run itself cascades to nothing
// big), runs in its own short transaction, and is followed by a short pause. Each statement
// re-checks the age of what it deletes, so a run that started again meanwhile (cleared tasks)
// keeps its rows. Cross-tenant housekeeping like the reaper (server/db/cross-tenant.ts): every
// statement names the workspace.
import { setTimeout as sleep } from "node:timers/promises";
import { env } from "@/server/config";
import { crossTenantSql } from "@/server/db/cross-tenant";
import { notFound } from "@/server/errors";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { workspaceSql } from "@/server/tenancy/workspace-sql";

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  /** The time "now" (tests move it). */
  now?: Date;
  /** Rows per statement (default 500, `BATON_RETENTION_BATCH`). */
  batchSize?: number;
  /** Pause after each statement that changed rows, so other transactions get the tables (default 20 ms). */
  pauseMs?: number;
  /** Told what was deleted, one line per workspace with anything deleted. */
  log?: (line: string) => void;
  /** Only this workspace (the console's "Run retention now"); every workspace when absent. */
  workspaceId?: string;
}

export interface WorkspacePurge {
  workspaceId: string;
  /** Runs whose logs were deleted (marked logsPurgedAt). */
  logRuns: number;
  /** Log chunks (TaskLog rows) deleted. */
  logChunks: number;
  runs: number;
  taskInstances: number;
  deliveries: number;
}

export interface RetentionReport {
  workspaces: WorkspacePurge[];
  /** Statements that deleted or changed rows (each its own transaction). */
  statements: number;
  /** Workspaces whose storage was measured into today's UsageDay. */
  measured: number;
}

interface Context {
  batchSize: number;
  pauseMs: number;
  statements: number;
}

/**
 * The workspace's log retention in days, for a run page saying why the logs of a run are gone
 * (logsPurgedAt). It is today's value: a plan changed since the removal shows its new one.
 */
export async function logRetentionDays(scope: WorkspaceScope): Promise<number> {
  const { rows } = await workspaceSql(scope).query<{ logRetentionDays: number }>(
    `SELECT "logRetentionDays" FROM "Workspace" WHERE id = $1`,
    [scope.workspace.id],
  );
  if (!rows[0]) throw notFound("Workspace");
  return rows[0].logRetentionDays;
}

/** Applies every workspace's retention; see the module comment. */
export async function applyRetention(options: RetentionOptions = {}): Promise<RetentionReport> {
  const now = options.now ?? new Date();
  const ctx: Context = {
    batchSize: options.batchSize ?? env.BATON_RETENTION_BATCH,
    pauseMs: options.pauseMs ?? 20,
    statements: 0,
  };
  const { rows: workspaces } = await crossTenantSql.query<{
    id: string;
    runRetentionDays: number;
    logRetentionDays: number;
  }>(
    `SELECT id, "runRetentionDays", "logRetentionDays" FROM "Workspace"
     WHERE $1::uuid IS NULL OR id = $1::uuid ORDER BY id`,
    [options.workspaceId ?? null],
  );
  const report: RetentionReport = { workspaces: [], statements: 0, measured: 0 };
  for (const workspace of workspaces) {
    const purged = await purgeWorkspace(ctx, workspace, now);
    report.workspaces.push(purged);
    const { logRuns, logChunks, runs, taskInstances, deliveries } = purged;
    if (logRuns + runs + deliveries > 0) {
      options.log?.(
        `retention: workspace ${workspace.id}: deleted ${runs} run(s) with ${taskInstances} task instance(s), ` +
          `the logs of ${logRuns} run(s) (${logChunks} chunk(s)), ${deliveries} webhook deliveries`,
      );
    }
  }
  report.measured = await measureStorage(now, options.workspaceId);
  report.statements = ctx.statements;
  return report;
}

async function purgeWorkspace(
  ctx: Context,
  workspace: { id: string; runRetentionDays: number; logRetentionDays: number },
  now: Date,
): Promise<WorkspacePurge> {
  const runCutoff = new Date(now.getTime() - workspace.runRetentionDays * DAY_MS);
  // Runs about to be deleted lose their logs first (batched) whatever the log retention says.
  const logCutoff = new Date(
    Math.max(now.getTime() - workspace.logRetentionDays * DAY_MS, runCutoff.getTime()),
  );
  const logs = await purgeLogs(ctx, workspace.id, logCutoff);
  const runs = await purgeRuns(ctx, workspace.id, runCutoff);
  const deliveries = await inBatches(ctx, (limit) =>
    crossTenantSql.query(
      `DELETE FROM "WebhookDelivery" WHERE id IN (
         SELECT id FROM "WebhookDelivery" WHERE "workspaceId" = $1 AND "receivedAt" < $2 LIMIT $3)`,
      [workspace.id, runCutoff, limit],
    ),
  );
  return { workspaceId: workspace.id, ...logs, ...runs, deliveries };
}

/** Deletes the logs of runs that ended before `cutoff`, a batch of runs at a time. */
async function purgeLogs(ctx: Context, workspaceId: string, cutoff: Date) {
  let logRuns = 0;
  let logChunks = 0;
  for (;;) {
    const { rows } = await crossTenantSql.query<{ id: string }>(
      `SELECT id FROM "DagRun"
       -- A run cleared and run again after its logs went has new logs: it ended after the purge.
       WHERE "workspaceId" = $1 AND "endedAt" < $2 AND ("logsPurgedAt" IS NULL OR "logsPurgedAt" < "endedAt")
       ORDER BY "endedAt" LIMIT $3`,
      [workspaceId, cutoff, ctx.batchSize],
    );
    if (rows.length === 0) break;
    const runIds = rows.map((r) => r.id);
    logChunks += await inBatches(ctx, (limit) =>
      crossTenantSql.query(
        `DELETE FROM "TaskLog" WHERE id IN (
           SELECT l.id FROM "DagRun" r
           JOIN "TaskInstance" t ON t."runId" = r.id
           JOIN "TaskAttempt" a ON a."taskInstanceId" = t.id
           JOIN "TaskLog" l ON l."attemptId" = a.id
           WHERE r.id = ANY($1::uuid[]) AND r."workspaceId" = $2 AND r."endedAt" < $3
           LIMIT $4)`,
        [runIds, workspaceId, cutoff, limit],
      ),
    );
    const marked = await crossTenantSql.query(
      `UPDATE "DagRun" SET "logsPurgedAt" = now()
       WHERE id = ANY($1::uuid[]) AND "workspaceId" = $2 AND "endedAt" < $3`,
      [runIds, workspaceId, cutoff],
    );
    ctx.statements++;
    logRuns += marked.rowCount ?? 0;
    // A run that started again meanwhile is not marked; stop rather than pick it up forever.
    if ((marked.rowCount ?? 0) === 0 || rows.length < ctx.batchSize) break;
  }
  return { logRuns, logChunks };
}

/** Deletes runs that ended before `cutoff`: their task instances in batches, then the runs. */
async function purgeRuns(ctx: Context, workspaceId: string, cutoff: Date) {
  let runs = 0;
  let taskInstances = 0;
  for (;;) {
    const { rows } = await crossTenantSql.query<{ id: string }>(
      `SELECT id FROM "DagRun" WHERE "workspaceId" = $1 AND "endedAt" < $2 ORDER BY "endedAt" LIMIT $3`,
      [workspaceId, cutoff, ctx.batchSize],
    );
    if (rows.length === 0) break;
    const runIds = rows.map((r) => r.id);
    // Deleting an instance cascades to its attempts (and to logs, already gone unless written
    // after the log pass).
    taskInstances += await inBatches(ctx, (limit) =>
      crossTenantSql.query(
        `DELETE FROM "TaskInstance" WHERE id IN (
           SELECT t.id FROM "DagRun" r JOIN "TaskInstance" t ON t."runId" = r.id
           WHERE r.id = ANY($1::uuid[]) AND r."workspaceId" = $2 AND r."endedAt" < $3
           LIMIT $4)`,
        [runIds, workspaceId, cutoff, limit],
      ),
    );
    const deleted = await crossTenantSql.query(
      `DELETE FROM "DagRun" WHERE id = ANY($1::uuid[]) AND "workspaceId" = $2 AND "endedAt" < $3`,
      [runIds, workspaceId, cutoff],
    );
    ctx.statements++;
    await sleep(ctx.pauseMs);
    runs += deleted.rowCount ?? 0;
    if ((deleted.rowCount ?? 0) === 0 || rows.length < ctx.batchSize) break;
  }
  return { runs, taskInstances };
}

/**
 * Runs `statement` (given the batch size as its LIMIT) until it changes fewer rows than that,
 * pausing after each; answers the rows changed.
 */
async function inBatches(
  ctx: Context,
  statement: (limit: number) => Promise<{ rowCount: number | null }>,
): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await statement(ctx.batchSize);
    const changed = rowCount ?? 0;
    total += changed;
    if (changed === 0) return total;
    ctx.statements++;
    await sleep(ctx.pauseMs);
    if (changed < ctx.batchSize) return total;
  }
}

/**
 * Bytes each workspace stores (log text, task outputs as JSON text, webhook delivery bodies),
 * written as today's UsageDay.storageBytes. One grouped pass over each table rather than one
 * per workspace (TaskLog has no workspace index, and needs none for anything else); reading takes
 * no locks, and the upsert afterwards is one short statement.
 */
/** Measures every workspace's storage, or only `workspaceId`'s. */
async function measureStorage(now: Date, workspaceId?: string): Promise<number> {
  const { rows } = await crossTenantSql.query<{ workspaceId: string; bytes: string }>(
    `SELECT w.id AS "workspaceId",
            (COALESCE(l.bytes, 0) + COALESCE(o.bytes, 0) + COALESCE(d.bytes, 0))::text AS bytes
     FROM "Workspace" w
     LEFT JOIN (SELECT "workspaceId", sum(octet_length(text)) AS bytes FROM "TaskLog" GROUP BY 1) l
       ON l."workspaceId" = w.id
     LEFT JOIN (SELECT "workspaceId", sum(octet_length(output::text)) AS bytes FROM "TaskInstance"
                WHERE output IS NOT NULL GROUP BY 1) o
       ON o."workspaceId" = w.id
     LEFT JOIN (SELECT "workspaceId", sum(octet_length(body)) AS bytes FROM "WebhookDelivery" GROUP BY 1) d
       ON d."workspaceId" = w.id
     WHERE $1::uuid IS NULL OR w.id = $1::uuid`,
    [workspaceId ?? null],
  );
  if (rows.length === 0) return 0;
  await crossTenantSql.query(
    `INSERT INTO "UsageDay" ("workspaceId", day, "storageBytes")
     SELECT x.w, $3::date, x.bytes FROM unnest($1::uuid[], $2::bigint[]) AS x(w, bytes)
     -- a workspace deleted meanwhile is skipped
     JOIN "Workspace" ON "Workspace".id = x.w
     ON CONFLICT ("workspaceId", day) DO UPDATE SET "storageBytes" = excluded."storageBytes"`,
    [rows.map((r) => r.workspaceId), rows.map((r) => r.bytes), now.toISOString().slice(0, 10)],
  );
  return rows.length;
}
