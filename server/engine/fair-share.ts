// Waking the workspaces that wait for a worker pool. Admission (dispatch.ts) holds back a
// workspace's ready tasks when its worker pool has no room for them, or the workspace holds its
// fair share while others wait; it then waits for the pool (a PoolWait row). A slot freed in the
// pool goes to a waiting workspace first: the admission that freed it answers the pools where a
// waiting workspace could now be admitted, and once its transaction has committed this module
// admits the waiting workspaces, most deserving first (fewest slots held per unit of weight, then
// the longest waiting), while the pool has room. A workspace whose task becomes ready while one
// holding no slot waits for the pool waits behind it (baton_waits_behind, migration
// 20261208002500_fair_hand_off): in a burst, a run's next task never goes ahead of other
// workspaces' first tasks.
//
// A waiting workspace is also looked at again right after it starts waiting (a slot may have
// been freed by a transaction that committed meanwhile without seeing it wait), and every worker
// sweeps the waiting pools every second in case a process died between a commit and its wake-up.
import { env } from "@/server/config";
import { dispatch } from "./dispatch";
import { sql, transaction } from "./sql";

/** Pools being woken in this process; `again`: another wake-up came meanwhile. */
const waking = new Map<string, { again: boolean }>();

/** Admits waiting workspaces of these pools, in the background (coalesced per pool). */
export function wakeWaiting(pools: Iterable<string>): void {
  for (const pool of new Set(pools)) void wake(pool);
}

async function wake(pool: string): Promise<void> {
  const under = waking.get(pool);
  if (under) {
    under.again = true;
    return;
  }
  const state = { again: true };
  waking.set(pool, state);
  try {
    // Again after a pass that admitted something, or when a wake-up came during the pass (a slot
    // freed then, which that pass may not have seen): a pass that could not admit is not helped
    // by another one until something changes, but a change during it is one, and its wake-up
    // found this one under way. (Dropping those left a burst's slots to the sweep, once a second.)
    while (state.again) {
      state.again = false;
      if (!(await admitWaiting(pool)) && !state.again) break;
    }
  } catch (error) {
    console.warn(
      `could not admit the workspaces waiting for worker pool ${pool}: ${(error as Error).message}`,
    );
  } finally {
    waking.delete(pool);
  }
}

const IN_TURN = 50;

/** One pass over the pool's waiting workspaces; whether any of them was admitted something. */
async function admitWaiting(pool: string): Promise<boolean> {
  // First in line, those holding none of the pool's slots, longest waiting first: found in
  // (pool, since) order, without counting the slots of every waiting workspace (thousands in a
  // burst). Behind them, the others by slots held per unit of weight; fewer than a pass's worth
  // holding none means few wait at all.
  let { rows } = await sql.query<{ workspaceId: string }>(
    `SELECT w."workspaceId" FROM "PoolWait" w
     WHERE w."workerPool" = $1
       AND NOT EXISTS (SELECT 1 FROM "TaskInstance" t WHERE t."workerPool" = $1 AND t."workspaceId" = w."workspaceId"
                         AND t.state IN ('scheduled', 'running'))
     ORDER BY w.since LIMIT ${IN_TURN}`,
    [pool],
  );
  if (rows.length < IN_TURN)
    ({ rows } = await sql.query<{ workspaceId: string }>(
      `SELECT w."workspaceId" FROM "PoolWait" w JOIN "Workspace" s ON s.id = w."workspaceId"
       WHERE w."workerPool" = $1
       ORDER BY (SELECT count(*) FROM "TaskInstance" t WHERE t."workerPool" = $1 AND t."workspaceId" = w."workspaceId"
                   AND t.state IN ('scheduled', 'running'))::float8 / s."shareWeight", w.since
       LIMIT ${IN_TURN}`,
      [pool],
    ));
  let progressed = false;
  let busy = (await load(pool)).busy;
  for (const { workspaceId } of rows) {
    await transaction((tx) => dispatch(tx, workspaceId));
    const now = await load(pool);
    if (now.busy > busy) progressed = true;
    busy = now.busy;
    if (now.capacity <= now.busy) break;
  }
  return progressed;
}

async function load(pool: string): Promise<{ capacity: number; busy: number }> {
  const { rows } = await sql.query<{ capacity: number; busy: number }>(
    "SELECT capacity, busy FROM baton_pool_load($1, $2)",
    [pool, env.BATON_LOST_ATTEMPT_SECONDS],
  );
  return rows[0]!;
}

/** The pools where some waiting workspace could be admitted now. */
async function wakeablePools(): Promise<string[]> {
  const { rows } = await sql.query<{ pool: string }>(
    "SELECT baton_pools_to_wake AS pool FROM baton_pools_to_wake('00000000-0000-0000-0000-000000000000', $1, $2)",
    [env.BATON_POOL_RESERVE, env.BATON_LOST_ATTEMPT_SECONDS],
  );
  return rows.map((r) => r.pool);
}

/** Every second or so, wakes the pools where a waiting workspace could be admitted (a worker's timer). */
export function startWaitingSweep(everyMs = 1_000): () => void {
  let busy = false;
  const timer = setInterval(
    async () => {
      if (busy) return;
      busy = true;
      try {
        wakeWaiting(await wakeablePools());
      } catch (error) {
        console.warn(`could not look at the waiting workspaces: ${(error as Error).message}`);
      } finally {
        busy = false;
      }
    },
    everyMs * (0.8 + Math.random() * 0.4),
  );
  timer.unref();
  return () => clearInterval(timer);
}
