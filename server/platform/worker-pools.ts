// Worker pools in the platform console: every pool the installation knows (its live workers, its
// slots and load, the workspaces waiting for it, who is assigned to it), the registered workers,
// and assigning a workspace, or one of its named pools, to a worker pool of its own (a tenant's
// dedicated machines, a GPU pool). Assignments are recorded in the workspace's audit log under the
// administrator's name; queued tasks then go to the new pool (tasks already admitted finish where
// they are).
import { db } from "@/server/db/client";
import { knownWorkerPools, registeredWorkers, workerPoolLoads } from "@/server/engine/capacity";
import { kickWorkspace } from "@/server/engine/operations";
import { SHARED_POOL, workerPoolName } from "@/server/engine/worker-pools";
import { AppError } from "@/server/errors";
import { type PlatformAdmin, recordPlatformEvent } from "./audit";

/** Every worker pool with its load and assignments, and every registered worker. */
export async function listWorkerPools() {
  const [names, workers, workspaces, pools] = await Promise.all([
    knownWorkerPools(),
    registeredWorkers(),
    db.workspace.findMany({
      where: { workerPool: { not: null } },
      select: { slug: true, workerPool: true },
      orderBy: { slug: "asc" },
    }),
    db.pool.findMany({
      where: { workerPool: { not: null } },
      select: { name: true, workerPool: true, workspace: { select: { slug: true } } },
      orderBy: [{ workspace: { slug: "asc" } }, { name: "asc" }],
    }),
  ]);
  const loads = await workerPoolLoads(names);
  return {
    pools: loads.map((load) => ({
      ...load,
      /** Workspaces whose tasks run here (all of them, for `shared`, but those assigned elsewhere). */
      workspaces: workspaces.filter((w) => w.workerPool === load.name).map((w) => w.slug),
      /** Named pools of workspaces whose tasks run here. */
      namedPools: pools
        .filter((p) => p.workerPool === load.name)
        .map((p) => ({ workspace: p.workspace.slug, pool: p.name })),
    })),
    workers,
  };
}

/**
 * Assigns a workspace (`pool` omitted) or one of its named pools to a worker pool; `workerPool`
 * null puts it back: a workspace on `shared`, a named pool with its workspace.
 */
export async function assignWorkerPool(
  admin: PlatformAdmin,
  input: { workspace: string; pool?: string | undefined; workerPool: string | null },
) {
  const workerPool = input.workerPool === SHARED_POOL && !input.pool ? null : input.workerPool;
  if (workerPool !== null) {
    const parsed = workerPoolName.safeParse(workerPool);
    if (!parsed.success) {
      const message = parsed.error.issues[0]!.message;
      throw new AppError("BAD_REQUEST", message, [{ path: "workerPool", message }]);
    }
  }
  const workspace = await db.workspace.findUnique({
    where: { slug: input.workspace },
    select: { id: true, slug: true, workerPool: true },
  });
  if (!workspace) throw new AppError("NOT_FOUND", `Workspace "${input.workspace}" not found`);
  await db.$transaction(async (tx) => {
    let from: string | null;
    if (input.pool) {
      const pool = await tx.pool.findUnique({
        where: { workspaceId_name: { workspaceId: workspace.id, name: input.pool } },
        select: { workerPool: true },
      });
      if (!pool) {
        throw new AppError("NOT_FOUND", `Workspace "${workspace.slug}" has no pool "${input.pool}"`, [
          { path: "pool", message: "No such pool in this workspace" },
        ]);
      }
      from = pool.workerPool;
      await tx.pool.update({
        where: { workspaceId_name: { workspaceId: workspace.id, name: input.pool } },
        data: { workerPool },
      });
    } else {
      from = workspace.workerPool;
      await tx.workspace.update({ where: { id: workspace.id }, data: { workerPool } });
    }
    await recordPlatformEvent(tx, admin, {
      workspaceIds: [workspace.id],
      action: "platform.workspace.worker_pool",
      target: input.pool ? `${workspace.slug}/${input.pool}` : workspace.slug,
      // null: the default (`shared` for a workspace, the workspace's own for a named pool).
      metadata: { from, to: workerPool, ...(input.pool ? { pool: input.pool } : {}) },
    });
  });
  // Its queued tasks are admitted again, to the pool they now belong to.
  await kickWorkspace(workspace.id);
}
