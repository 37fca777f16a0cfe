import { z } from "zod";
import { defineOperator } from "../types";

/** Workspace roles, weakest first (the Role enum of the data model, in lower case). */
export const workspaceRoles = ["viewer", "operator", "editor", "admin", "owner"] as const;

export const approvalConfigSchema = z.strictObject({
  /** What the approver is asked; templated. */
  message: z.string().min(1),
  timeoutSeconds: z
    .number()
    .min(60)
    .max(30 * 86_400)
    .default(86_400),
  /** What happens when nobody answers in time. */
  defaultOutcome: z.enum(["approve", "reject"]).default("reject"),
  approvers: z
    .strictObject({
      /** The weakest role that may answer. */
      minRole: z.enum(workspaceRoles).default("operator"),
      /** Approvals needed; one rejection is enough to reject. */
      count: z.int().min(1).max(10).default(1),
    })
    .prefault({}),
});

export const approvalOperator = defineOperator({
  name: "approval",
  title: "Approval",
  description: "Waits for a person to approve or reject.",
  icon: "✋",
  docs:
    "Pauses the branch until `approvers.count` members with at least `approvers.minRole` approve " +
    "(the task succeeds) or one rejects (it fails). Without an answer within `timeoutSeconds`, " +
    "`defaultOutcome` decides. The output records who answered and when. The task holds no worker " +
    "while it waits.",
  configSchema: approvalConfigSchema,
  templatedFields: ["message"],
  defaults: { message: "Publish the report for {{ run.logical_date | date }}?" },
});
