// Answers of the approvals, pools and usage procedures.
import { z } from "zod";
import { workspaceRoles } from "@/server/operators/definitions/approval";
import { pageOf } from "@/server/pagination";
import { quotaKeys } from "@/server/quotas/catalog";
import { timestamp } from "./common";

const decision = z.enum(["approve", "reject"]);

export const pendingApproval = z
  .object({
    runId: z.string(),
    dagId: z.string(),
    logicalDate: timestamp,
    taskId: z.string(),
    mapIndex: z.number().int(),
    message: z.string(),
    minRole: z.enum(workspaceRoles).describe("The weakest role that may decide"),
    needed: z.number().int().describe("Approvals needed"),
    waitingSince: z.string(),
    timeoutAt: z.string(),
    decisions: z.array(
      z.object({
        decision,
        label: z.string(),
        comment: z.string(),
        at: z.string(),
        via: z.enum(["member", "link"]),
      }),
    ),
  })
  .meta({ id: "PendingApproval", description: "An approval task waiting for a decision" });
export const pendingApprovalPage = pageOf(pendingApproval);

export const approvalDecided = z
  .object({
    runId: z.string(),
    taskId: z.string(),
    mapIndex: z.number().int(),
    decision,
    approvals: z.number().int(),
    needed: z.number().int(),
    outcome: z.string().describe('"approved", "rejected" or "waiting for more approvals"'),
  })
  .meta({ id: "ApprovalDecision" });

export const poolSchema = z
  .object({
    name: z.string(),
    slots: z.number().int(),
    admitted: z.number().int().describe("Task instances of the pool holding a slot now"),
    queued: z.number().int().describe("Ready task instances waiting for a slot"),
    description: z.string(),
    workerPool: z.string().describe("The worker pool its tasks run in"),
    agents: z.boolean().describe("An agent pool: its tasks run on the workspace's own agents"),
  })
  .meta({ id: "Pool", description: "A named slot limit shared by the workspace's DAGs" });
export const createdPoolSchema = poolSchema
  .extend({
    joinToken: z
      .string()
      .optional()
      .describe(
        "An agent pool's join token, shown this once: `baton agent --token` registers agents with it",
      ),
  })
  .meta({ id: "CreatedPool", description: "A pool just created (an agent pool's join token with it)" });
export const joinTokenSchema = z
  .object({ pool: z.string(), joinToken: z.string().describe("Shown this once") })
  .meta({ id: "JoinToken", description: "An agent pool's new join token" });
export const agentListSchema = z
  .object({
    pool: z.string(),
    joinTokenActive: z.boolean().describe("Whether agents can join with the pool's join token"),
    agents: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        version: z.string(),
        labels: z.array(z.string()),
        concurrency: z.number().int(),
        online: z.boolean(),
        lastSeenAt: z.date(),
        registeredAt: z.date(),
        revokedAt: z.date().nullable(),
        stoppedAt: z.date().nullable(),
        running: z.array(
          z.object({ attemptId: z.string(), runId: z.string(), taskId: z.string(), startedAt: z.date() }),
        ),
      }),
    ),
  })
  .meta({ id: "AgentList", description: "An agent pool's agents (the last 100 registered), newest first" });
export const workspaceWorkerPoolSchema = z
  .object({
    name: z.string(),
    workers: z.number().int().describe("Live workers serving it (0: its tasks wait)"),
    slots: z.number().int().describe("The slots of its live workers"),
    running: z.number().int().describe("This workspace's task instances holding one of its slots"),
    waiting: z.boolean().describe("Ready tasks of this workspace wait for a slot of it"),
  })
  .meta({
    id: "WorkerPool",
    description: "A worker pool the workspace's tasks run in, as the workspace sees it",
  });
export const poolPage = pageOf(poolSchema, {
  unlimited: z
    .array(
      z.object({
        name: z.string(),
        queued: z.number().int(),
        running: z.number().int(),
        workerPool: z.string(),
      }),
    )
    .describe("Pool names tasks use that have no pool: limited only by the workspace's quota"),
  quota: z.object({ maxPools: z.number().int(), maxPoolSlots: z.number().int() }),
  workerPools: z
    .array(workspaceWorkerPoolSchema)
    .describe("The worker pools the workspace's tasks run in; one without a live worker runs nothing"),
});

const quotaKey = z.enum(quotaKeys as [string, ...string[]]);

export const usageSummary = z
  .object({
    plan: z.object({ key: z.string(), name: z.string() }),
    monthStart: z.string().describe("First day (UTC) of the month the monthly quotas count"),
    quotas: z.array(
      z.object({
        key: quotaKey,
        label: z.string(),
        unit: z.enum(["count", "bytes", "seconds", "days", "per-minute"]),
        kind: z.enum(["concurrent", "monthly", "total", "limit", "share"]),
        limit: z.number(),
        bites: z.string().describe("What happens at the limit"),
        used: z.number().nullable(),
        level: z.enum(["ok", "near", "at"]).nullable(),
        note: z.string().optional(),
      }),
    ),
    storage: z.object({ bytes: z.number(), measuredOn: z.string() }).nullable(),
  })
  .meta({ id: "UsageSummary", description: "Current use against every quota of the plan" });

export const usageDay = z
  .object({
    day: z.string().describe("YYYY-MM-DD (UTC)"),
    taskRuns: z.number(),
    taskSeconds: z.number(),
    runs: z.number(),
    webhookDeliveries: z.number(),
  })
  .meta({ id: "UsageDay" });
export const usageHistory = z.array(usageDay).describe("The last 30 days, oldest first");
