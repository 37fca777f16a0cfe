// The worker registry: every worker process registers itself in the database (a Worker row: the
// worker pools it serves, its slots, the id graphile-worker locks its jobs with) and keeps its heartbeat fresh
// while it lives. Admission counts a pool's live slots from here (fair-share.ts), and the reaper
// retries the attempts of workers whose heartbeat stopped (reaper.ts). One heartbeat per process,
// a single-row write from a thread and a connection of its own (heartbeat-thread.ts), so it waits
// neither for a busy event loop nor for the engine's pool, and writes no row per running attempt;
// each late heartbeat is measured and reported (lagMs), and the reaper gives a worker that much
// longer.
//
// Also here: the attempts this process is running, so that cancellations reach them.
import { hostname } from "node:os";
import { Worker } from "node:worker_threads";
import type pg from "pg";
import { env } from "@/server/config";
import { isDatabaseUnavailable, noteDatabaseTrouble } from "@/server/db/availability";
import { log } from "@/server/observability/logger";
import type { HeartbeatData } from "./heartbeat-thread";
import { sql } from "./sql";

interface Registration {
  id: string;
  pools: string[];
  slots: number;
  lockIds: string[];
}

/** This process's worker, while it runs one. */
let self: Registration | undefined;
let stopping = false;

/** The worker pools this process's worker serves (none in a process without a worker). */
export function servedPools(): string[] {
  return self?.pools ?? [];
}

/** Seconds without a heartbeat after which a worker counts as gone (its attempts as lost). */
export const lostAfterSeconds = () => env.BATON_LOST_ATTEMPT_SECONDS;

/** Heartbeats come this often: several within the grace, at most every 2 s. */
export const heartbeatEveryMs = () => Math.min(2_000, (lostAfterSeconds() * 1000) / 5);

/**
 * Registers this process's worker: its row counts its slots into its pools' capacity at once.
 * The ids graphile-worker locks its jobs with (known once its runner started) follow with
 * `setLockIds`.
 */
export async function registerWorker(options: { id: string; pools: string[]; slots: number }): Promise<void> {
  self = { ...options, lockIds: [] };
  stopping = false;
  await sql.query(
    `INSERT INTO "Worker" (id, name, pools, slots, "lockIds") VALUES ($1, $2, $3, $4, '{}')
     ON CONFLICT (id) DO UPDATE SET pools = EXCLUDED.pools, slots = EXCLUDED.slots, "heartbeatAt" = now()`,
    [options.id, `${hostname()}:${process.pid}`, options.pools, options.slots],
  );
}

/**
 * A stopping worker takes no more work: its slots stop counting into its pools' capacity at once
 * (its heartbeat goes on while its running attempts finish).
 */
export async function retireWorker(): Promise<void> {
  stopping = true;
  if (self) await sql.query(`UPDATE "Worker" SET slots = 0 WHERE id = $1`, [self.id]);
}

export async function setLockIds(lockIds: string[]): Promise<void> {
  if (!self) return;
  self.lockIds = lockIds;
  await sql.query(`UPDATE "Worker" SET "lockIds" = $2 WHERE id = $1`, [self.id, lockIds]);
}

/** A worker stopping cleanly takes its slots out of its pools' capacity at once. */
export async function unregisterWorker(): Promise<void> {
  if (!self) return;
  const { id } = self;
  self = undefined;
  await sql.query(`DELETE FROM "Worker" WHERE id = $1`, [id]);
}

/** A main thread silent this long is hung, not busy: its heartbeats stop, its attempts are retried. */
const MAX_MAIN_STALL_MS = 120_000;

/**
 * The heartbeat of this process's worker, on a thread of its own (heartbeat-thread.ts):
 * `heartbeatAt` every heartbeatEveryMs() on a connection of its own, with how late the heartbeats
 * came lately, for as long as this (main) thread keeps ticking. `connection`: where to, as
 * node-postgres takes it. Returns the function that stops it.
 */
export function startHeartbeat(connection: pg.ClientConfig): () => void {
  if (!self) throw new Error("register the worker before starting its heartbeat");
  const mainSeen = new BigInt64Array(new SharedArrayBuffer(8));
  const tick = () => Atomics.store(mainSeen, 0, BigInt(Date.now()));
  tick();
  const ticker = setInterval(tick, 250);
  ticker.unref();
  const data: HeartbeatData = {
    connection: { ...connection },
    workerId: self.id,
    everyMs: heartbeatEveryMs(),
    mainSeen,
    maxStallMs: MAX_MAIN_STALL_MS,
  };
  const thread = new Worker(new URL("./heartbeat-thread.ts", import.meta.url), { workerData: data });
  thread.unref();
  thread.on("message", (message: { failed?: { message: string; code?: string }; stalled?: number }) => {
    if (!message.failed) return;
    // After this process lost the database, the reaper holds off (runner.ts).
    if (isDatabaseUnavailable(message.failed)) noteDatabaseTrouble();
    log.warn({ reason: message.failed.message }, "heartbeat failed");
  });
  thread.on("error", (error) => log.warn({ err: error }, "the heartbeat thread stopped"));
  return () => {
    clearInterval(ticker);
    thread.postMessage({ stop: true });
    // It ends its connection and exits; should it not within a second, it is stopped.
    setTimeout(() => void thread.terminate(), 1_000).unref();
  };
}

const active = new Map<string, AbortController>();

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

/** Whether a slot may go on to another task after this one (not while the worker stops). */
export function mayContinue(): boolean {
  return !stopping;
}

/** Whether attempts are running in this process. */
export function attemptsRunning(): number {
  return active.size;
}

/**
 * Every `intervalMs`, aborts this process's attempts that are no longer `running` in the
 * database: cancelled (or given up as lost). A read, on the engine's pool.
 */
export function startCancellationChecks(intervalMs = 2_000): () => void {
  const timer = setInterval(async () => {
    if (active.size === 0) return;
    const ids = [...active.keys()];
    try {
      const { rows } = await sql.query<{ id: string }>(
        `SELECT id FROM "TaskAttempt" WHERE id = ANY($1::uuid[]) AND state <> 'running'`,
        [ids],
      );
      for (const { id } of rows) active.get(id)?.abort(new Error("The task was cancelled"));
    } catch (error) {
      if (isDatabaseUnavailable(error)) noteDatabaseTrouble();
      log.warn({ err: error }, "could not look for cancelled attempts");
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Aborts everything still running (worker shutdown); the attempts end as failures and retry. */
export function abortAll(reason: string): void {
  stopping = true;
  for (const controller of active.values()) controller.abort(new Error(reason));
}
