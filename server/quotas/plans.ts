// Plans and overrides become a workspace's effective quota columns here, and only here.
import type { Prisma } from "@/prisma/generated/client";
import { type Quotas, quotaOverridesSchema, quotasOf } from "./catalog";

type Tx = Prisma.TransactionClient;

/** The plan's quotas with the workspace's overrides on top. */
export function effectiveQuotas(plan: Quotas, overrides: unknown): Quotas {
  const parsed = quotaOverridesSchema.safeParse(overrides ?? {});
  return { ...quotasOf(plan), ...(parsed.success ? parsed.data : {}) };
}

/** Writes the workspace's effective quotas from its current plan and overrides. */
export async function applyPlan(tx: Tx, workspaceId: string): Promise<void> {
  const workspace = await tx.workspace.findUniqueOrThrow({
    where: { id: workspaceId },
    select: { quotaOverrides: true, plan: true },
  });
  await tx.workspace.update({
    where: { id: workspaceId },
    data: {
      ...effectiveQuotas(workspace.plan, workspace.quotaOverrides),
      overQuotaPolicy: workspace.plan.overQuotaPolicy,
    },
  });
}

/** After a plan's quotas change: every workspace on it gets the new values. */
export async function applyPlanToItsWorkspaces(tx: Tx, planKey: string): Promise<void> {
  const workspaces = await tx.workspace.findMany({ where: { planKey }, select: { id: true } });
  for (const { id } of workspaces) await applyPlan(tx, id);
}
