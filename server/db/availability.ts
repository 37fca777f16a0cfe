// Whether an error means "the database is away" (restarting, unreachable, refusing connections)
// rather than "this statement is wrong": such errors are retried by the worker (a completion is
// kept until it can be written), answered 503 with Retry-After by the web, and make the reaper
// hold off until every worker had time to heartbeat again.

/** SQLSTATEs and socket codes of a database that is away or going away. */
const UNAVAILABLE_CODES = new Set([
  "57P01", // admin_shutdown (a restart)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down, recovering)
  "08000", // connection_exception
  "08001", // sqlclient_unable_to_establish_sqlconnection
  "08003", // connection_does_not_exist
  "08004", // sqlserver_rejected_establishment_of_sqlconnection
  "08006", // connection_failure
  "53300", // too_many_connections
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "P1001", // Prisma: can't reach the database server
  "P1002", // Prisma: the server timed out
  "P1017", // Prisma: the server closed the connection
]);

// "Unable to start a transaction in the given time" is Prisma's P2028 when no pooled connection came
// free in time (a saturated database, as node-postgres's "timeout exceeded when trying to connect"):
// nothing ran, so trying again later is right. Not its other P2028s (an expired transaction).
const UNAVAILABLE_MESSAGES =
  /Connection terminated|connection is closed|Client has encountered a connection error|timeout exceeded when trying to connect|Unable to start a transaction in the given time|Cannot use a pool after calling end|terminating connection due to administrator command|the database system is (starting up|shutting down|in recovery mode)/i;

/** Whether `error` (or any error it wraps) says the database is unavailable. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 8; depth++) {
    if (typeof e !== "object") return false;
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof message === "string" && UNAVAILABLE_MESSAGES.test(message)) return true;
    // Prisma's driver adapter keeps the original error on `cause.originalCode`/`cause.originalMessage`.
    const original = (e as { cause?: { originalCode?: unknown; originalMessage?: unknown } }).cause;
    if (typeof original?.originalCode === "string" && UNAVAILABLE_CODES.has(original.originalCode))
      return true;
    e = cause;
  }
  return false;
}

let lastTrouble = 0;

/** Records that this process could not reach the database just now. */
export function noteDatabaseTrouble(): void {
  lastTrouble = Date.now();
}

/** Milliseconds since this process last could not reach the database (Infinity: never). */
export function sinceDatabaseTrouble(): number {
  return lastTrouble === 0 ? Number.POSITIVE_INFINITY : Date.now() - lastTrouble;
}

/** Seconds a client should wait before trying again while the database is away. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * Runs `fn`, again and again (with backoff up to 5 s) while it fails because the database is away,
 * for up to `patienceMs`; `onWait` is called once, at the first such failure. For the worker's own
 * reads and writes around an attempt: a database restart must not become the task's failure, nor
 * run its effect twice.
 */
export async function untilDatabaseAnswers<T>(
  fn: () => Promise<T>,
  options: { patienceMs?: number; onWait?: (error: unknown) => void } = {},
): Promise<T> {
  const started = Date.now();
  let waited = false;
  for (let wait = 250; ; wait = Math.min(wait * 2, 5_000)) {
    try {
      return await fn();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() - started > (options.patienceMs ?? 10 * 60_000))
        throw error;
      noteDatabaseTrouble();
      if (!waited) options.onWait?.(error);
      waited = true;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
