"use client";
// Pausing a DAG stops its scheduled runs; manual runs still work. Roles without dags:write see
// the state, not a switch.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { errorMessage } from "@/app/_components/errors";
import { useWorkspace } from "@/app/_components/shell";
import { focusRing } from "@/app/_components/styles";
import { useTRPC } from "@/app/_lib/trpc";

export function PauseSwitch({ dagId, paused }: { dagId: string; paused: boolean }) {
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const setPaused = useMutation(
    trpc.dags.setPaused.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.dags.pathKey() }),
    }),
  );
  const shown = setPaused.isPending ? setPaused.variables.paused : paused;
  const label = shown ? "Paused" : "Active";
  if (!workspace.can("dags:write")) {
    return (
      <span className={`text-sm ${shown ? "text-slate-500" : "font-medium text-emerald-700"}`}>{label}</span>
    );
  }
  return (
    <span className="inline-flex items-center gap-2">
      <button
        type="button"
        role="switch"
        aria-checked={!shown}
        aria-label={`${dagId} scheduling`}
        disabled={setPaused.isPending}
        onClick={() => setPaused.mutate({ workspace: workspace.slug, dagId, paused: !shown })}
        className={`relative inline-flex h-5 w-9 shrink-0 items-center rounded-full transition-colors ${
          shown ? "bg-slate-300" : "bg-emerald-600"
        } ${focusRing}`}
      >
        <span
          aria-hidden="true"
          className={`inline-block size-4 rounded-full bg-white shadow transition-transform ${shown ? "translate-x-0.5" : "translate-x-4.5"}`}
        />
      </button>
      <span className={`text-sm ${shown ? "text-slate-500" : "font-medium text-emerald-700"}`}>{label}</span>
      {setPaused.error && (
        <span role="alert" className="text-xs text-red-700">
          {errorMessage(setPaused.error)}
        </span>
      )}
    </span>
  );
}
