// Deciding approvals. An approval task waits deferred (no worker, no slot) with its wait in the
// task instance's deferState (server/operators/definitions/approval.ts). A decision is appended
// there and the task is requeued at once; the task then reads the decisions and ends, or waits on
// for more approvals. Members decide through the API or UI (workspace door: runs:operate, plus the
// task's minimum role); anyone holding a signed link decides once with it (links.ts).
//
// The deferState is written with a compare-and-set on its previous value, so concurrent decisions
// never lose each other, and only while the task is not running: a running attempt writes the
// deferState it read when it ends.

import { requeue } from "@/server/engine/complete";
import { AppError, notFound } from "@/server/errors";
import {
  type ApprovalDecision,
  type ApprovalWait,
  approvalWait,
  type WorkspaceRole,
} from "@/server/operators/definitions/approval";
import { keyset, type PageInput } from "@/server/pagination";
import { actorId, systemScope, type WorkspaceScope } from "@/server/tenancy/door";
import { type Role, roleRank } from "@/server/tenancy/roles";
import { verifyApprovalToken } from "./links";

export type Decision = ApprovalDecision["decision"];

export interface DecideInput {
  runId: string;
  taskId: string;
  /** -1 (the default) unless the approval task is mapped. */
  mapIndex?: number;
  decision: Decision;
  comment?: string;
}

/** States in which the deferState may change hands: the next claim reads what is written now. */
const WRITABLE_STATES = ["deferred", "queued", "scheduled"] as const;
/** How long a decision waits for an attempt that is evaluating earlier decisions. */
const RUNNING_RETRY_MS = 100;
const RUNNING_RETRIES = 50;

const roleOf = (role: WorkspaceRole) => role.toUpperCase() as Role;

/** A member's (or API token's) decision. */
export async function decide(scope: WorkspaceScope, input: DecideInput) {
  const run = await scope.db.dagRun.findUnique({ where: { id: input.runId }, select: { id: true } });
  if (!run) throw notFound("Run");
  const actor = actorId(scope.actor);
  const result = await record(scope, input, (wait) => {
    if (roleRank[scope.role] < roleRank[roleOf(wait.minRole)]) {
      throw new AppError(
        "FORBIDDEN",
        `Answering this approval needs the ${wait.minRole} role or above; yours is ${scope.role.toLowerCase()}`,
      );
    }
    if (wait.decisions.some((d) => d.actor === actor)) {
      throw new AppError("CONFLICT", "You already answered this approval");
    }
    return {
      decision: { ...decisionOf(input), actor, label: scope.actor.label, via: "member" },
      usedLink: undefined,
    };
  });
  await scope.audit(`approval.${input.decision}`, `${input.runId}/${input.taskId}`, {
    mapIndex: input.mapIndex ?? -1,
    ...(input.comment ? { comment: input.comment } : {}),
  });
  return result;
}

/** A decision through a signed link: the link is the credential, and it works once. */
export async function decideWithLink(token: string, comment = "") {
  const check = verifyApprovalToken(token);
  if (!check.ok) throw linkError(check.reason);
  const { claims } = check;
  const scope = await systemScope(claims.w);
  const input: DecideInput = {
    runId: claims.r,
    taskId: claims.t,
    mapIndex: claims.m,
    decision: claims.d,
    comment,
  };
  const result = await record(
    scope,
    input,
    (wait) => {
      // A link of an earlier wait of this task (cleared and run again) has a nonce this wait never issued.
      if (!wait.links.includes(claims.n)) throw linkError("closed");
      if (wait.usedLinks.includes(claims.n)) throw linkError("used");
      return {
        decision: { ...decisionOf(input), actor: `link:${claims.n}`, label: "signed link", via: "link" },
        usedLink: claims.n,
      };
    },
    () => linkError("closed"),
  );
  await scope.audit(`approval.${input.decision}`, `${input.runId}/${input.taskId}`, {
    mapIndex: input.mapIndex,
    via: "signed link",
    ...(comment ? { comment } : {}),
  });
  return result;
}

/** What a link's confirmation page shows; throws as decideWithLink would for a dead link. */
export async function describeLink(token: string) {
  const check = verifyApprovalToken(token);
  if (!check.ok) throw linkError(check.reason);
  const { claims } = check;
  const scope = await systemScope(claims.w);
  const instance = await scope.db.taskInstance.findFirst({
    where: { runId: claims.r, taskId: claims.t, mapIndex: claims.m },
    select: { state: true, deferState: true, run: { select: { dag: { select: { key: true } } } } },
  });
  const wait = approvalWait(instance?.deferState);
  if (!instance || !wait?.links.includes(claims.n)) throw linkError("closed");
  if (wait.usedLinks.includes(claims.n)) throw linkError("used");
  return {
    decision: claims.d,
    message: wait.message,
    dagId: instance.run.dag.key,
    runId: claims.r,
    taskId: claims.t,
    expiresAt: new Date(claims.e * 1000).toISOString(),
  };
}

