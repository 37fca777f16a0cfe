// The platform console's view of workspaces: every tenant with its plan, status and activity,
// and the changes only a platform administrator makes (plan, overrides, suspension). Each change
// is recorded in the target workspace's audit log under the administrator's name, then the
// engine is nudged so that raised quotas admit waiting work at once.
import type { Prisma } from "@/prisma/generated/client";
import { env } from "@/server/config";
import { db } from "@/server/db/client";
import { kickWorkspace } from "@/server/engine/operations";
import { AppError } from "@/server/errors";
import { type Quotas, quotaOverridesSchema, quotasOf } from "@/server/quotas/catalog";
import { applyPlan } from "@/server/quotas/plans";
import { resumeWorkspace, suspendWorkspace } from "@/server/quotas/suspension";
import { applyRetention } from "@/server/retention/purge";
import { forgetWebhookEndpoints } from "@/server/webhooks/endpoint-cache";
import { activityOf } from "./activity";
import { adminLabel, type PlatformAdmin, recordPlatformEvent } from "./audit";
import { parseOverrides } from "./quota-input";

const listSelect = {
  id: true,
  slug: true,
  name: true,
  createdAt: true,
  planKey: true,
  plan: { select: { name: true } },
  suspendedAt: true,
  suspendedReason: true,
  deletedAt: true,
  maxTaskRunsPerMonth: true,
  maxTaskSecondsPerMonth: true,
  maxDags: true,
  maxMembers: true,
  // Archived DAGs are kept for their history but no longer count as the workspace's DAGs.
  _count: { select: { memberships: true, dags: { where: { archivedAt: null } } } },
} satisfies Prisma.WorkspaceSelect;

/** The columns the console's list sorts by, server-side, so that every page is a slice of one order. */
export const workspaceSorts = ["name", "created", "plan", "members", "dags"] as const;
export type WorkspaceSort = (typeof workspaceSorts)[number];

function workspaceOrder(
  sort: WorkspaceSort,
  direction: Prisma.SortOrder,
): Prisma.WorkspaceOrderByWithRelationInput[] {
  const primary: Prisma.WorkspaceOrderByWithRelationInput =
    sort === "created"
      ? { createdAt: direction }
      : sort === "plan"
        ? { plan: { name: direction } }
        : sort === "members"
          ? { memberships: { _count: direction } }
          : sort === "dags"
            ? { dags: { _count: direction } }
            : { name: direction };
  // The slug is unique: rows that tie keep one order from page to page.
  return [primary, { name: "asc" }, { slug: "asc" }];
}

/**
 * One page of the workspaces whose name, slug, plan or an Owner's e-mail contains `search`, in
 * the order asked for, with how many match in all.
 */
export async function listWorkspaces(input: {
  search?: string;
  sort: WorkspaceSort;
  direction: Prisma.SortOrder;
  page: number;
  pageSize: number;
}) {
  const search = input.search?.trim();
  const where: Prisma.WorkspaceWhereInput = search
    ? {
        OR: [
          { name: { contains: search, mode: "insensitive" } },
          { slug: { contains: search, mode: "insensitive" } },
          { planKey: { contains: search, mode: "insensitive" } },
          // An operator answering a ticket knows the customer's e-mail, not the workspace's slug.
          {
            memberships: {
              some: { role: "OWNER", user: { email: { contains: search, mode: "insensitive" } } },
            },
          },
        ],
      }
    : {};
  const [total, rows] = await Promise.all([
    db.workspace.count({ where }),
    db.workspace.findMany({
      where,
      select: listSelect,
      orderBy: workspaceOrder(input.sort, input.direction),
      skip: (input.page - 1) * input.pageSize,
      take: input.pageSize,
    }),
  ]);
  const activity = await activityOf(rows.map((w) => w.id));
  return {
    workspaces: rows.map(({ _count, plan, ...w }) => ({
      ...w,
      planName: plan.name,
      status: statusOf(w),
      purgeAfter: purgeAfterOf(w.deletedAt),
      dags: _count.dags,
      members: _count.memberships,
      ...activity.get(w.id)!,
    })),
    /** Workspaces matching the search, on every page. */
    total,
    page: input.page,
    pageSize: input.pageSize,
  };
}

async function findWorkspace(slug: string) {
  const workspace = await db.workspace.findUnique({ where: { slug }, select: { id: true, slug: true } });
  if (!workspace) throw new AppError("NOT_FOUND", `Workspace "${slug}" not found`);
  return workspace;
}

/** deleted (in its grace period, restorable), suspended, or active. */
function statusOf(w: { deletedAt: Date | null; suspendedAt: Date | null }) {
  return w.deletedAt ? ("deleted" as const) : w.suspendedAt ? ("suspended" as const) : ("active" as const);
}

