"use client";
// Every run of the workspace, newest first, filtered by DAG, state, what triggered it and logical
// date (UTC days), a page at a time; or as a calendar of runs per day.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { EmptyState } from "@/app/_components/empty-state";
import { Field, SelectField } from "@/app/_components/field";
import { LoadMore } from "@/app/_components/load-more";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader } from "@/app/_components/page-header";
import { RunsCalendar, utcDay } from "@/app/_components/runs-calendar";
import { RunsTable, triggerLabels } from "@/app/_components/runs-table";
import { useWorkspace } from "@/app/_components/shell";
import { isRunFinished, runStates, stateLabel } from "@/app/_components/state-badge";
import { runViews, ViewSwitch } from "@/app/_components/view-switch";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";
import { type RunTrigger, runTriggers } from "@/server/engine/run-triggers";
import type { RunState } from "@/server/engine/states";
import { MAX_PAGE_SIZE } from "@/server/pagination";

export default function WorkspaceRunsPage() {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const [dagId, setDagId] = useState("");
  const [state, setState] = useState<RunState | "">("");
  const [trigger, setTrigger] = useState<RunTrigger | "">("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [view, setView] = useState<"list" | "calendar">("list");
  const dags = useQuery(trpc.dags.list.queryOptions({ workspace: slug, limit: MAX_PAGE_SIZE }));
  const filters = {
    ...(dagId ? { dagId } : {}),
    ...(state ? { state } : {}),
    ...(trigger ? { triggeredBy: trigger } : {}),
    ...(from ? { logicalDateFrom: utcDay(from) } : {}),
    // Through the end of the day chosen.
    ...(to ? { logicalDateBefore: utcDay(to, 1) } : {}),
  };
  const filtered = Object.keys(filters).length > 0;
  const runs = usePages((cursor) => ({
    ...trpc.runs.list.queryOptions({ workspace: slug, cursor, ...filters }),
    refetchInterval: (query: { state: { data?: { items: { state: string }[] } } }) =>
      query.state.data?.items.some((run) => !isRunFinished(run.state)) ? 2000 : 15_000,
  }));
  return (
    <>
      <PageHeader
        title="Runs"
        description="Every run of every DAG in this workspace, newest first."
        actions={<ViewSwitch value={view} options={runViews} onChange={setView} />}
      />
      <form
        aria-label="Filter runs"
        className="mb-4 grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5"
        onSubmit={(event) => event.preventDefault()}
      >
        <SelectField label="DAG" value={dagId} onChange={(event) => setDagId(event.target.value)}>
          <option value="">All DAGs</option>
          {dags.data?.items.map((dag) => (
            <option key={dag.dagId} value={dag.dagId}>
              {dag.dagId}
            </option>
          ))}
        </SelectField>
        {view === "list" && (
          <SelectField
            label="State"
            value={state}
            onChange={(event) => setState(event.target.value as RunState | "")}
          >
            <option value="">All states</option>
            {runStates.map((s) => (
              <option key={s} value={s}>
                {stateLabel(s)}
              </option>
            ))}
          </SelectField>
        )}
        <SelectField
          label="Triggered by"
          value={trigger}
          onChange={(event) => setTrigger(event.target.value as RunTrigger | "")}
        >
          <option value="">Anything</option>
          {runTriggers.map((t) => (
            <option key={t} value={t}>
              {triggerLabels[t]}
            </option>
          ))}
        </SelectField>
        {view === "list" && (
          <>
            <Field
              label="Logical date from (UTC)"
              type="date"
              value={from}
              onChange={(event) => setFrom(event.target.value)}
            />
            <Field
              label="Logical date to (UTC)"
              type="date"
              value={to}
              onChange={(event) => setTo(event.target.value)}
            />
          </>
        )}
      </form>
      {view === "calendar" ? (
        <RunsCalendar
          dagId={dagId}
          triggeredBy={trigger}
          onPickDay={(day) => {
            setFrom(day);
            setTo(day);
            setView("list");
          }}
        />
      ) : (
        <>
          <Loaded query={runs} label="runs">
            {(list) =>
              list.length === 0 ? (
                <EmptyState title={filtered ? "No runs match these filters" : "No runs yet"}>
                  {filtered
                    ? "Change or clear a filter."
                    : "Runs appear here once a DAG is triggered, scheduled or called by a webhook."}
                </EmptyState>
              ) : (
                <RunsTable runs={list} caption="Runs of the workspace" withDag />
              )
            }
          </Loaded>
          <LoadMore pages={runs} noun="runs" />
        </>
      )}
    </>
  );
}
