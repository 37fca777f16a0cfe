// Liveness and readiness, the same for the web (/api/health, /api/ready) and each worker (its
// health port). Alive: the process answers. Ready: the database answers within a second and has
// every migration this code knows applied (a process that would fail on its first query is not
// ready, and a load balancer or orchestrator should send it nothing yet).
import { pgPool } from "@/server/db/client";
import { pendingMigrations } from "@/server/db/migrate";

export interface Readiness {
  ready: boolean;
  checks: { database: string; migrations: string };
}

/** The process's uptime: Next.js loads this module at the first request, not at start. */
export function liveness() {
  return { status: "ok", uptimeSeconds: Math.round(process.uptime()) };
}

/** Once current, migrations stay current for this process's code: asked again only until then. */
let migrationsCurrent = false;

export async function readiness(timeoutMs = 1000): Promise<Readiness> {
  const checks = { database: "ok", migrations: migrationsCurrent ? "ok" : "unknown" };
  const connecting = pgPool().connect();
  const client = await within(connecting, timeoutMs).catch((error: Error) => {
    checks.database = `unreachable: ${error.message}`;
    // A connection that arrives after all goes back to the pool.
    connecting.then(
      (late) => late.release(),
      () => {},
    );
    return undefined;
  });
  if (client) {
    try {
      await within(client.query("SELECT 1"), timeoutMs);
      if (!migrationsCurrent) {
        const pending = await within(pendingMigrations(client), timeoutMs);
        migrationsCurrent = pending.length === 0;
        checks.migrations = migrationsCurrent ? "ok" : `pending: ${pending.join(", ")}`;
      }
    } catch (error) {
      checks.database = `unreachable: ${(error as Error).message}`;
    } finally {
      client.release(checks.database !== "ok");
    }
  }
  return { ready: checks.database === "ok" && checks.migrations === "ok", checks };
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
