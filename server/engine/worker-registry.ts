// The attempts this worker process is running, so heartbeats can prove they are alive and
// cancellations reach them. Heartbeats are one UPDATE per interval for all of them together.

import { env } from "@/server/config";
import { isDatabaseUnavailable, noteDatabaseTrouble } from "@/server/db/availability";
import { log } from "@/server/observability/logger";
import { sql } from "./sql";

const active = new Map<string, AbortController>();

// This process's graphile-worker slots: how many, how many hold a job, and whether it is stopping.
// A finishing attempt runs its successor in its own slot (a hand-off, dispatch.ts) only while
// another slot is idle: an idle slot means the job queue had nothing for this worker, so the
// successor skips no other workspace's job; when every slot is busy, jobs keep their turns.
let slots = 0;
let busySlots = 0;
let stopping = false;

export function setWorkerSlots(count: number): void {
  slots = count;
  stopping = false;
}

/** Wraps a job handler so that the slots it holds are counted. */
export function countingSlot<A extends unknown[], R>(handler: (...args: A) => R) {
  return async (...args: A): Promise<Awaited<R>> => {
    busySlots++;
    try {
      return await handler(...args);
    } finally {
      busySlots--;
    }
  };
}

export function mayHandOff(): boolean {
  return !stopping && busySlots < slots;
}

/** Whether a slot may go on to another task after this one (not while the worker stops). */
export function mayContinue(): boolean {
  return !stopping;
}

/** Attempts running in this process, per run. */
const activeRuns = new Map<string, number>();

export function track(attemptId: string, runId: string, controller: AbortController): void {
  active.set(attemptId, controller);
  activeRuns.set(runId, (activeRuns.get(runId) ?? 0) + 1);
}

export function untrack(attemptId: string, runId: string): void {
  active.delete(attemptId);
  const left = (activeRuns.get(runId) ?? 1) - 1;
  if (left > 0) activeRuns.set(runId, left);
  else activeRuns.delete(runId);
}

/** Whether an attempt of the run is running in this process (so the run has not ended). */
export function runsHere(runId: string): boolean {
  return activeRuns.has(runId);
}

/** Seconds without a heartbeat after which an attempt counts as lost (its worker died). */
export const LOST_AFTER_SECONDS = env.BATON_LOST_ATTEMPT_SECONDS;

/**
 * Every `intervalMs`, marks this process's attempts alive. An attempt that is no longer
 * `running` in the database was cancelled (or given up as lost): abort it here too.
 */
export function startHeartbeats(intervalMs = 2_000): () => void {
  const timer = setInterval(async () => {
    if (active.size === 0 && completing.size === 0) return;
    const ids = [...active.keys(), ...completing];
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
      if (isDatabaseUnavailable(error)) noteDatabaseTrouble();
      log.warn({ err: error }, "heartbeat failed");
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The worker stops taking work: no hand-offs, no next task in a finishing call. */
export function stopTakingWork(): void {
  stopping = true;
}

/** Whether attempts are running in this process. */
export function attemptsRunning(): number {
  return active.size;
}

/**
 * Attempts that ended here but whose outcome could not be written yet (the database is away):
 * they keep heartbeating while the completion is retried, so that no reaper takes them for lost
 * and runs their task a second time.
 */
const completing = new Set<string>();

export function keepAliveUntilCompleted(attemptId: string): () => void {
  completing.add(attemptId);
  return () => completing.delete(attemptId);
}

/** Aborts everything still running (worker shutdown); the attempts end as failures and retry. */
export function abortAll(reason: string): void {
  stopping = true;
  for (const controller of active.values()) controller.abort(new Error(reason));
}
