"use client";
// What an operator does to one task of a run, each confirmed with what it affects: clear it (with
// its downstream or upstream tasks, only the failed ones, on the DAG's latest version), the
// affected tasks listed by a dry run of the same clear; mark it success or failed, listing the
// downstream tasks that will follow.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { AffectedList, ConfirmButton, ConfirmDialog } from "@/app/_components/confirm-dialog";
import { errorMessage } from "@/app/_components/errors";
import { CheckboxField } from "@/app/_components/field";
import { useWorkspace } from "@/app/_components/shell";
import { StateBadge } from "@/app/_components/state-badge";
import { useTRPC } from "@/app/_lib/trpc";

interface ClearChoices {
  downstream: boolean;
  upstream: boolean;
  onlyFailed: boolean;
  latestVersion: boolean;
}

/** The tasks a clear (or mark) resets, from the server's dry run of it. */
function useAffected(runId: string, taskId: string, choices: Omit<ClearChoices, "latestVersion">) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  return useQuery(
    trpc.runs.clearPreview.queryOptions({ workspace: slug, runId, taskIds: [taskId], ...choices }),
  );
}

function AffectedTasks({
  label,
  query,
  exclude,
}: {
  label: string;
  query: ReturnType<typeof useAffected>;
  exclude?: string;
}) {
  if (query.error) return <Alert tone="warning">{errorMessage(query.error)}</Alert>;
  if (!query.data) return <p role="status">Listing the tasks it affects…</p>;
  const tasks = query.data.tasks.filter((task) => task.taskId !== exclude);
  if (tasks.length === 0) return <p>No other task is affected.</p>;
  return (
    <AffectedList
      label={`${label} (${tasks.length})`}
      items={tasks.map((task) => (
        <span key={task.taskId} className="flex items-center justify-between gap-2">
          {task.taskId} <StateBadge state={task.state} />
        </span>
      ))}
    />
  );
}

function ClearDialog({
  runId,
  taskId,
  onClose,
  onCleared,
}: {
  runId: string;
  taskId: string;
  onClose: () => void;
  onCleared: (cleared: string[]) => void;
}) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const [choices, setChoices] = useState<ClearChoices>({
    downstream: true,
    upstream: false,
    onlyFailed: false,
    latestVersion: false,
  });
  const { latestVersion, ...scope } = choices;
  const affected = useAffected(runId, taskId, scope);
  const clear = useMutation(trpc.runs.clear.mutationOptions());
  const option = (key: keyof ClearChoices, label: string, hint?: string) => (
    <CheckboxField
      label={label}
      hint={hint}
      checked={choices[key]}
      onChange={(event) => setChoices({ ...choices, [key]: event.target.checked })}
    />
  );
  return (
    <ConfirmDialog
      open
      onClose={onClose}
      title={`Clear ${taskId}?`}
      description="Cleared tasks run again; everything else keeps its state and output."
      tone="primary"
      confirmLabel={
        affected.data
          ? `Clear ${affected.data.tasks.length} task${affected.data.tasks.length === 1 ? "" : "s"}`
          : "Clear"
      }
      pendingLabel="Clearing…"
      blocked={!affected.data}
      preview={
        <div className="space-y-4">
          <fieldset className="space-y-2">
            <legend className="sr-only">What to clear</legend>
            {option("downstream", "Downstream", "Also every task after it, so they use its new output.")}
            {option("upstream", "Upstream", "Also every task before it.")}
            {option(
              "onlyFailed",
              "Only failed",
              "Of those, only the tasks that failed or whose upstream failed.",
            )}
            {option(
              "latestVersion",
              "With the DAG's latest version",
              "To run a fix: the run moves to the current version (its graph must be unchanged).",
            )}
          </fieldset>
          <AffectedTasks label="Tasks to clear" query={affected} />
        </div>
      }
      onConfirm={async () => {
        const result = await clear.mutateAsync({
          workspace: slug,
          runId,
          taskIds: [taskId],
          ...scope,
          latestVersion,
        });
        onCleared(result.cleared);
      }}
    />
  );
}

function MarkButton({
  runId,
  taskId,
  state,
  onChanged,
}: {
  runId: string;
  taskId: string;
  state: "success" | "failed";
  onChanged: () => void;
}) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const mark = useMutation(trpc.runs.mark.mutationOptions({ onSuccess: onChanged }));
  return (
    <ConfirmButton
      size="sm"
      title={`Mark ${taskId} ${state === "success" ? "successful" : "failed"}?`}
      description={
        state === "success"
          ? "It counts as succeeded without running, and the tasks after it are cleared to run again."
          : "It counts as failed, and the tasks after it are cleared to follow (by their trigger rules)."
      }
      preview={<MarkPreview runId={runId} taskId={taskId} />}
      tone={state === "success" ? "primary" : "danger"}
      confirmLabel={state === "success" ? "Mark success" : "Mark failed"}
      pendingLabel="Marking…"
      onConfirm={() => mark.mutateAsync({ workspace: slug, runId, taskId, state })}
    >
      {state === "success" ? "Mark success" : "Mark failed"}
    </ConfirmButton>
  );
}

function MarkPreview({ runId, taskId }: { runId: string; taskId: string }) {
  const affected = useAffected(runId, taskId, { downstream: true, upstream: false, onlyFailed: false });
  return <AffectedTasks label="Downstream tasks to clear" query={affected} exclude={taskId} />;
}

export function TaskActions({
  runId,
  taskId,
  onChanged,
}: {
  runId: string;
  taskId: string;
  onChanged: () => void;
}) {
  const [clearing, setClearing] = useState(false);
  const [cleared, setCleared] = useState<string[] | null>(null);
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap gap-2">
        <Button size="sm" variant="secondary" onClick={() => setClearing(true)}>
          Clear…
        </Button>
        <MarkButton runId={runId} taskId={taskId} state="success" onChanged={onChanged} />
        <MarkButton runId={runId} taskId={taskId} state="failed" onChanged={onChanged} />
      </div>
      {cleared && (
        <p role="status" className="text-xs text-slate-600">
          Cleared: {cleared.join(", ")}
        </p>
      )}
      {clearing && (
        <ClearDialog
          runId={runId}
          taskId={taskId}
          onClose={() => setClearing(false)}
          onCleared={(ids) => {
            setCleared(ids);
            onChanged();
          }}
        />
      )}
    </div>
  );
}
