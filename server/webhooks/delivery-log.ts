// The delivery log's statements on the delivery hot path, as plain SQL over node-postgres (like
// the engine's: Prisma's per-query latency would be most of a delivery). Every statement runs
// inside the workspace it writes in (workspaceSql, under row-level security) and names it too.
import { randomUUID } from "node:crypto";
import { workspaceSql } from "@/server/tenancy/workspace-sql";

/** What the log keeps of a request. */
export interface LoggedRequest {
  headers: Record<string, string>;
  body: string;
  bodyBytes: number;
  bodyTruncated: boolean;
}

export interface Outcome {
  statusCode: number;
  result: string;
  message?: string | undefined;
  runId?: string | null | undefined;
  replayOf?: string | null | undefined;
}

const columns = `(id, "workspaceId", "endpointId", "receivedAt", headers, body, "bodyBytes", "bodyTruncated",
   "statusCode", result, message, "runId", "replayOf", "idempotencyKey")`;
const values = "($1, $2, $3, now(), $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

function params(
  workspaceId: string,
  endpointId: string,
  id: string,
  logged: LoggedRequest,
  outcome: Outcome,
  key: string | null,
) {
  return [
    id,
    workspaceId,
    endpointId,
    JSON.stringify(logged.headers),
    logged.body,
    logged.bodyBytes,
    logged.bodyTruncated,
    outcome.statusCode,
    outcome.result,
    outcome.message ?? "",
    outcome.runId ?? null,
    outcome.replayOf ?? null,
    key,
  ];
}

/** Writes one delivery (without an idempotency key). */
export async function insertDelivery(
  workspaceId: string,
  endpointId: string,
  logged: LoggedRequest,
  outcome: Outcome & { id?: string | undefined },
): Promise<string> {
  const id = outcome.id ?? randomUUID();
  await workspaceSql(workspaceId).query(
    `INSERT INTO "WebhookDelivery" ${columns} VALUES ${values}`,
    params(workspaceId, endpointId, id, logged, outcome, null),
  );
  return id;
}

/** Writes a delivery holding `key`; false when another delivery of the endpoint holds it. */
export async function insertHoldingKey(
  workspaceId: string,
  endpointId: string,
  id: string,
  key: string,
  logged: LoggedRequest,
  outcome: Outcome,
): Promise<boolean> {
  const { rowCount } = await workspaceSql(workspaceId).query(
    `INSERT INTO "WebhookDelivery" ${columns} VALUES ${values} ON CONFLICT ("endpointId", "idempotencyKey") DO NOTHING`,
    params(workspaceId, endpointId, id, logged, outcome, key),
  );
  return rowCount === 1;
}

export interface KeyHolder {
  id: string;
  runId: string | null;
  /** Received more than `ttlSeconds` ago. */
  expired: boolean;
  /** Received more than `staleSeconds` ago. */
  stale: boolean;
}

/** The delivery holding `key`, if any; ages measured by the database's clock. */
export async function keyHolder(
  workspaceId: string,
  endpointId: string,
  key: string,
  ttlSeconds: number,
  staleSeconds: number,
): Promise<KeyHolder | undefined> {
  const { rows } = await workspaceSql(workspaceId).query<KeyHolder>(
    `SELECT id, "runId",
            "receivedAt" < now() - make_interval(secs => $4) AS expired,
            "receivedAt" < now() - make_interval(secs => $5) AS stale
     FROM "WebhookDelivery" WHERE "workspaceId" = $1 AND "endpointId" = $2 AND "idempotencyKey" = $3`,
    [workspaceId, endpointId, key, ttlSeconds, staleSeconds],
  );
  return rows[0];
}

/** Frees a key (an expired holder, or one that died before creating its run). */
export async function releaseKey(workspaceId: string, id: string, key: string, onlyWithoutRun: boolean) {
  await workspaceSql(workspaceId).query(
    `UPDATE "WebhookDelivery" SET "idempotencyKey" = NULL
     WHERE "workspaceId" = $1 AND id = $2 AND "idempotencyKey" = $3 AND ($4::boolean IS FALSE OR "runId" IS NULL)`,
    [workspaceId, id, key, onlyWithoutRun],
  );
}

/** Records what became of a delivery; `releaseKey` frees the key it held (it failed). */
export async function settleDelivery(
  workspaceId: string,
  id: string,
  outcome: Partial<Outcome> & { releaseKey?: boolean },
): Promise<void> {
  await workspaceSql(workspaceId).query(
    `UPDATE "WebhookDelivery" SET
       "statusCode" = coalesce($3, "statusCode"), result = coalesce($4, result), message = coalesce($5, message),
       "runId" = coalesce($6, "runId"), "replayOf" = coalesce($7, "replayOf"),
       "idempotencyKey" = CASE WHEN $8::boolean THEN NULL ELSE "idempotencyKey" END
     WHERE "workspaceId" = $1 AND id = $2`,
    [
      workspaceId,
      id,
      outcome.statusCode ?? null,
      outcome.result ?? null,
      outcome.message ?? null,
      outcome.runId ?? null,
      outcome.replayOf ?? null,
      outcome.releaseKey ?? false,
    ],
  );
}
