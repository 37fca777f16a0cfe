// The platform console's API: every workspace of the installation, for platform administrators
// only (signed in, or through a platform token). Not workspace-scoped (an administrator need not
// be a member of the workspaces they steer). Some are on the REST API under /platform for platform
// tokens (server/rest/routes.ts); workspace API tokens are never administrators.
import { z } from "zod";
import { pageInput } from "@/server/pagination";
import { operatorAlerts } from "@/server/platform/alerts";
import { exportPlatformEvents, listPlatformEvents } from "@/server/platform/audit-log";
import { createPlan, listPlans, setPlanArchived, updatePlan } from "@/server/platform/plans";
import { eraseWorkspace, exportTenantData } from "@/server/platform/tenant-data";
import { createPlatformToken, listPlatformTokens, revokePlatformToken } from "@/server/platform/tokens";
import { exportMonthlyUsage, workspaceUsage } from "@/server/platform/usage";
import {
  disableUser,
  enableUser,
  listUsers,
  resetUserPassword,
  revokeUserSessions,
  userSorts,
} from "@/server/platform/users";
import { assignWorkerPool, listWorkerPools } from "@/server/platform/worker-pools";
import {
  changePlan,
  getWorkspace,
  listWorkspaces,
  restore,
  resume,
  runRetentionNow,
  setOverrides,
  suspend,
  workspaceSorts,
} from "@/server/platform/workspaces";
import { poolName } from "@/server/pools/service";
import { overQuotaPolicySchema } from "@/server/quotas/catalog";
import { displayName, workspaceSlug } from "@/server/validation";
import { platformAdminProcedure, platformSessionProcedure, router } from "../trpc";

const planKey = z
  .string()
  .trim()
  .min(1, "Enter a key")
  .max(40, "Plan keys are at most 40 characters")
  .regex(/^[a-z0-9][a-z0-9-]*$/, "Plan keys are lowercase letters, digits and dashes");

const sortDirection = z.enum(["asc", "desc"]).default("asc");
// Coerced: over REST they come as query-string text.
const pageNumber = z.coerce.number().int("Pages are whole numbers").min(1, "Pages start at 1").default(1);
const pageSize = z.coerce
  .number()
  .int("Page sizes are whole numbers")
  .min(1, "A page shows at least 1 row")
  .max(200, "A page shows at most 200 rows")
  .default(50);

const auditFilter = {
  action: z
    .string()
    .max(100, "Actions are at most 100 characters")
    .regex(/^[a-z_.]*$/, "Actions are lowercase letters, dots and underscores, e.g. platform.plan.")
    .optional(),
  search: z.string().max(100, "Searches are at most 100 characters").optional(),
  from: z.coerce.date("from must be a date, e.g. 2026-12-01").optional(),
  to: z.coerce.date("to must be a date, e.g. 2027-01-01").optional(),
};

const userId = z.uuid("userId must be a user's id");

/** Quota values are checked by the service, so that each problem names its quota. */
const quotaValues = z.record(z.string(), z.unknown());

const planInput = z.object({
  key: planKey,
  name: displayName,
  description: z.string().trim().max(500, "Descriptions are at most 500 characters").default(""),
  overQuotaPolicy: overQuotaPolicySchema,
  quotas: quotaValues,
});

