"use client";
import { useState } from "react";
import { EmptyState } from "@/app/_components/empty-state";
import { SelectField } from "@/app/_components/field";
import { LoadMore } from "@/app/_components/load-more";
import { Loaded } from "@/app/_components/loaded";
import { RunsTable } from "@/app/_components/runs-table";
import { useWorkspace } from "@/app/_components/shell";
import { isRunFinished, runStates, stateLabel } from "@/app/_components/state-badge";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";
import type { RunState } from "@/server/engine/states";

export function RunList({ dagId }: { dagId: string }) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const [state, setState] = useState<RunState | "">("");
  const runs = usePages((cursor) => ({
    ...trpc.runs.list.queryOptions({ workspace: slug, dagId, cursor, ...(state ? { state } : {}) }),
    refetchInterval: (query: { state: { data?: { items: { state: string }[] } } }) =>
      query.state.data?.items.some((run) => !isRunFinished(run.state)) ? 2000 : 15_000,
  }));
  return (
    <>
      <SelectField
        label="State"
        value={state}
        onChange={(event) => setState(event.target.value as RunState | "")}
        className="mb-3 max-w-56"
      >
        <option value="">All states</option>
        {runStates.map((s) => (
          <option key={s} value={s}>
            {stateLabel(s)}
          </option>
        ))}
      </SelectField>
      <Loaded query={runs} label="runs">
        {(list) =>
          list.length === 0 ? (
            <EmptyState title={state ? `No ${stateLabel(state).toLowerCase()} runs` : "No runs yet"}>
              {state
                ? "Choose another state, or all states."
                : "Runs appear here once triggered or scheduled."}
            </EmptyState>
          ) : (
            <RunsTable runs={list} caption="Runs" withNote />
          )
        }
      </Loaded>
      <LoadMore pages={runs} noun="runs" />
    </>
  );
}
