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
