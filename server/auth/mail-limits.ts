// How often the public account forms may send mail: per address (nobody's inbox is flooded, and a
// reset link cannot be requested over and over) and per client address (one client cannot cycle
// through addresses). Counted in PostgreSQL like sign-in failures; beyond a limit the form answers
// 429 with Retry-After, the same for every address, so the answer says nothing about accounts.
import { RateLimiterPostgres, type RateLimiterRes } from "rate-limiter-flexible";
import { pgPool } from "@/server/db/client";
import { RetryLater } from "@/server/errors";

export type MailForm = "signup" | "reset" | "verify";

const HOUR = 3600;
const limits = { address: { points: 5, duration: HOUR }, ip: { points: 30, duration: HOUR } };

let limiters: { pool: unknown; address: RateLimiterPostgres; ip: RateLimiterPostgres } | undefined;
function get() {
  const pool = pgPool();
  if (limiters?.pool !== pool) {
    const common = { storeClient: pool, storeType: "pool", tableName: "rate_limits", tableCreated: true };
    limiters = {
      pool,
      address: new RateLimiterPostgres({ ...common, keyPrefix: "mail:address", ...limits.address }),
      ip: new RateLimiterPostgres({ ...common, keyPrefix: "mail:ip", ...limits.ip }),
    };
  }
  return limiters;
}

/** Counts one use of `form` for this address and client, or throws RetryLater when either is spent. */
export async function takeMailAllowance(form: MailForm, email: string, ip: string): Promise<void> {
  const { address, ip: byIp } = get();
  const refused: RateLimiterRes[] = [];
  await Promise.all([
    address.consume(`${form}:${email.toLowerCase()}`).catch((res: RateLimiterRes) => refused.push(res)),
    byIp.consume(`${form}:${ip}`).catch((res: RateLimiterRes) => refused.push(res)),
  ]);
  if (refused.length > 0) {
    const seconds = Math.ceil(Math.max(...refused.map((r) => r.msBeforeNext ?? 60_000)) / 1000);
    throw new RetryLater(
      `Too many requests for this form. Try again in ${Math.ceil(seconds / 60)} minutes.`,
      seconds,
    );
  }
}
