// Claiming: a scheduled task instance becomes running and its attempt opens, for one worker slot.
// Slots claim together (batch.ts): a worker whose slots pick up jobs at the same moment pays one
// statement for all of them. A completion that hands the next instance to its own slot claims it
// inside its transaction instead (complete.ts).
import { batched } from "./batch";
import { sql as pooled, type Sql } from "./sql";

export interface ClaimRequest {
  taskInstanceId: string;
  workspaceId: string;
  workerId: string;
}

export interface ClaimedAttempt {
  id: string;
  workspaceId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  mapItem: unknown;
  tryNumber: number;
  maxTries: number;
  pool: string;
  deferState: unknown;
  attemptId: string;
  dagId: string;
  dagVersionId: string;
  params: Record<string, unknown>;
  logicalDate: Date;
  dataIntervalStart: Date | null;
  dataIntervalEnd: Date | null;
  maxOutputBytes: number;
  maxLogBytesPerAttempt: number;
}

/**
 * Moves scheduled instances to running and opens their attempts, in one statement. An instance
 * that is no longer scheduled (cancelled, or a duplicate delivery of a job already handled) is
 * left alone: its answer is null.
 */
export async function claimMany(sql: Sql, requests: ClaimRequest[]): Promise<Array<ClaimedAttempt | null>> {
  if (requests.length === 0) return [];
  const { rows } = await sql.query<ClaimedAttempt>(
    `WITH x AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS x(id, workspace_id, worker_id)),
     ti AS (
       UPDATE "TaskInstance" t SET state = 'running',
         "tryNumber" = CASE WHEN t."deferState" IS NULL THEN t."tryNumber" + 1 ELSE t."tryNumber" END,
         "startedAt" = coalesce(t."startedAt", now())
       -- State compared as text: no index on state may serve this statement, the rows are found
       -- by id (a prepared plan picking by state scanned every scheduled instance; see sql.ts).
       FROM x WHERE t.id = x.id AND t."workspaceId" = x.workspace_id AND t.state::text = 'scheduled'
       RETURNING t.id, t."workspaceId", t."runId", t."taskId", t."mapIndex", t."mapItem", t."tryNumber",
                 t."maxTries", t.pool, t."deferState", x.worker_id),
     attempt AS (
       INSERT INTO "TaskAttempt" (id, "workspaceId", "taskInstanceId", number, state, "workerId")
       SELECT gen_random_uuid(), ti."workspaceId", ti.id, ti."tryNumber", 'running', ti.worker_id FROM ti
       ON CONFLICT ("taskInstanceId", number)
         DO UPDATE SET state = 'running', "heartbeatAt" = now(), "workerId" = EXCLUDED."workerId"
       RETURNING id, "taskInstanceId")
     SELECT ti.id, ti."workspaceId", ti."runId", ti."taskId", ti."mapIndex", ti."mapItem", ti."tryNumber",
            ti."maxTries", ti.pool, ti."deferState", attempt.id AS "attemptId", r."dagId", r."dagVersionId",
            r.params, r."logicalDate", r."dataIntervalStart", r."dataIntervalEnd", w."maxOutputBytes",
            w."maxLogBytesPerAttempt"
     FROM ti JOIN attempt ON attempt."taskInstanceId" = ti.id
     JOIN "DagRun" r ON r.id = ti."runId" JOIN "Workspace" w ON w.id = ti."workspaceId"`,
    [
      requests.map((r) => r.taskInstanceId),
      requests.map((r) => r.workspaceId),
      requests.map((r) => r.workerId),
    ],
  );
  // Two jobs of one instance in a batch (a stale one beside a new one) claim it once, for the first.
  const byId = new Map(rows.map((row) => [row.id, row]));
  return requests.map((r) => {
    const row = byId.get(r.taskInstanceId) ?? null;
    byId.delete(r.taskInstanceId);
    return row;
  });
}

/** Claims one instance for a slot that picked up its job, batched with the slots claiming with it. */
export const claim: (request: ClaimRequest) => Promise<ClaimedAttempt | null> = batched((requests) =>
  claimMany(pooled, requests),
);
