// Sign-in brute-force protection: failed attempts are counted per account and per IP in
// PostgreSQL (rate-limiter-flexible's store, table `rate_limits`), so every web process shares
// the counters. A success clears the account's counter.
import { RateLimiterPostgres, type RateLimiterRes } from "rate-limiter-flexible";
import { env } from "@/server/config";
import { pgPool } from "@/server/db/client";
import { AppError } from "@/server/errors";

const limits = {
  /** Failed sign-ins allowed per account before it is locked for a while. */
  account: { points: env.BATON_SIGNIN_ACCOUNT_LIMIT, duration: 15 * 60 },
  /** Failed sign-ins allowed per IP address (many accounts from one place). */
  ip: { points: env.BATON_SIGNIN_IP_LIMIT, duration: 15 * 60 },
};

let limiters: { pool: unknown; account: RateLimiterPostgres; ip: RateLimiterPostgres } | undefined;
function get() {
  const pool = pgPool();
  // Rebuilt when the pool is (after closeDb()), so a limiter never holds an ended pool.
  if (limiters?.pool !== pool) {
    const common = { storeClient: pool, storeType: "pool", tableName: "rate_limits", tableCreated: true };
    limiters = {
      pool,
      account: new RateLimiterPostgres({ ...common, keyPrefix: "signin:account", ...limits.account }),
      ip: new RateLimiterPostgres({ ...common, keyPrefix: "signin:ip", ...limits.ip }),
    };
  }
  return limiters;
}

/** Throws TOO_MANY_REQUESTS while either counter is exhausted. */
export async function assertSignInAllowed(email: string, ip: string): Promise<void> {
  const { account, ip: byIp } = get();
  const [a, b] = await Promise.all([account.get(email), byIp.get(ip)]);
  const blocked = [
    a && a.consumedPoints >= limits.account.points ? a : null,
    b && b.consumedPoints >= limits.ip.points ? b : null,
  ].filter((r): r is RateLimiterRes => r !== null);
  if (blocked.length > 0) {
    const seconds = Math.ceil(Math.max(...blocked.map((r) => r.msBeforeNext)) / 1000);
    throw new AppError(
      "TOO_MANY_REQUESTS",
      `Too many failed sign-ins. Try again in ${Math.ceil(seconds / 60)} minutes.`,
    );
  }
}

export async function recordFailedSignIn(email: string, ip: string): Promise<void> {
  const { account, ip: byIp } = get();
  // consume() rejects once a counter is exhausted; that is the point, so swallow it here.
  await Promise.allSettled([account.consume(email), byIp.consume(ip)]);
}

export async function recordSuccessfulSignIn(email: string): Promise<void> {
  await get().account.delete(email);
}
