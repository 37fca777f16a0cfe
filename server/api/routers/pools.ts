// Pools: named slot limits shared by the workspace's DAGs. Everyone reads them; changing them is
// workspace administration (workspace:update), since a pool throttles every DAG that names it.
import { z } from "zod";
import { pageInput } from "@/server/pagination";
import {
  createPool,
  deletePool,
  listPools,
  poolDescription,
  poolName,
  poolSlots,
  updatePool,
} from "@/server/pools/service";
import { nothing } from "../schemas/common";
import { poolPage, poolSchema } from "../schemas/operations";
import { router, workspaceProcedure } from "../trpc";

export const poolsRouter = router({
  list: workspaceProcedure("workspace:read")
    .input(z.object(pageInput))
    .output(poolPage)
    .query(({ ctx, input }) => listPools(ctx.scope, input)),
  create: workspaceProcedure("workspace:update")
    .input(z.object({ name: poolName, slots: poolSlots, description: poolDescription.optional() }))
    .output(poolSchema)
    .mutation(({ ctx, input }) => createPool(ctx.scope, input)),
  update: workspaceProcedure("workspace:update")
    .input(z.object({ name: poolName, slots: poolSlots.optional(), description: poolDescription.optional() }))
    .output(poolSchema)
    .mutation(({ ctx, input }) => updatePool(ctx.scope, input)),
  delete: workspaceProcedure("workspace:update")
    .input(z.object({ name: poolName }))
    .output(nothing)
    .mutation(({ ctx, input }) => deletePool(ctx.scope, input.name)),
});
