// The attempts this worker process is running, so heartbeats can prove they are alive and
// cancellations reach them. Heartbeats are one UPDATE per interval for all of them together.
import { sql } from "./sql";

const active = new Map<string, AbortController>();

export function track(attemptId: string, controller: AbortController): void {
  active.set(attemptId, controller);
}

export function untrack(attemptId: string): void {
  active.delete(attemptId);
}

/** Seconds without a heartbeat after which an attempt counts as lost (its worker died). */
export const LOST_AFTER_SECONDS = Number(process.env.BATON_LOST_ATTEMPT_SECONDS ?? 30);

/**
 * Every `intervalMs`, marks this process's attempts alive. An attempt that is no longer
 * `running` in the database was cancelled (or given up as lost): abort it here too.
 */
export function startHeartbeats(intervalMs = 2_000): () => void {
  const timer = setInterval(async () => {
    if (active.size === 0) return;
    const ids = [...active.keys()];
    try {
      const { rows } = await sql.query<{ id: string }>(
        `UPDATE "TaskAttempt" SET "heartbeatAt" = now() WHERE id = ANY($1::uuid[]) AND state = 'running' RETURNING id`,
        [ids],
      );
      const alive = new Set(rows.map((r) => r.id));
      for (const id of ids) {
        if (!alive.has(id)) active.get(id)?.abort(new Error("The task was cancelled"));
      }
    } catch (error) {
      console.warn(`heartbeat failed: ${(error as Error).message}`);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Aborts everything still running (worker shutdown); the attempts end as failures and retry. */
export function abortAll(reason: string): void {
  for (const controller of active.values()) controller.abort(new Error(reason));
}
