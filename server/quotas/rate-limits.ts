// Per-minute budgets of a workspace (the plan's `…PerMinute` quotas): counters in PostgreSQL
// (rate-limiter-flexible's store, table `rate_limits`, keyed `<name>:<workspaceId>`), so every web
// process shares them. Webhook deliveries and REST API requests each have one.
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { pgPool } from "@/server/db/client";

/** Where a budget stands after taking one: `ok` false when there was none left. */
export interface RateAnswer {
  ok: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets (and, when refused, until a retry may succeed). */
  resetSeconds: number;
}

let state: { pool: unknown; limiters: Map<string, RateLimiterPostgres> } | undefined;

function limiter(name: string, points: number): RateLimiterPostgres {
  const pool = pgPool();
  // Rebuilt with the pool (after closeDb()), so a limiter never holds an ended pool.
  if (state?.pool !== pool) state = { pool, limiters: new Map() };
  const id = `${name}/${points}`;
  let found = state.limiters.get(id);
  if (!found) {
    // One counter per workspace whatever its limit: the limiter only decides how many points it holds.
    found = new RateLimiterPostgres({
      storeClient: pool,
      storeType: "pool",
      tableName: "rate_limits",
      tableCreated: true,
      keyPrefix: name,
      points,
      duration: 60,
    });
    state.limiters.set(id, found);
  }
  return found;
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** Takes one from the workspace's `name` budget of `perMinute` a minute. */
export async function takeFromBudget(
  name: string,
  workspaceId: string,
  perMinute: number,
): Promise<RateAnswer> {
  try {
    const taken = await limiter(name, perMinute).consume(workspaceId);
    return {
      ok: true,
      limit: perMinute,
      remaining: taken.remainingPoints,
      resetSeconds: seconds(taken.msBeforeNext),
    };
  } catch (error) {
    if (!(error instanceof RateLimiterRes)) throw error;
    return { ok: false, limit: perMinute, remaining: 0, resetSeconds: seconds(error.msBeforeNext) };
  }
}

/** How much of the budget the current window has used (for the usage page). */
export async function usedOfBudget(name: string, workspaceId: string, perMinute: number): Promise<number> {
  const taken = await limiter(name, perMinute).get(workspaceId);
  return Math.min(taken?.consumedPoints ?? 0, perMinute);
}
