// Webhook limits. Counters live in PostgreSQL (rate-limiter-flexible's store, table `rate_limits`),
// so every web process shares them.
//
//  - deliveries: per workspace, `Workspace.webhookRateLimitPerMinute` authenticated deliveries a
//    minute across all its endpoints; beyond that 429 with Retry-After. Under high limits a
//    process takes the workspace's points from the shared counter in leases of 0.1% of the limit
//    (up to 100) and spends them without a round trip, taking the next lease when half is spent,
//    so a burst does not queue every delivery on the counter's row; the last points of a minute
//    may go unspent (at most two leases per process), and the usage page counts leased points.
//    Limits under 2,000 a minute take points one at a time, exactly;
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

/** Points a lease takes at a time: 0.1% of the limit, up to 100; 1 (exact) under 2,000 a minute. */
const leasePoints = (perMinute: number) => Math.min(100, Math.max(1, Math.floor(perMinute / 1000)));

async function refill(workspaceId: string, lease: Lease): Promise<Taken> {
  const points = leasePoints(lease.perMinute);
  try {
    const taken = await limiterFor(lease.perMinute).consume(workspaceId, points);
    const now = Date.now();
    const until = now + taken.msBeforeNext;
    // Points left of the same window add up; a new window's lease replaces the last one's.
    const sameWindow = now < lease.until && until <= lease.until + 1_000;
    lease.left = (sameWindow ? lease.left : 0) + points;
    lease.until = until;
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
      // Half spent: the next lease is taken now, so that no delivery waits for it (a busy
      // workspace's deliveries would otherwise queue behind every refill's round trip). Only for
      // leases of several points: a limit taken one point at a time stays exact.
      if (lease.left * 2 < leasePoints(perMinute) && perMinute >= 2_000) void startRefill(workspaceId, lease);
      return { ok: true };
    }
    const taken = await startRefill(workspaceId, lease);
    if (!taken.ok) return taken;
  }
}

/** The lease's refill in flight, or a new one. */
function startRefill(workspaceId: string, lease: Lease): Promise<Taken> {
  lease.refilling ??= refill(workspaceId, lease).finally(() => {
    lease.refilling = undefined;
  });
  return lease.refilling;
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
