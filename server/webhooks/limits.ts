// Webhook limits. Counters live in PostgreSQL (rate-limiter-flexible's store, table `rate_limits`),
// so every web process shares them.
//
//  - deliveries: per workspace, `Workspace.webhookRateLimitPerMinute` authenticated deliveries a
//    minute across all its endpoints; beyond that 429 with Retry-After. Under high limits a
//    process takes the workspace's points from the shared counter in leases of 0.1% of the limit
//    (up to 100) and spends them without a round trip, so a burst does not queue every delivery
//    on the counter's row; the last points of a minute may go unspent (at most a lease per
//    process), and the usage page counts leased points. Limits under 2,000 a minute take points
//    one at a time, exactly;
//  - unverified: per endpoint, how many failed deliveries (bad signature, too large, disabled) a
//    minute are written to the delivery log, so that junk sent to a public URL cannot flood it.
//    The sender still gets its 401/413 either way.
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { env } from "@/server/config";
import { pgPool } from "@/server/db/client";

/** Body size limit of a delivery (413 beyond). */
export const maxBodyBytes = () => env.BATON_WEBHOOK_MAX_BODY_BYTES;
/** Bytes of a body kept in the delivery log. */
export const loggedBodyBytes = () => env.BATON_WEBHOOK_LOG_BODY_BYTES;
const UNVERIFIED_LOGGED_PER_MINUTE = 30;

let state:
  | { pool: unknown; byPoints: Map<number, RateLimiterPostgres>; unverified: RateLimiterPostgres }
  | undefined;

function limiters() {
  const pool = pgPool();
  // Rebuilt with the pool (after closeDb()), so a limiter never holds an ended pool.
  if (state?.pool !== pool) {
    state = {
      pool,
      byPoints: new Map(),
      unverified: new RateLimiterPostgres({
        ...common(pool),
        keyPrefix: "webhook:unverified",
        points: UNVERIFIED_LOGGED_PER_MINUTE,
        duration: 60,
      }),
    };
  }
  return state;
}

const common = (pool: unknown) => ({
  storeClient: pool,
  storeType: "pool",
  tableName: "rate_limits",
  tableCreated: true,
});

type Taken = { ok: true } | { ok: false; retryAfter: number };

/** Points a process took ahead for a workspace, spent until `until` (the counter's window end). */
interface Lease {
  perMinute: number;
  left: number;
  until: number;
  /** The refill in flight, which every caller finding the lease empty waits for. */
  refilling?: Promise<Taken> | undefined;
}
const leases = new Map<string, Lease>();

function limiterFor(perMinute: number): RateLimiterPostgres {
  const all = limiters();
  let limiter = all.byPoints.get(perMinute);
  if (!limiter) {
    // One counter per workspace whatever its limit; the limiter only decides how many points it holds.
    limiter = new RateLimiterPostgres({
      ...common(all.pool),
      keyPrefix: "webhook",
      points: perMinute,
      duration: 60,
    });
    all.byPoints.set(perMinute, limiter);
  }
  return limiter;
}

async function refill(workspaceId: string, lease: Lease): Promise<Taken> {
  const points = Math.min(100, Math.max(1, Math.floor(lease.perMinute / 1000)));
  try {
    const taken = await limiterFor(lease.perMinute).consume(workspaceId, points);
    lease.left = points;
    lease.until = Date.now() + taken.msBeforeNext;
    return { ok: true };
  } catch (error) {
    if (error instanceof RateLimiterRes)
      return { ok: false, retryAfter: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
    throw error;
  }
}

/** Takes one delivery from the workspace's budget; `retryAfter` (seconds) when there is none left. */
export async function takeDelivery(workspaceId: string, perMinute: number): Promise<Taken> {
  for (;;) {
    let lease = leases.get(workspaceId);
    if (lease?.perMinute !== perMinute) {
      if (leases.size >= 10_000) leases.clear();
      lease = { perMinute, left: 0, until: 0 };
      leases.set(workspaceId, lease);
    }
    if (lease.left > 0 && Date.now() < lease.until) {
      lease.left--;
      return { ok: true };
    }
    const current = lease;
    current.refilling ??= refill(workspaceId, current).finally(() => {
      current.refilling = undefined;
    });
    const taken = await current.refilling;
    if (!taken.ok) return taken;
  }
}

/** Whether one more failed delivery of this endpoint may be written to its log this minute. */
export async function mayLogUnverified(endpointId: string): Promise<boolean> {
  try {
    await limiters().unverified.consume(endpointId);
    return true;
  } catch (error) {
    if (error instanceof RateLimiterRes) return false;
    throw error;
  }
}
