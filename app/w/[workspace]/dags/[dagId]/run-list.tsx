"use client";
// A DAG's runs: a list filtered by state, or a calendar of its runs per day; picking a day lists
// that day's runs (UTC days of the logical date, as on the workspace's Runs page).
import { useState } from "react";
import { Button } from "@/app/_components/button";
import { EmptyState } from "@/app/_components/empty-state";
import { SelectField } from "@/app/_components/field";
import { LoadMore } from "@/app/_components/load-more";
import { Loaded } from "@/app/_components/loaded";
import { RunsCalendar, utcDay } from "@/app/_components/runs-calendar";
import { RunsTable } from "@/app/_components/runs-table";
import { useWorkspace } from "@/app/_components/shell";
import { isRunFinished, runStates, stateLabel } from "@/app/_components/state-badge";
import { runViews, ViewSwitch } from "@/app/_components/view-switch";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";
import type { RunState } from "@/server/engine/states";

export function RunList({ dagId }: { dagId: string }) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const [state, setState] = useState<RunState | "">("");
  const [view, setView] = useState<"list" | "calendar">("list");
  /** A day picked on the calendar (yyyy-mm-dd), whose runs the list shows. */
  const [day, setDay] = useState("");
  const runs = usePages((cursor) => ({
    ...trpc.runs.list.queryOptions({
      workspace: slug,
      dagId,
      cursor,
      ...(state ? { state } : {}),
      ...(day ? { logicalDateFrom: utcDay(day), logicalDateBefore: utcDay(day, 1) } : {}),
    }),
    refetchInterval: (query: { state: { data?: { items: { state: string }[] } } }) =>
      query.state.data?.items.some((run) => !isRunFinished(run.state)) ? 2000 : 15_000,
  }));
  return (
    <>
      <div className="mb-3 flex flex-wrap items-end justify-between gap-3">
        {view === "list" ? (
          <div className="flex flex-wrap items-end gap-3">
            <SelectField
              label="State"
              value={state}
              onChange={(event) => setState(event.target.value as RunState | "")}
              className="max-w-56"
            >
              <option value="">All states</option>
              {runStates.map((s) => (
                <option key={s} value={s}>
                  {stateLabel(s)}
                </option>
              ))}
            </SelectField>
            {day && (
              <p className="flex items-center gap-2 pb-1.5 text-sm text-slate-700">
                Logical date {day} (UTC)
                <Button variant="secondary" size="sm" onClick={() => setDay("")}>
                  Every day
                </Button>
              </p>
            )}
          </div>
        ) : (
          <span />
        )}
        <ViewSwitch value={view} options={runViews} onChange={setView} />
      </div>
      {view === "calendar" ? (
        <RunsCalendar
          dagId={dagId}
          triggeredBy=""
          onPickDay={(picked) => {
            setDay(picked);
            setView("list");
          }}
        />
      ) : (
        <>
          <Loaded query={runs} label="runs">
            {(list) =>
              list.length === 0 ? (
                <EmptyState
                  title={
                    state
                      ? `No ${stateLabel(state).toLowerCase()} runs${day ? ` on ${day}` : ""}`
                      : day
                        ? `No runs on ${day}`
                        : "No runs yet"
                  }
                >
                  {state || day
                    ? "Choose another state or day, or all of them."
                    : "Runs appear here once triggered or scheduled."}
                </EmptyState>
              ) : (
                <RunsTable runs={list} caption="Runs" withNote />
              )
            }
          </Loaded>
          <LoadMore pages={runs} noun="runs" />
        </>
      )}
    </>
  );
}