function purgeAfterOf(deletedAt: Date | null): Date | null {
  return deletedAt && new Date(deletedAt.getTime() + env.BATON_DELETE_GRACE_DAYS * 86_400_000);
}

/**
 * Restores a workspace deleted by its Owner, within the grace period: its members see it again and
 * its work goes on (the suspension its deletion set is lifted; one set by an administrator stays).
 * CONFLICT when it is not deleted.
 */
export async function restore(admin: PlatformAdmin, input: { workspace: string }) {
  const { id, slug } = await findWorkspace(input.workspace);
  await db.$transaction(async (tx) => {
    const row = await tx.workspace.findUniqueOrThrow({
      where: { id },
      select: { deletedAt: true, suspendedAt: true },
    });
    if (!row.deletedAt) throw new AppError("CONFLICT", `Workspace "${slug}" is not deleted`);
    const liftSuspension = row.suspendedAt?.getTime() === row.deletedAt.getTime();
    await tx.workspace.update({
      where: { id },
      data: { deletedAt: null, ...(liftSuspension ? { suspendedAt: null, suspendedReason: null } : {}) },
    });
    await tx.dagRun.updateMany({ where: { workspaceId: id, state: "queued" }, data: { stateReason: null } });
    await recordPlatformEvent(tx, admin, {
      workspaceIds: [id],
      action: "platform.workspace.restore",
      target: slug,
      metadata: { deletedAt: row.deletedAt.toISOString() },
    });
  });
  forgetWebhookEndpoints(id);
  await kickWorkspace(id);
  return getWorkspace(slug);
}

/**
 * Applies the workspace's run, log and delivery retention now instead of at the next hourly job
 * (after its plan's retention was lowered, or to free its storage), and measures its storage.
 * Answers what was removed; recorded in both logs.
 */
export async function runRetentionNow(admin: PlatformAdmin, input: { workspace: string }) {
  const { id, slug } = await findWorkspace(input.workspace);
  const report = await applyRetention({ workspaceId: id });
  const removed = report.workspaces[0] ?? {
    runs: 0,
    taskInstances: 0,
    logRuns: 0,
    logChunks: 0,
    deliveries: 0,
  };
  const { runs, taskInstances, logRuns, logChunks, deliveries } = removed;
  const summary = { runs, taskInstances, logRuns, logChunks, deliveries };
  await db.$transaction((tx) =>
    recordPlatformEvent(tx, admin, {
      workspaceIds: [id],
      action: "platform.workspace.retention",
      target: slug,
      metadata: summary,
    }),
  );
  return summary;
}

/** The stored overrides; unreadable ones count as none, as they do for applyPlan. */
function storedOverrides(value: unknown): Partial<Quotas> {
  const parsed = quotaOverridesSchema.safeParse(value);
  return parsed.success ? parsed.data : {};
}

/** One workspace in full: plan and overrides, effective quotas, activity, owners and recent events. */
export async function getWorkspace(slug: string) {
  const { id } = await findWorkspace(slug);
  const [workspace, activity, owners, events] = await Promise.all([
    db.workspace.findUniqueOrThrow({
      where: { id },
      include: {
        plan: true,
        pools: { select: { name: true, slots: true, workerPool: true }, orderBy: { name: "asc" } },
        _count: { select: { memberships: true, pools: true, dags: { where: { archivedAt: null } } } },
      },
    }),
    activityOf([id]),
    db.membership.findMany({
      where: { workspaceId: id, role: "OWNER" },
      select: { user: { select: { email: true } } },
      orderBy: { createdAt: "asc" },
    }),
    db.auditEvent.findMany({
      where: { workspaceId: id },
      orderBy: { id: "desc" },
      take: 20,
      select: { id: true, actorLabel: true, action: true, target: true, metadata: true, createdAt: true },
    }),
  ]);
  const { plan, _count } = workspace;
  return {
    id,
    slug: workspace.slug,
    name: workspace.name,
    createdAt: workspace.createdAt,
    status: statusOf(workspace),
    deletedAt: workspace.deletedAt,
    /** When the retention job purges a deleted workspace (null: not deleted). */
    purgeAfter: purgeAfterOf(workspace.deletedAt),
    suspendedAt: workspace.suspendedAt,
    suspendedReason: workspace.suspendedReason,
    plan: { key: plan.key, name: plan.name, overQuotaPolicy: plan.overQuotaPolicy, quotas: quotasOf(plan) },
    overrides: storedOverrides(workspace.quotaOverrides),
    /** What the engine enforces: the plan's quotas with the overrides on top. */
    effective: quotasOf(workspace),
    overQuotaPolicy: workspace.overQuotaPolicy,
    dags: _count.dags,
    members: _count.memberships,
    pools: _count.pools,
    /** The worker pool its tasks run in (null: `shared`), and its named pools' own assignments. */
    workerPool: workspace.workerPool,
    namedPools: workspace.pools,
    ...activity.get(id)!,
    owners: owners.map((o) => o.user.email),
    events: events.map((e) => ({ ...e, id: e.id.toString() })),
  };
}

