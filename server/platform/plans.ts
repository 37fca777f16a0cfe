// Plans as the platform console manages them: installation-wide rows (not tenant data), each a
// complete set of quotas and an over-quota policy. Changing a plan's quotas rewrites the
// effective quotas of every workspace on it in the same transaction.
import { db } from "@/server/db/client";
import { kickWorkspace } from "@/server/engine/operations";
import { AppError } from "@/server/errors";
import { type OverQuotaPolicy, quotasOf } from "@/server/quotas/catalog";
import { applyPlanToItsWorkspaces } from "@/server/quotas/plans";
import { type PlatformAdmin, recordPlatformEvent } from "./audit";
import { parseQuotas } from "./quota-input";

export interface PlanInput {
  key: string;
  name: string;
  description: string;
  overQuotaPolicy: OverQuotaPolicy;
  /** Every quota; checked here so that each problem names its quota. */
  quotas: unknown;
}

export async function listPlans() {
  const plans = await db.plan.findMany({
    include: { _count: { select: { workspaces: true } } },
    orderBy: [{ createdAt: "asc" }, { key: "asc" }],
  });
  return plans.map(({ _count, ...plan }) => ({
    key: plan.key,
    name: plan.name,
    description: plan.description,
    overQuotaPolicy: plan.overQuotaPolicy,
    quotas: quotasOf(plan),
    workspaces: _count.workspaces,
    /** Archived: no workspace can be moved onto it (those on it stay). */
    archivedAt: plan.archivedAt,
  }));
}

/** The plan every new workspace starts on (the Workspace.planKey column's default). */
export const DEFAULT_PLAN_KEY = "free";

/**
 * Archives a plan (no workspace can be moved onto it any more; those on it keep it and its
 * quotas until moved) or brings it back. The plan new workspaces start on cannot be archived.
 * Doing it twice changes and records nothing the second time.
 */
export async function setPlanArchived(admin: PlatformAdmin, input: { key: string; archived: boolean }) {
  await db.$transaction(async (tx) => {
    const plan = await tx.plan.findUnique({ where: { key: input.key }, select: { archivedAt: true } });
    if (!plan) throw new AppError("NOT_FOUND", `Plan "${input.key}" not found`);
    if (input.archived && input.key === DEFAULT_PLAN_KEY) {
      throw new AppError(
        "CONFLICT",
        `The plan "${input.key}" cannot be archived: every new workspace starts on it`,
        [{ path: "key", message: "New workspaces start on this plan" }],
      );
    }
    if ((plan.archivedAt !== null) === input.archived) return;
    const onPlan = await tx.workspace.count({ where: { planKey: input.key } });
    await tx.plan.update({
      where: { key: input.key },
      data: { archivedAt: input.archived ? new Date() : null },
    });
    await recordPlatformEvent(tx, admin, {
      workspaceIds: [null],
      action: input.archived ? "platform.plan.archive" : "platform.plan.unarchive",
      target: input.key,
      metadata: { workspaces: onPlan },
    });
  });
  return (await listPlans()).find((plan) => plan.key === input.key)!;
}

export async function createPlan(admin: PlatformAdmin, input: PlanInput) {
  const quotas = parseQuotas(input.quotas);
  await db.$transaction(async (tx) => {
    const taken = await tx.plan.findUnique({ where: { key: input.key }, select: { key: true } });
    if (taken) {
      throw new AppError("CONFLICT", `A plan with the key "${input.key}" already exists`, [
        { path: "key", message: "This key is taken; edit that plan or choose another key" },
      ]);
    }
    const { key, name, description, overQuotaPolicy } = input;
    await tx.plan.create({ data: { key, name, description, overQuotaPolicy, ...quotas } });
    await recordPlatformEvent(tx, admin, {
      workspaceIds: [null],
      action: "platform.plan.create",
      target: key,
      metadata: { name, overQuotaPolicy, quotas },
    });
  });
  return (await listPlans()).find((plan) => plan.key === input.key)!;
}

/** Saves a plan (its key stays) and re-applies it to its workspaces, each told in its audit log. */
export async function updatePlan(admin: PlatformAdmin, input: PlanInput) {
  const quotas = parseQuotas(input.quotas);
  const workspaces = await db.$transaction(async (tx) => {
    const before = await tx.plan.findUnique({ where: { key: input.key } });
    if (!before) throw new AppError("NOT_FOUND", `Plan "${input.key}" not found`);
    const { name, description, overQuotaPolicy } = input;
    await tx.plan.update({
      where: { key: input.key },
      data: { name, description, overQuotaPolicy, ...quotas },
    });
    await applyPlanToItsWorkspaces(tx, input.key);
    // What the workspaces feel (quotas, policy), and what only the console shows (name, description).
    const felt = changedFields(
      { ...quotasOf(before), overQuotaPolicy: before.overQuotaPolicy },
      { ...quotas, overQuotaPolicy },
    );
    const shown = changedFields(
      { name: before.name, description: before.description },
      { name, description },
    );
    const changes = { ...shown, ...felt };
    // A save that changes nothing records nothing.
    if (Object.keys(changes).length === 0) return [];
    const onPlan = await tx.workspace.findMany({ where: { planKey: input.key }, select: { id: true } });
    // Recorded for the installation and, when their quotas changed, in each workspace on the plan,
    // whose members can then see in their own audit log why.
    await recordPlatformEvent(tx, admin, {
      workspaceIds: [null, ...(Object.keys(felt).length > 0 ? onPlan.map((w) => w.id) : [])],
      action: "platform.plan.update",
      target: input.key,
      metadata: { changes, workspaces: onPlan.length },
    });
    return onPlan;
  });
  for (const { id } of workspaces) await kickWorkspace(id);
  return (await listPlans()).find((plan) => plan.key === input.key)!;
}

/** `{ field: { from, to } }` for the fields whose value differs. */
function changedFields<T extends Record<string, unknown>>(before: T, after: T) {
  return Object.fromEntries(
    Object.keys(after)
      .filter((key) => before[key] !== after[key])
      .map((key) => [key, { from: before[key], to: after[key] }]),
  );
}
