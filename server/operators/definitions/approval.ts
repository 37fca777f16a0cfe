import { z } from "zod";
import { NonRetryableError } from "../execution";
import { defineOperator } from "../types";
import { notifyConfigSchema, sendNotification } from "./notify";

/** Workspace roles, weakest first (the Role enum of the data model, in lower case). */
export const workspaceRoles = ["viewer", "operator", "editor", "admin", "owner"] as const;
export type WorkspaceRole = (typeof workspaceRoles)[number];

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
      /** The weakest role that may answer (in the UI and API; Operator at least in any case). */
      minRole: z.enum(workspaceRoles).default("operator"),
      /** Approvals needed; one rejection is enough to reject. */
      count: z.int().min(1).max(10).default(1),
    })
    .prefault({}),
  /** Sent once when the wait starts, with signed single-use approve and reject links added. */
  notify: notifyConfigSchema.optional(),
});

/** One answer to an approval. */
export interface ApprovalDecision {
  decision: "approve" | "reject";
  /** A user id, `token:<id>`, or `link:<nonce>` for a signed link. */
  actor: string;
  label: string;
  comment: string;
  at: string;
  via: "member" | "link";
}

/**
 * What a waiting approval keeps in its task instance's deferState. The approvals service records
 * decisions (and used links) into it and requeues the task, which then reads them here.
 */
export interface ApprovalWait {
  kind: "approval";
  /** The rendered message. */
  message: string;
  minRole: WorkspaceRole;
  count: number;
  waitingSince: string;
  timeoutAt: string;
  decisions: ApprovalDecision[];
  /** Nonces of the signed links sent for this wait; each works once. */
  links: string[];
  usedLinks: string[];
}

/** The approval wait in a deferState, or null when the task is not waiting for one. */
export function approvalWait(deferState: unknown): ApprovalWait | null {
  const state = deferState as Partial<ApprovalWait> | null;
  return state?.kind === "approval" && Array.isArray(state.decisions) ? (state as ApprovalWait) : null;
}

/** Where the links of a wait point: `<base>/api/approvals/<token>`. */
async function approvalLinks(claims: { w: string; r: string; t: string; m: number; e: number; n: string }) {
  // Imported here, not at the top: the operator catalog (and so this module) is in the browser bundle.
  const { env } = await import("@/server/config");
  const base = env.NEXTAUTH_URL;
  if (!base || !env.NEXTAUTH_SECRET) {
    throw new NonRetryableError(
      "Approval links need NEXTAUTH_URL (the web address) and NEXTAUTH_SECRET on the worker; unset notify or configure them",
    );
  }
  const { approvalLinkUrl } = await import("../../approvals/links");
  return {
    approve: approvalLinkUrl(base, { ...claims, d: "approve" }),
    reject: approvalLinkUrl(base, { ...claims, d: "reject" }),
  };
}

export const approvalOperator = defineOperator({
  name: "approval",
  title: "Approval",
  description: "Waits for a person to approve or reject.",
  icon: "hand",
  docs:
    "Pauses the branch until `approvers.count` members with at least `approvers.minRole` (and at " +
    "least Operator) approve (the task succeeds) or one rejects (it fails), in the UI or through " +
    "the API. With `notify`, a notification (any notify channel) is sent when the wait starts, with " +
    "signed approve and reject links that work once each, without signing in. Without an answer " +
    "within `timeoutSeconds`, `defaultOutcome` decides. The output records who answered and when. " +
    "The task holds no worker while it waits.",
  configSchema: approvalConfigSchema,
  templatedFields: ["message", "notify.to", "notify.subject", "notify.text", "notify.url"],
  connectionFields: { "notify.connection": ["smtp", "slack", "http"] },
  defaults: { message: "Publish the report for {{ run.logical_date | date }}?" },
  async execute({ config, deferState, log, signal, workspaceId, run, task }) {
    const waiting = approvalWait(deferState);
    const now = Date.now();
    if (!waiting) {
      const timeoutAt = new Date(now + config.timeoutSeconds * 1000);
      const wait: ApprovalWait = {
        kind: "approval",
        message: config.message,
        minRole: config.approvers.minRole,
        count: config.approvers.count,
        waitingSince: new Date(now).toISOString(),
        timeoutAt: timeoutAt.toISOString(),
        decisions: [],
        links: [],
        usedLinks: [],
      };
      if (config.notify) {
        const { randomBytes } = await import("node:crypto");
        const nonce = randomBytes(12).toString("base64url");
        const links = await approvalLinks({
          w: workspaceId,
          r: run.id,
          t: task.id,
          m: task.mapIndex,
          e: Math.floor(timeoutAt.getTime() / 1000),
          n: nonce,
        });
        const lines = `\n\nApprove: ${links.approve}\nReject: ${links.reject}\n(Each link works once, until ${timeoutAt.toISOString()}.)`;
        // E-mail and Slack get the links in their text; a webhook gets them as fields of its body.
        const notify =
          config.notify.channel === "webhook"
            ? config.notify
            : { ...config.notify, text: `${config.notify.text}${lines}` };
        const about = {
          event: "approval.requested",
          run: { id: run.id, logicalDate: run.logicalDate.toISOString() },
          task: { id: task.id, mapIndex: task.mapIndex },
          approval: { message: config.message, approveUrl: links.approve, rejectUrl: links.reject },
        };
        await sendNotification(notify, { workspaceId, runId: run.id, signal, log, about });
        wait.links.push(nonce);
      }
      log.info(
        `waiting until ${wait.timeoutAt} for ${wait.count} approval(s) from ${wait.minRole} or above: ${wait.message}`,
      );
      return { defer: { until: timeoutAt, state: wait } };
    }

    const rejection = waiting.decisions.find((d) => d.decision === "reject");
    if (rejection) {
      throw new NonRetryableError(
        `Rejected by ${rejection.label}${rejection.comment ? `: ${rejection.comment}` : ""}`,
      );
    }
    const approvals = waiting.decisions.filter((d) => d.decision === "approve");
    const output = (byTimeout: boolean) => ({
      outcome: "approved",
      byTimeout,
      decisions: waiting.decisions,
    });
    if (approvals.length >= waiting.count) {
      log.info(`approved by ${approvals.map((d) => d.label).join(", ")}`);
      return { output: output(false) };
    }
    if (now >= Date.parse(waiting.timeoutAt)) {
      if (config.defaultOutcome === "approve") {
        log.warn(`no decision by ${waiting.timeoutAt}: approved by default (defaultOutcome)`);
        return { output: output(true) };
      }
      throw new NonRetryableError(
        `No decision by ${waiting.timeoutAt} (${approvals.length} of ${waiting.count} approvals); the default outcome is reject`,
      );
    }
    log.info(
      `${approvals.length} of ${waiting.count} approval(s) so far; waiting until ${waiting.timeoutAt}`,
    );
    return { defer: { until: new Date(waiting.timeoutAt), state: waiting } };
  },
});
