// Fair multi-tenant admission. A ready task instance waits in `queued` until admission lets it
// through; then it becomes `scheduled` in a worker pool and gets a graphile-worker job
// (`engine:run-task@<pool>`), or is handed to the worker slot asking. Admission happens at the end
// of the same transaction that frees a slot or makes a task ready, so there is no dispatcher loop
// to poll or to lose; a slot freed for another workspace wakes it (fair-share.ts).
//
// What admits an instance (the database function baton_admit, migration
// 20261207150000_fair_share, which docs/architecture.md "Fair share" walks through):
//  - its workspace under its quota (Workspace.maxConcurrentTasks; 0 while suspended) and its named
//    pool (server/pools) under its slots;
//  - a free slot in its worker pool: the slots of the pool's live workers (worker-registry.ts)
//    minus the instances holding one, so admitted work starts at once;
//  - the pool's reserve: a workspace already holding slots there leaves the last
//    BATON_POOL_RESERVE free, so a newcomer's first task starts at once beside a neighbour's long
//    tasks (nothing preempts a running task);
//  - while another workspace waits for the pool, its workspace's fair share: the pool's slots
//    times its weight (Workspace.shareWeight, from its plan) over the weights of the workspaces
//    with work there.
// A workspace with ready instances held back by the last three waits for the pool (PoolWait).
//
// The slots a workspace holds are counted (its scheduled and running instances), not kept in a
// counter: a completion that only gives a slot back writes nothing shared. Admitting locks the
// workspace's dispatch row FOR UPDATE and counts after the lock is granted; giving back slots
// while nothing is queued takes the row FOR SHARE (completions do not wait for one another).
//
// Lock order: engine transactions lock the workspace's run gate (run-gate.ts) when they start
// runs, then task instances and runs, and the workspace's dispatch row last, here (then pool
// rows); it is held only for admission and the commit.
import { env } from "@/server/config";
import { type ClaimedAttempt, claimedFromJson } from "./claim";
import { wakeWaiting } from "./fair-share";
import { afterCommit, type Sql } from "./sql";
import { servedPools } from "./worker-registry";

export interface Admission {
  /** Instances admitted for the asking slots, claimed for them, in the order they asked. */
  claimed: ClaimedAttempt[];
}

/**
 * Gives back the named-pool slots of instances that stopped holding one (`released`: their pool
 * names; the caller already moved the instances out of scheduled/running), then admits as many
 * queued instances of the workspace as its quota, pools and fair share allow.
 *
 * `queuedHere`: the caller's transaction queued instances itself, so admitting is due anyway.
 *
 * `takers`: worker slots of this process (graphile-worker ids) that will each run one admitted
 * instance themselves, instead of leaving it to a graphile-worker pickup (a round trip through the
 * job queue per hop). They come back claimed: if the worker dies after the commit, the reaper finds
 * their attempts without a live worker and retries them, as it does for any attempt of a dead
 * worker.
 */
export async function dispatch(
  sql: Sql,
  workspaceId: string,
  released: string[] = [],
  options: { takers?: string[]; queuedHere?: boolean } = {},
): Promise<Admission> {
  const { rows } = await sql.query<{ claimed: Record<string, unknown> | null; wake: string | null }>(
    "SELECT * FROM baton_admit($1, $2, $3, $4, $5, $6, $7)",
    [workspaceId, released, options.queuedHere ?? false, ...admissionSettings(options.takers ?? [])],
  );
  const wake = rows.flatMap((r) => (r.wake ? [r.wake] : []));
  if (wake.length > 0) afterCommit(sql, () => wakeWaiting(wake));
  return { claimed: rows.flatMap((r) => (r.claimed ? [claimedFromJson(r.claimed)] : [])) };
}

/** The last parameters of the admitting functions: the asking slots and the pools they serve, the reserve, the workers' liveness. */
export function admissionSettings(
  takers: Array<string | null>,
): [Array<string | null>, string[], number, number] {
  return [takers, servedPools(), env.BATON_POOL_RESERVE, env.BATON_LOST_ATTEMPT_SECONDS];
}
