// The answers of the console's operations on the REST API (platform tokens, /api/v1/platform/*).
// The web app reads these procedures' answers in full; over REST each route names the shape it
// answers (RestRoute.answer), which the OpenAPI document describes and the handler keeps to.
import { z } from "zod";
import { overQuotaPolicySchema, quotasSchema } from "@/server/quotas/catalog";
import { timestamp } from "./common";
import { auditEventPage } from "./workspace";

const quotas = quotasSchema.meta({
  id: "Quotas",
  description: "Every quota of the catalogue (docs/usage.md)",
});
const status = z.enum(["active", "suspended", "deleted"]);

export const platformWorkspaceRow = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    createdAt: timestamp,
    planKey: z.string(),
    planName: z.string(),
    status,
    suspendedAt: timestamp.nullable(),
    suspendedReason: z.string().nullable(),
    deletedAt: timestamp.nullable(),
    purgeAfter: timestamp.nullable().describe("When a deleted workspace is purged (null: not deleted)"),
    taskRuns: z.number().describe("Metered task runs of the current UTC month"),
    maxTaskRunsPerMonth: z.number(),
    taskSeconds: z.number().describe("Metered task-seconds of the current UTC month"),
    maxTaskSecondsPerMonth: z.number(),
    dags: z.number().describe("DAGs not archived"),
    maxDags: z.number(),
    members: z.number(),
    maxMembers: z.number(),
    runningRuns: z.number(),
  })
  .meta({ id: "PlatformWorkspace" });

export const platformWorkspacePage = z.object({
  workspaces: z.array(platformWorkspaceRow),
  total: z.number().describe("Workspaces matching the search, on every page"),
  page: z.number(),
  pageSize: z.number(),
});

/** A workspace after a change (plan, suspension): its state and effective quotas. */
export const platformWorkspaceState = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    status,
    suspendedAt: timestamp.nullable(),
    suspendedReason: z.string().nullable(),
    plan: z.object({ key: z.string(), name: z.string(), overQuotaPolicy: overQuotaPolicySchema, quotas }),
    overrides: quotasSchema.partial().describe("The workspace's own values on top of the plan's"),
    effective: quotas.describe("What the engine enforces: the plan's quotas with the overrides on top"),
    overQuotaPolicy: overQuotaPolicySchema,
  })
  .meta({ id: "PlatformWorkspaceState" });

export const planList = z.array(
  z
    .object({
      key: z.string(),
      name: z.string(),
      description: z.string(),
      overQuotaPolicy: overQuotaPolicySchema,
      quotas,
      workspaces: z.number().describe("Workspaces on the plan"),
      archivedAt: timestamp.nullable().describe("Archived: no workspace can be moved onto it"),
    })
    .meta({ id: "Plan" }),
);

export const exportedFile = z
  .object({
    filename: z.string(),
    contentType: z.string().describe("text/csv; charset=utf-8 or application/json"),
    body: z.string().describe("The file's content"),
  })
  .meta({ id: "ExportedFile" });

export const platformUserPage = z.object({
  users: z.array(
    z
      .object({
        id: z.string(),
        email: z.string(),
        name: z.string(),
        createdAt: timestamp,
        emailVerifiedAt: timestamp.nullable(),
        platformAdmin: z.boolean(),
        disabledAt: timestamp.nullable(),
        workspaces: z.number().describe("Memberships"),
        liveSessions: z.number(),
        lastSeenAt: timestamp.nullable(),
      })
      .meta({ id: "PlatformUser" }),
  ),
  total: z.number(),
  page: z.number(),
  pageSize: z.number(),
});

export const userDisabledChange = z
  .object({
    email: z.string(),
    disabled: z.boolean(),
    changed: z.boolean().describe("False when it already was so (nothing recorded)"),
  })
  .meta({ id: "UserDisabledChange" });

export const platformAuditPage = auditEventPage;

export const operatorAlertsSchema = z
  .object({
    quotas: z.array(
      z.object({
        workspaceId: z.string(),
        slug: z.string(),
        name: z.string(),
        quota: z.string().describe("The quota's key, e.g. maxTaskRunsPerMonth"),
        used: z.number(),
        limit: z.number(),
        level: z.enum(["reached", "near"]).describe("reached: at or over the quota; near: at 80 % or more"),
      }),
    ),
    webhooks: z.array(
      z.object({
        workspaceId: z.string(),
        slug: z.string(),
        name: z.string(),
        failed: z.number(),
        total: z.number(),
        results: z.record(z.string(), z.number()).describe("Failed deliveries by result"),
        lastFailureAt: timestamp,
      }),
    ),
    webhookWindowHours: z.number(),
  })
  .meta({ id: "OperatorAlerts" });
