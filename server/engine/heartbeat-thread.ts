// A worker process's heartbeat, on a thread of its own (started by worker-registry.ts): every
// `everyMs` it marks the process's Worker row alive, on a database connection of its own. Neither
// a busy event loop on the main thread (a large output being parsed, ten sandboxes' results
// arriving at once) nor a connection pool drained by the engine's statements delays it, so a
// healthy worker's attempts are not taken for lost under load.
//
// It vouches for the main thread, though: the main thread ticks `mainSeen` several times a second,
// and a main thread silent for `maxStallMs` (hung, not merely busy) gets no more heartbeats, so its
// attempts are retried elsewhere. Each heartbeat's lateness (the timer's delay plus the write's
// time) is measured; the worst of the last minute goes with it (`lagMs`), and the reaper gives the
// worker that much longer.
//
// Loaded by Node itself (type stripping), not through the app's module aliases: it imports only
// packages.
import { parentPort, workerData } from "node:worker_threads";
import pg from "pg";

export interface HeartbeatData {
  connection: pg.ClientConfig;
  workerId: string;
  everyMs: number;
  /** Date.now() of the main thread's last tick. */
  mainSeen: BigInt64Array;
  maxStallMs: number;
}

const { connection, workerId, everyMs, mainSeen, maxStallMs } = workerData as HeartbeatData;
let client: pg.Client | undefined;
let lateness: number[] = [];
let stopped = false;
let timer: NodeJS.Timeout | undefined;

async function beat(due: number): Promise<void> {
  const silentMs = Date.now() - Number(Atomics.load(mainSeen, 0));
  if (silentMs > maxStallMs) {
    parentPort?.postMessage({ stalled: silentMs });
    return;
  }
  try {
    if (!client) {
      const fresh = new pg.Client({ ...connection, application_name: "baton heartbeat" });
      fresh.on("error", () => {});
      await fresh.connect();
      client = fresh;
    }
    await client.query(`UPDATE "Worker" SET "heartbeatAt" = now(), "lagMs" = $2 WHERE id = $1`, [
      workerId,
      Math.round(Math.max(0, ...lateness)),
    ]);
    lateness.push(Date.now() - due);
    lateness = lateness.slice(-Math.ceil(60_000 / everyMs));
  } catch (error) {
    // What the main thread needs to tell a database that is away from a statement that failed.
    const { message, code } = error as { message: string; code?: string };
    parentPort?.postMessage({ failed: { message, code } });
    await client?.end().catch(() => {});
    client = undefined;
  }
}

function schedule(): void {
  const due = Date.now() + everyMs;
  timer = setTimeout(async () => {
    await beat(due);
    if (!stopped) schedule();
  }, everyMs);
}

parentPort?.on("message", async (message: { stop?: boolean }) => {
  if (!message.stop) return;
  stopped = true;
  clearTimeout(timer);
  await client?.end().catch(() => {});
  parentPort?.close();
});

schedule();
