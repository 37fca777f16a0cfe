// Worker pools: the groups of worker processes task instances run on. Every worker serves one or
// more pools (BATON_WORKER_POOLS, `shared` by default); a task instance runs in its workspace's
// pool, or in the pool its named pool (server/pools) is assigned to, `shared` unless the platform
// console assigned another (a tenant's dedicated machines, a GPU pool). A worker pool is not a
// workspace pool: those are named slot limits inside one workspace, and can be assigned to one.
import { z } from "zod";

/** The pool every workspace's tasks run in unless assigned another; its workers also run every other job. */
export const SHARED_POOL = "shared";

/** A worker pool's name: `shared`, `gpu`, `dedicated:acme`. */
export const workerPoolName = z
  .string()
  .regex(
    /^[a-z][a-z0-9_-]{0,62}(:[a-z0-9][a-z0-9_-]{0,62})?$/,
    'Must be a worker pool name: lower-case letters, digits, _ or -, with an optional ":" part (like "gpu" or "dedicated:acme")',
  );

/** BATON_WORKER_POOLS: `shared` (the default), `dedicated:acme`, `shared,gpu`. */
export function parseWorkerPools(value: string): string[] {
  const pools = [...new Set(value.split(",").map((pool) => pool.trim()))].filter(Boolean);
  if (pools.length === 0) throw new Error("must name at least one worker pool");
  for (const pool of pools) {
    const parsed = workerPoolName.safeParse(pool);
    if (!parsed.success) throw new Error(`"${pool}": ${parsed.error.issues[0]!.message}`);
  }
  return pools;
}
