// Claiming: a scheduled task instance becomes running and its attempt opens, for one worker slot.
// Slots claim together (batch.ts): a worker whose slots pick up jobs at the same moment pays one
// statement for all of them. A completion that hands the next instance to its own slot claims it
// inside its transaction instead, and a slot finishing in one call takes its next task in that
// call (complete.ts).
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
  /** The graphile-worker slot that claimed it. */
  workerId: string;
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
 * Moves scheduled instances to running and opens their attempts, in one statement (the database
 * function baton_claim, migration 20261122063000_engine_hot_path). An instance that is no longer
 * scheduled (cancelled, or a duplicate delivery of a job already handled) is left alone: its
 * answer is null.
 */
export async function claimMany(sql: Sql, requests: ClaimRequest[]): Promise<Array<ClaimedAttempt | null>> {
  if (requests.length === 0) return [];
  const { rows } = await sql.query<ClaimedAttempt>("SELECT * FROM baton_claim($1, $2, $3)", [
    requests.map((r) => r.taskInstanceId),
    requests.map((r) => r.workspaceId),
    requests.map((r) => r.workerId),
  ]);
  // Two jobs of one instance in a batch (a stale one beside a new one) claim it once, for the first.
  const byId = new Map(rows.map((row) => [row.id, row]));
  return requests.map((r) => {
    const row = byId.get(r.taskInstanceId) ?? null;
    byId.delete(r.taskInstanceId);
    return row;
  });
}

/** A claimed attempt as JSON (baton_finish_attempts answers it so): timestamps come as text, in UTC. */
export function claimedFromJson(row: Record<string, unknown>): ClaimedAttempt {
  const date = (text: unknown) => (typeof text === "string" ? new Date(`${text}Z`) : null);
  return {
    ...(row as unknown as ClaimedAttempt),
    logicalDate: date(row.logicalDate)!,
    dataIntervalStart: date(row.dataIntervalStart),
    dataIntervalEnd: date(row.dataIntervalEnd),
  };
}

/** Claims one instance for a slot that picked up its job, batched with the slots claiming with it. */
export const claim: (request: ClaimRequest) => Promise<ClaimedAttempt | null> = batched((requests) =>
  claimMany(pooled, requests),
);
