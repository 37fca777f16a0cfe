// The refusals of the quotas that cap how many of something a workspace has (DAGs, members,
// pools) or how big one thing may be (a pool's slots): one wording everywhere, naming the quota,
// so a person or a script can tell a plan's limit from any other conflict.
import { AppError } from "@/server/errors";
import { type QuotaKey, quotaCatalog } from "./catalog";

/** How a quota is raised, for refusals that have no better advice of their own. */
export const RAISE_ADVICE = "a platform administrator can raise it or move the workspace to a larger plan";

/**
 * A workspace already holds `used` of its `limit` (quota `key`): e.g. "This workspace has 3 of 3
 * DAGs allowed by its plan (quota maxDags). Archive a DAG it no longer needs, or ask for a larger plan."
 */
export function quotaReached(
  key: QuotaKey,
  counts: { used: number; limit: number; noun: string },
  advice: string,
): AppError {
  return new AppError(
    "CONFLICT",
    `This workspace has ${counts.used} of ${counts.limit} ${counts.noun} allowed by its plan (quota ${key}). ${advice}`,
  );
}

/**
 * A value over a per-item limit (quota `key`), as a problem on the field that carries it: e.g.
 * "slots must be at most 64: the limit of slots per pool set by this workspace's plan (quota
 * maxPoolSlots); a platform administrator can raise it or move the workspace to a larger plan".
 */
export function quotaExceeded(key: QuotaKey, field: string, limit: number): AppError {
  const label = quotaCatalog[key].label.toLowerCase();
  const message = `${field} must be at most ${limit}: the limit of ${label} set by this workspace's plan (quota ${key}); ${RAISE_ADVICE}`;
  return new AppError("CONFLICT", message, [{ path: field, message }]);
}