function linkError(reason: "invalid" | "expired" | "used" | "closed"): AppError {
  switch (reason) {
    case "invalid":
      return new AppError("NOT_FOUND", "This approval link is not valid");
    case "expired":
      return new AppError("CONFLICT", "This approval link has expired");
    case "used":
      return new AppError("CONFLICT", "This approval link has already been used");
    case "closed":
      return new AppError("CONFLICT", "This approval is no longer waiting for a decision");
  }
}

function decisionOf(input: DecideInput): Pick<ApprovalDecision, "decision" | "comment" | "at"> {
  return { decision: input.decision, comment: input.comment ?? "", at: new Date().toISOString() };
}

/**
 * Appends a decision to the waiting approval's deferState (compare-and-set, retried while the
 * task is running or another decision lands first) and requeues the task.
 */
async function record(
  scope: WorkspaceScope,
  input: DecideInput,
  accept: (wait: ApprovalWait) => { decision: ApprovalDecision; usedLink: string | undefined },
  notWaiting = () =>
    new AppError("CONFLICT", "This task is not waiting for an approval (it may have ended already)"),
) {
  const where = { runId: input.runId, taskId: input.taskId, mapIndex: input.mapIndex ?? -1 };
  for (let tries = 0; ; tries++) {
    const instance = await scope.db.taskInstance.findFirst({
      where,
      select: { id: true, state: true, tryNumber: true, deferState: true },
    });
    if (!instance) throw notFound("Task");
    const wait = approvalWait(instance.deferState);
    if (instance.state === "running" && wait && tries < RUNNING_RETRIES) {
      await new Promise((resolve) => setTimeout(resolve, RUNNING_RETRY_MS));
      continue;
    }
    if (wait && instance.state === "running") {
      throw new AppError("CONFLICT", "The approval is being evaluated right now; try again in a moment");
    }
    if (!wait || !(WRITABLE_STATES as readonly string[]).includes(instance.state)) throw notWaiting();
    const { decision, usedLink } = accept(wait);
    const next: ApprovalWait = {
      ...wait,
      decisions: [...wait.decisions, decision],
      usedLinks: usedLink ? [...wait.usedLinks, usedLink] : wait.usedLinks,
    };
    const { count } = await scope.db.taskInstance.updateMany({
      where: {
        id: instance.id,
        tryNumber: instance.tryNumber,
        state: { in: [...WRITABLE_STATES] },
        deferState: { equals: instance.deferState as object },
      },
      data: { deferState: next as object },
    });
    if (count === 0) continue; // changed meanwhile: read again
    // Deferred: run it now instead of at its timeout. Queued or scheduled: it runs soon anyway.
    if (instance.state === "deferred") await requeue(instance.id, scope.workspace.id, instance.tryNumber);
    const approvals = next.decisions.filter((d) => d.decision === "approve").length;
    return {
      runId: input.runId,
      taskId: input.taskId,
      mapIndex: where.mapIndex,
      decision: input.decision,
      approvals,
      needed: next.count,
      outcome:
        input.decision === "reject"
          ? "rejected"
          : approvals >= next.count
            ? "approved"
            : "waiting for more approvals",
    };
  }
}

// Task instances by id: a waiting approval's queuedAt may be null, and a page needs a total order.
const pendingOrder = keyset([["id", "asc"]]);

/** Approvals of the workspace waiting for a decision. */
export async function pendingApprovals(
  scope: WorkspaceScope,
  input: PageInput & { runId?: string | undefined },
) {
  if (input.runId) {
    const run = await scope.db.dagRun.findUnique({ where: { id: input.runId }, select: { id: true } });
    if (!run) throw notFound("Run");
  }
  const page = await pendingOrder.page(input, ({ where, ...query }) =>
    scope.db.taskInstance.findMany({
      ...query,
      where: {
        state: "deferred",
        deferState: { path: ["kind"], equals: "approval" },
        ...(input.runId ? { runId: input.runId } : {}),
        ...where,
      },
      select: {
        id: true,
        runId: true,
        taskId: true,
        mapIndex: true,
        deferState: true,
        run: { select: { logicalDate: true, dag: { select: { key: true } } } },
      },
    }),
  );
  return {
    ...page,
    items: page.items.flatMap((instance) => {
      const wait = approvalWait(instance.deferState);
      if (!wait) return [];
      return [
        {
          runId: instance.runId,
          dagId: instance.run.dag.key,
          logicalDate: instance.run.logicalDate,
          taskId: instance.taskId,
          mapIndex: instance.mapIndex,
          message: wait.message,
          minRole: wait.minRole,
          needed: wait.count,
          waitingSince: wait.waitingSince,
          timeoutAt: wait.timeoutAt,
          decisions: wait.decisions.map(({ actor: _actor, ...rest }) => rest),
        },
      ];
    }),
  };
}