export const platformRouter = router({
  workspaces: platformAdminProcedure
    .input(
      z.object({
        search: z.string().max(100, "Searches are at most 100 characters").optional(),
        sort: z.enum(workspaceSorts).default("name"),
        direction: sortDirection,
        page: pageNumber,
        pageSize: pageSize,
      }),
    )
    .query(({ input }) => listWorkspaces(input)),
  workspace: platformAdminProcedure
    .input(z.object({ workspace: workspaceSlug }))
    .query(({ input }) => getWorkspace(input.workspace)),
  changePlan: platformAdminProcedure
    .input(z.object({ workspace: workspaceSlug, planKey }))
    .mutation(({ ctx, input }) => changePlan(ctx.admin, input)),
  setOverrides: platformAdminProcedure
    .input(z.object({ workspace: workspaceSlug, overrides: quotaValues }))
    .mutation(({ ctx, input }) => setOverrides(ctx.admin, input)),
  suspend: platformAdminProcedure
    .input(
      z.object({
        workspace: workspaceSlug,
        reason: z
          .string()
          .trim()
          .min(1, "Give the reason members will see")
          .max(500, "Reasons are at most 500 characters"),
      }),
    )
    .mutation(({ ctx, input }) => suspend(ctx.admin, input)),
  resume: platformAdminProcedure
    .input(z.object({ workspace: workspaceSlug }))
    .mutation(({ ctx, input }) => resume(ctx.admin, input)),
  /** Brings back a workspace its Owner deleted, within the grace period. */
  restore: platformAdminProcedure
    .input(z.object({ workspace: workspaceSlug }))
    .mutation(({ ctx, input }) => restore(ctx.admin, input)),
  /** Applies the workspace's retention now (not at the next hourly job); answers what went. */
  runRetention: platformAdminProcedure
    .input(z.object({ workspace: workspaceSlug }))
    .mutation(({ ctx, input }) => runRetentionNow(ctx.admin, input)),
  /** One tenant's use: quotas now, 30 days of history with storage, work queued and running now. */
  workspaceUsage: platformAdminProcedure
    .input(z.object({ workspace: workspaceSlug }))
    .query(({ input }) => workspaceUsage(input)),
  /** Every workspace's metered use of one UTC month, as CSV or JSON, for billing. */
  exportUsage: platformAdminProcedure
    .input(
      z.object({
        month: z.string().max(7, "month is a month as YYYY-MM, e.g. 2026-12"),
        format: z.enum(["csv", "json"], "format must be csv or json"),
      }),
    )
    .query(({ input }) => exportMonthlyUsage(input.month, input.format)),
  /** A ZIP archive of the workspace's DAGs, versions, runs' metadata, variables and secret names. */
  exportWorkspaceData: platformAdminProcedure
    .input(z.object({ workspace: workspaceSlug }))
    .mutation(({ ctx, input }) => exportTenantData(ctx.admin, input)),
  /** Deletes the workspace and everything in it now (no grace period); `confirm` repeats its slug. */
  eraseWorkspace: platformAdminProcedure
    .input(z.object({ workspace: workspaceSlug, confirm: z.string().max(100) }))
    .mutation(({ ctx, input }) => eraseWorkspace(ctx.admin, input)),
  /** What needs an operator's attention now: tenants at or near a quota, tenants whose webhooks fail. */
  alerts: platformAdminProcedure.query(() => operatorAlerts()),
  workerPools: platformAdminProcedure.query(() => listWorkerPools()),
  assignWorkerPool: platformAdminProcedure
    .input(
      z.object({
        workspace: workspaceSlug,
        /** One of the workspace's named pools; the whole workspace when absent. */
        pool: poolName.optional(),
        /** Checked by the service (the name rules are the worker pools'); null for the default. */
        workerPool: z.string().trim().max(127).nullable(),
      }),
    )
    .mutation(({ ctx, input }) => assignWorkerPool(ctx.admin, input)),
  users: platformAdminProcedure
    .input(
      z.object({
        search: z.string().max(100, "Searches are at most 100 characters").optional(),
        sort: z.enum(userSorts).default("email"),
        direction: sortDirection,
        page: pageNumber,
        pageSize: pageSize,
      }),
    )
    .query(({ input }) => listUsers(input)),
  disableUser: platformAdminProcedure
    .input(
      z.object({
        userId,
        reason: z
          .string()
          .trim()
          .min(1, "Give the reason (it is kept in the audit log)")
          .max(500, "Reasons are at most 500 characters"),
      }),
    )
    .mutation(({ ctx, input }) => disableUser(ctx.admin, input)),
  enableUser: platformAdminProcedure
    .input(z.object({ userId }))
    .mutation(({ ctx, input }) => enableUser(ctx.admin, input)),
  revokeUserSessions: platformAdminProcedure
    .input(z.object({ userId }))
    .mutation(({ ctx, input }) => revokeUserSessions(ctx.admin, input)),
  resetUserPassword: platformAdminProcedure
    .input(z.object({ userId }))
    .mutation(({ ctx, input }) => resetUserPassword(ctx.admin, input, ctx.baseUrl)),
  /** The installation's audit log (platform changes, workspaces created, deleted, purged), newest first. */
  auditEvents: platformAdminProcedure
    .input(z.object({ ...pageInput, ...auditFilter }))
    .query(({ input }) => listPlatformEvents(input)),
  /** The same events as one CSV or JSON file (the newest 100,000). */
  exportAuditEvents: platformAdminProcedure
    .input(z.object({ ...auditFilter, format: z.enum(["csv", "json"], "format must be csv or json") }))
    .query(async ({ input }) => {
      const { body, contentType } = await exportPlatformEvents(input, input.format);
      const day = new Date().toISOString().slice(0, 10);
      return { filename: `baton-audit-${day}.${input.format}`, contentType, body };
    }),
  plans: platformAdminProcedure.query(() => listPlans()),
  createPlan: platformAdminProcedure
    .input(planInput)
    .mutation(({ ctx, input }) => createPlan(ctx.admin, input)),
  updatePlan: platformAdminProcedure
    .input(planInput)
    .mutation(({ ctx, input }) => updatePlan(ctx.admin, input)),
  /** Archived plans cannot be chosen for a workspace; those on one keep it. */
  archivePlan: platformAdminProcedure
    .input(z.object({ key: planKey, archived: z.boolean("archived must be true or false") }))
    .mutation(({ ctx, input }) => setPlanArchived(ctx.admin, input)),
  /** Platform tokens (the console's operations on the REST API): made and revoked when signed in. */
  tokens: platformSessionProcedure.query(() => listPlatformTokens()),
  createToken: platformSessionProcedure
    .input(
      z.object({
        name: displayName,
        /** Days until it expires (90 when absent); null: never. */
        expiresInDays: z
          .number()
          .int("expiresInDays must be a whole number of days")
          .min(1, "expiresInDays is at least 1")
          .max(3650, "expiresInDays is at most 3650")
          .nullable()
          .optional(),
      }),
    )
    .mutation(({ ctx, input }) => createPlatformToken(ctx.admin, input)),
  revokeToken: platformSessionProcedure
    .input(z.object({ tokenId: z.uuid("tokenId must be a platform token's id") }))
    .mutation(({ ctx, input }) => revokePlatformToken(ctx.admin, input)),
});
