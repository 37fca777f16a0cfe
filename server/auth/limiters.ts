// Counters for the account forms (sign-in failures, mail sent, second-factor codes), kept in
// PostgreSQL by rate-limiter-flexible (table `rate_limits`) so every web process shares them.
import { RateLimiterPostgres } from "rate-limiter-flexible";
import { pgPool } from "@/server/db/client";

/** A limiter getter; the limiter is rebuilt with the pool (after closeDb()), never holding an ended one. */
export function pgLimiter(options: { keyPrefix: string; points: number; duration: number }) {
  let built: { pool: unknown; limiter: RateLimiterPostgres } | undefined;
  return (): RateLimiterPostgres => {
    const pool = pgPool();
    if (built?.pool !== pool) {
      built = {
        pool,
        limiter: new RateLimiterPostgres({
          storeClient: pool,
          storeType: "pool",
          tableName: "rate_limits",
          tableCreated: true,
          ...options,
        }),
      };
    }
    return built.limiter;
  };
}