/** Moves the workspace to another plan; its effective quotas follow. */
export async function changePlan(admin: PlatformAdmin, input: { workspace: string; planKey: string }) {
  const { id, slug } = await findWorkspace(input.workspace);
  await db.$transaction(async (tx) => {
    const plan = await tx.plan.findUnique({
      where: { key: input.planKey },
      select: { key: true, archivedAt: true },
    });
    if (!plan) {
      throw new AppError("BAD_REQUEST", `There is no plan "${input.planKey}"`, [
        { path: "planKey", message: `There is no plan "${input.planKey}"` },
      ]);
    }
    if (plan.archivedAt) {
      const message = `The plan "${plan.key}" is archived: no workspace can be moved onto it; unarchive it on the Plans page first`;
      throw new AppError("BAD_REQUEST", message, [{ path: "planKey", message }]);
    }
    const before = await tx.workspace.findUniqueOrThrow({ where: { id }, select: { planKey: true } });
    await tx.workspace.update({ where: { id }, data: { planKey: plan.key } });
    await applyPlan(tx, id);
    await recordPlatformEvent(tx, admin, {
      workspaceIds: [id],
      action: "platform.workspace.plan",
      target: slug,
      metadata: { from: before.planKey, to: plan.key },
    });
  });
  await kickWorkspace(id);
  return getWorkspace(slug);
}

/** Replaces the workspace's overrides (an empty object clears them); effective quotas follow. */
export async function setOverrides(admin: PlatformAdmin, input: { workspace: string; overrides: unknown }) {
  const overrides = parseOverrides(input.overrides);
  const { id, slug } = await findWorkspace(input.workspace);
  await db.$transaction(async (tx) => {
    const before = await tx.workspace.findUniqueOrThrow({ where: { id }, select: { quotaOverrides: true } });
    await tx.workspace.update({ where: { id }, data: { quotaOverrides: overrides } });
    await applyPlan(tx, id);
    await recordPlatformEvent(tx, admin, {
      workspaceIds: [id],
      action: "platform.workspace.overrides",
      target: slug,
      metadata: { from: before.quotaOverrides, to: overrides },
    });
  });
  await kickWorkspace(id);
  return getWorkspace(slug);
}

export async function suspend(admin: PlatformAdmin, input: { workspace: string; reason: string }) {
  const { id, slug } = await findWorkspace(input.workspace);
  const { suspendedReason } = await suspendWorkspace({
    workspaceId: id,
    reason: input.reason,
    actor: actorOf(admin),
  });
  // The workspace's own log has the event (as "Platform administrator"); this one says who.
  await recordInstallationEvent(admin, id, "platform.workspace.suspend", slug, { reason: suspendedReason });
  return getWorkspace(slug);
}

export async function resume(admin: PlatformAdmin, input: { workspace: string }) {
  const { id, slug } = await findWorkspace(input.workspace);
  await resumeWorkspace({ workspaceId: id, actor: actorOf(admin) });
  await recordInstallationEvent(admin, id, "platform.workspace.resume", slug, {});
  return getWorkspace(slug);
}

/** The installation log's copy of a change whose workspace event the tenant side wrote. */
async function recordInstallationEvent(
  admin: PlatformAdmin,
  workspaceId: string,
  action: string,
  target: string,
  metadata: Record<string, unknown>,
) {
  await db.auditEvent.create({
    data: {
      workspaceId: null,
      actor: admin.userId,
      actorLabel: adminLabel(admin),
      action,
      target,
      metadata: { ...metadata, workspaceId } as Prisma.InputJsonObject,
      ip: admin.ip ?? null,
    },
  });
}

function actorOf(admin: PlatformAdmin) {
  return { kind: "user" as const, userId: admin.userId, label: adminLabel(admin) };
}

/** Whether (and why) a workspace is suspended, for the banner its members see. */
export async function suspensionOf(workspaceId: string) {
  const workspace = await db.workspace.findUnique({
    where: { id: workspaceId },
    select: { suspendedAt: true, suspendedReason: true },
  });
  return { suspendedAt: workspace?.suspendedAt ?? null, suspendedReason: workspace?.suspendedReason ?? null };
}
