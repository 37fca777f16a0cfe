"use client";
// Approval tasks of a run that wait for a decision (deferred, with their wait in the task's
// deferState: server/approvals/service.ts): a banner listing them, and the Approve / Reject form
// shown there and in the task drawer. Only members who may answer see the buttons: runs:operate
// and the approval's minimum role, as the server checks.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useId, useState } from "react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { errorMessage } from "@/app/_components/errors";
import { useWorkspace } from "@/app/_components/shell";
import { control } from "@/app/_components/styles";
import { Time } from "@/app/_components/time";
import { useTRPC } from "@/app/_lib/trpc";
import type { AppRouter } from "@/server/api/root";
import { type Role, roleRank } from "@/server/tenancy/roles";

export type PendingApproval = inferRouterOutputs<AppRouter>["approvals"]["pending"]["items"][number];

const label = (approval: PendingApproval) =>
  approval.mapIndex >= 0 ? `${approval.taskId}[${approval.mapIndex}]` : approval.taskId;

/** Whether the signed-in member may answer: what `approvals.decide` checks. */
function useMayDecide(approval: PendingApproval) {
  const workspace = useWorkspace();
  return (
    workspace.can("runs:operate") &&
    roleRank[workspace.role] >= roleRank[approval.minRole.toUpperCase() as Role]
  );
}

/** Approve or reject, with an optional comment. */
export function ApprovalDecision({ runId, approval }: { runId: string; approval: PendingApproval }) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const commentId = useId();
  const [comment, setComment] = useState("");
  const mayDecide = useMayDecide(approval);
  const decide = useMutation(
    trpc.approvals.decide.mutationOptions({
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.approvals.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.runs.pathKey() }),
        ]),
    }),
  );
  const approvals = approval.decisions.filter((d) => d.decision === "approve").length;

  return (
    <div className="space-y-2">
      <p className="text-sm whitespace-pre-wrap text-slate-900">{approval.message}</p>
      <p className="text-xs text-slate-600">
        {approvals} of {approval.needed} approval{approval.needed === 1 ? "" : "s"} · from {approval.minRole}{" "}
        or above · if nobody answers, decided at <Time value={new Date(approval.timeoutAt)} />
      </p>
      {approval.decisions.length > 0 && (
        <ul className="text-xs text-slate-600">
          {approval.decisions.map((d) => (
            <li key={`${d.label}:${d.at}`}>
              {d.decision === "approve" ? "Approved" : "Rejected"} by {d.label}
              {d.comment && `: “${d.comment}”`}
            </li>
          ))}
        </ul>
      )}
      {!mayDecide ? (
        <p className="text-xs text-slate-500">
          Answering needs the {approval.minRole} role or above (and permission to operate runs).
        </p>
      ) : decide.isSuccess ? (
        <p role="status" className="text-sm font-medium text-emerald-800">
          {decide.data.outcome === "approved"
            ? "Approved: the run goes on."
            : decide.data.outcome === "rejected"
              ? "Rejected: the task fails."
              : `Approved; ${decide.data.approvals} of ${decide.data.needed} approvals so far.`}
        </p>
      ) : (
        <div className="space-y-2">
          <div>
            <label htmlFor={commentId} className="block text-xs font-medium text-slate-700">
              Comment (optional)
            </label>
            <input
              id={commentId}
              value={comment}
              maxLength={2000}
              autoComplete="off"
              onChange={(event) => setComment(event.target.value)}
              className={`${control} mt-1 block w-full py-1.5`}
            />
          </div>
          <div className="flex gap-2">
            {(["approve", "reject"] as const).map((decision) => (
              <Button
                key={decision}
                size="sm"
                variant={decision === "approve" ? "primary" : "danger"}
                disabled={decide.isPending}
                onClick={() =>
                  decide.mutate({
                    workspace: slug,
                    runId,
                    taskId: approval.taskId,
                    mapIndex: approval.mapIndex,
                    decision,
                    ...(comment ? { comment } : {}),
                  })
                }
              >
                {decision === "approve" ? "Approve" : "Reject"}
                <span className="sr-only"> {label(approval)}</span>
              </Button>
            ))}
          </div>
          {decide.error && <Alert tone="error">{errorMessage(decide.error)}</Alert>}
        </div>
      )}
    </div>
  );
}

/** The run's approvals waiting for a decision, above the graph. */
export function ApprovalBanner({
  runId,
  pending,
  onOpen,
}: {
  runId: string;
  pending: PendingApproval[];
  /** Opens the task in the drawer. */
  onOpen: (taskId: string) => void;
}) {
  if (pending.length === 0) return null;
  return (
    <section
      aria-label="Waiting for approval"
      className="mb-4 rounded-md border border-violet-200 bg-violet-50 px-4 py-3"
    >
      <h2 className="text-sm font-semibold text-violet-900">
        Waiting for approval: {pending.length} task{pending.length === 1 ? "" : "s"}
      </h2>
      <ul className="mt-2 divide-y divide-violet-200">
        {pending.map((approval) => (
          <li key={`${approval.taskId}:${approval.mapIndex}`} className="py-2">
            <div className="mb-1 flex items-center gap-2">
              <span className="font-mono text-sm font-medium text-slate-900">{label(approval)}</span>
              <span className="text-xs text-slate-600">
                waiting since <Time value={new Date(approval.waitingSince)} />
              </span>
              {approval.mapIndex === -1 && (
                <Button variant="ghost" size="sm" onClick={() => onOpen(approval.taskId)}>
                  Open task<span className="sr-only"> {approval.taskId}</span>
                </Button>
              )}
            </div>
            <ApprovalDecision runId={runId} approval={approval} />
          </li>
        ))}
      </ul>
    </section>
  );
}
