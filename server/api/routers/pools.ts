// Pools: named slot limits shared by the workspace's DAGs. Everyone reads them; changing them is
// workspace administration (workspace:update), since a pool throttles every DAG that names it.
import { z } from "zod";
import {
  createPool,
  deletePool,
  listPools,
  poolDescription,
  poolName,
  poolSlots,
  updatePool,
} from "@/server/pools/service";
import { router, workspaceProcedure } from "../trpc";

export const poolsRouter = router({
  list: workspaceProcedure("workspace:read").query(({ ctx }) => listPools(ctx.scope)),
  create: workspaceProcedure("workspace:update")
    .input(z.object({ name: poolName, slots: poolSlots, description: poolDescription.optional() }))
    .mutation(({ ctx, input }) => createPool(ctx.scope, input)),
  update: workspaceProcedure("workspace:update")
    .input(z.object({ name: poolName, slots: poolSlots.optional(), description: poolDescription.optional() }))
    .mutation(({ ctx, input }) => updatePool(ctx.scope, input)),
  delete: workspaceProcedure("workspace:update")
    .input(z.object({ name: poolName }))
    .mutation(({ ctx, input }) => deletePool(ctx.scope, input.name)),
});
