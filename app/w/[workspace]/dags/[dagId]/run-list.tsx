"use client";
// The runs of a DAG, newest first, filtered by state.
import Link from "next/link";
import { useState } from "react";
import { EmptyState } from "@/app/_components/empty-state";
import { SelectField } from "@/app/_components/field";
import { LoadMore } from "@/app/_components/load-more";
import { Loaded } from "@/app/_components/loaded";
import { runReason } from "@/app/_components/run-reason";
import { useWorkspace } from "@/app/_components/shell";
import { isRunFinished, runStates, StateBadge, stateLabel } from "@/app/_components/state-badge";
import { link } from "@/app/_components/styles";
import { Cell, Rows, Table } from "@/app/_components/table";
import { elapsed, formatDuration, Time } from "@/app/_components/time";
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
            <Table
              caption="Runs"
              columns={["Run", "State", "Triggered", "Logical date", "Started", "Duration", "Note"]}
            >
              <Rows>
                {list.map((run) => (
                  <tr key={run.id}>
                    <Cell>
                      <Link href={`/w/${slug}/runs/${run.id}`} className={`font-mono text-xs ${link}`}>
                        {run.id.slice(0, 8)}
                      </Link>
                    </Cell>
                    <Cell>
                      <StateBadge state={run.state} />
                      {runReason(run) && (
                        <p className="mt-1 max-w-xs text-xs text-slate-600">{runReason(run)}</p>
                      )}
                    </Cell>
                    <Cell className="text-xs">
                      {run.triggeredBy}
                      {run.triggeredByLabel && (
                        <span className="text-slate-500"> · {run.triggeredByLabel}</span>
                      )}
                    </Cell>
                    <Cell>
                      <Time value={run.logicalDate} />
                    </Cell>
                    <Cell>
                      <Time value={run.startedAt} fallback="Not yet" />
                    </Cell>
                    <Cell className="text-xs whitespace-nowrap">
                      {run.startedAt ? formatDuration(elapsed(run.startedAt, run.endedAt) ?? 0) : "—"}
                    </Cell>
                    <Cell className="max-w-64 truncate text-xs" title={run.note}>
                      {run.note}
                    </Cell>
                  </tr>
                ))}
              </Rows>
            </Table>
          )
        }
      </Loaded>
      <LoadMore pages={runs} noun="runs" />
    </>
  );
}
