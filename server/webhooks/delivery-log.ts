// The delivery log's statements on the delivery hot path, as plain SQL over node-postgres (like
// the engine's: Prisma's per-query latency would be most of a delivery). Every statement runs
// inside the workspace it writes in (workspaceSql, under row-level security) and names it too.
import { randomUUID } from "node:crypto";
import { storableText } from "@/server/engine/storable";
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
   "statusCode", result, message, "runId", "replayOf", "idempotencyKey", params)`;
const values = "($1, $2, $3, now(), $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

/**
 * The INSERT of a delivery's log row (ON CONFLICT and the like left to the caller) and its
 * parameters; `runParams` only for a pending delivery (the engine's intake, engine/webhook-runs.ts).
 */
export function deliveryInsert(
  workspaceId: string,
  endpointId: string,
  id: string,
  logged: LoggedRequest,
  outcome: Outcome,
  key: string | null,
  runParams: Record<string, unknown> | null = null,
) {
  return {
    text: `INSERT INTO "WebhookDelivery" ${columns} VALUES ${values}`,
    values: [
      id,
      workspaceId,
      endpointId,
      JSON.stringify(logged.headers),
      // Stored safely whatever was sent or said: NUL and lone surrogates as their escapes.
      storableText(logged.body),
      logged.bodyBytes,
      logged.bodyTruncated,
      outcome.statusCode,
      outcome.result,
      storableText(outcome.message ?? ""),
      outcome.runId ?? null,
      outcome.replayOf ?? null,
      key,
      runParams && JSON.stringify(runParams),
    ],
  };
}

/** Writes one delivery (without an idempotency key). */
export async function insertDelivery(
  workspaceId: string,
  endpointId: string,
  logged: LoggedRequest,
  outcome: Outcome & { id?: string | undefined },
): Promise<string> {
  const id = outcome.id ?? randomUUID();
  const insert = deliveryInsert(workspaceId, endpointId, id, logged, outcome, null);
  await workspaceSql(workspaceId).query(insert.text, insert.values);
  return id;
}

export interface KeyHolder {
  id: string;
  /** The run it started, or will: a holder always names one. */
  runId: string;
  /** Received more than `ttlSeconds` ago. */
  expired: boolean;
}

/** The delivery holding `key`, if any; its age measured by the database's clock. */
export async function keyHolder(
  workspaceId: string,
  endpointId: string,
  key: string,
  ttlSeconds: number,
): Promise<KeyHolder | undefined> {
  const { rows } = await workspaceSql(workspaceId).query<KeyHolder>(
    `SELECT id, "runId", "receivedAt" < now() - make_interval(secs => $4) AS expired
     FROM "WebhookDelivery" WHERE "workspaceId" = $1 AND "endpointId" = $2 AND "idempotencyKey" = $3`,
    [workspaceId, endpointId, key, ttlSeconds],
  );
  return rows[0];
}

/** Frees an expired holder's key. */
export async function releaseKey(workspaceId: string, id: string, key: string) {
  await workspaceSql(workspaceId).query(
    `UPDATE "WebhookDelivery" SET "idempotencyKey" = NULL WHERE "workspaceId" = $1 AND id = $2 AND "idempotencyKey" = $3`,
    [workspaceId, id, key],
  );
}

export interface DeliveryProgress {
  result: string;
  statusCode: number;
  message: string;
  /** Its run's state, once the run exists. */
  runState: "queued" | "running" | "success" | "failed" | "cancelled" | null;
}

/** Where a delivery stands: still pending, refused when its run was to be created, or its run's state. */
export async function deliveryProgress(
  workspaceId: string,
  id: string,
): Promise<DeliveryProgress | undefined> {
  const { rows } = await workspaceSql(workspaceId).query<DeliveryProgress>(
    `SELECT d.result, d."statusCode", d.message, r.state AS "runState"
     FROM "WebhookDelivery" d LEFT JOIN "DagRun" r ON r.id = d."runId"
     WHERE d."workspaceId" = $1 AND d.id = $2`,
    [workspaceId, id],
  );
  return rows[0];
}

/** Records what became of a delivery (a sync one's run ended); `releaseKey` frees the key it held. */
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
      outcome.message === undefined ? null : storableText(outcome.message),
      outcome.runId ?? null,
      outcome.replayOf ?? null,
      outcome.releaseKey ?? false,
    ],
  );
}

/** The outputs of a run's successful tasks (not mapped children), by task id. */
export async function runOutputs(workspaceId: string, runId: string) {
  const { rows } = await workspaceSql(workspaceId).query<{ taskId: string; output: unknown }>(
    `SELECT "taskId", output FROM "TaskInstance"
     WHERE "workspaceId" = $1 AND "runId" = $2 AND "mapIndex" = -1 AND state = 'success'`,
    [workspaceId, runId],
  );
  return rows;
}
