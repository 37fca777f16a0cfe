"use client";
// Airflow's grid view: one column per recent run (oldest left), one row per task, each cell the
// task's state in that run. Cells link to the run with the task open; colour comes with a label.
import { useQueries, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { memo, useMemo } from "react";
import { useCollapsedGroups } from "@/app/_components/dag-graph/group-toggles";
import { type GroupedRow, groupedRows, groupState } from "@/app/_components/dag-graph/groups";
import { EmptyState } from "@/app/_components/empty-state";
import { Loaded } from "@/app/_components/loaded";
import { runReason } from "@/app/_components/run-reason";
import { useWorkspace } from "@/app/_components/shell";
import { isRunFinished, StateLegend, stateLabel, stateLook } from "@/app/_components/state-badge";
import { focusRing } from "@/app/_components/styles";
import { useTRPC } from "@/app/_lib/trpc";
import { maxTasks } from "@/server/dags/limits";

const GRID_RUNS = 14;
const format = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" });

interface GridRun {
  id: string;
  state: string;
  when: string;
  /** SLA deadlines the run missed (the column header gets a red ring). */
  slaMisses: number;
  /** Why it waits or never started (the API's stateReason), for its column's tooltip. */
  reason: string | null;
  /** Task id → state, for the run's task instances (mapped children left out). */
  states: ReadonlyMap<string, string> | undefined;
}

interface RowProps {
  workspace: string;
  task: string;
  /** Enclosing task groups shown expanded: the row is indented that many steps. */
  depth: number;
  runs: GridRun[];
  /** The run ids and this task's states in them: the row re-renders only when it changes. */
  signature: string;
}

const Row = memo(
  function Row({ workspace, task, depth, runs }: RowProps) {
    return (
      <tr>
        <th
          scope="row"
          style={{ paddingLeft: `${depth}rem` }}
          className="sticky left-0 max-w-56 truncate bg-white py-0.5 pr-3 text-left font-mono text-xs font-normal text-slate-800"
        >
          {task}
        </th>
        {runs.map((run) => {
          const state = run.states?.get(task);
          return (
            <td key={run.id} className="px-0.5 py-0.5">
              {state ? (
                <Link
                  href={`/w/${workspace}/runs/${run.id}?task=${encodeURIComponent(task)}`}
                  title={`${task}: ${stateLabel(state)} (${run.when})`}
                  aria-label={`${task} in the run of ${run.when}: ${stateLabel(state)}`}
                  className={`block size-4 rounded-sm ${stateLook(state).fill} ${focusRing}`}
                />
              ) : (
                <span className="block size-4" />
              )}
            </td>
          );
        })}
      </tr>
    );
  },
  (a, b) =>
    a.task === b.task && a.depth === b.depth && a.signature === b.signature && a.workspace === b.workspace,
);

/** A task group's row: a button that collapses or expands it, then its tasks' state taken together. */
function GroupRow({
  workspace,
  row,
  runs,
  onToggle,
}: {
  workspace: string;
  row: Extract<GroupedRow, { kind: "group" }>;
  runs: GridRun[];
  onToggle: (group: string) => void;
}) {
  return (
    <tr>
      <th
        scope="row"
        style={{ paddingLeft: `${row.depth}rem` }}
        className="sticky left-0 max-w-56 truncate bg-white py-0.5 pr-3 text-left font-mono text-xs font-semibold text-slate-800"
      >
        <button
          type="button"
          aria-expanded={!row.collapsed}
          aria-label={`${row.collapsed ? "Expand" : "Collapse"} group ${row.id} (${row.members.length} tasks)`}
          onClick={() => onToggle(row.id)}
          className={`rounded px-0.5 hover:bg-slate-100 ${focusRing}`}
        >
          {row.collapsed ? "▸" : "▾"} {row.id}
        </button>
      </th>
      {runs.map((run) => {
        const states = row.members.map((task) => run.states?.get(task));
        if (states.every((state) => state === undefined)) {
          return (
            <td key={run.id} className="px-0.5 py-0.5">
              <span className="block size-4" />
            </td>
          );
        }
        const state = groupState(states);
        return (
          <td key={run.id} className="px-0.5 py-0.5">
            <Link
              href={`/w/${workspace}/runs/${run.id}`}
              title={`Group ${row.id}: ${stateLabel(state)} (${run.when})`}
              aria-label={`Group ${row.id} in the run of ${run.when}: ${stateLabel(state)}`}
              className={`block size-4 rounded-sm border border-dashed border-slate-500 ${stateLook(state).fill} ${focusRing}`}
            />
          </td>
        );
      })}
    </tr>
  );
}

/** ", missed its SLA" for a run that missed a deadline (a red ring on its column). */
const missed = (run: GridRun) =>
  run.slaMisses > 0 ? `, missed ${run.slaMisses === 1 ? "an SLA" : `${run.slaMisses} SLA deadlines`}` : "";

/** ". Queued: this workspace …" for a run that waits or never started. */
const why = (run: GridRun) => (run.reason ? `. ${run.reason}` : "");

function signature(task: string, runs: GridRun[]) {
  return runs.map((run) => `${run.id}:${run.states?.get(task) ?? ""}`).join(",");
}

const noGroups: readonly string[] = [];

export function RunGrid({
  dagId,
  tasks,
  groups = noGroups,
}: {
  dagId: string;
  tasks: readonly string[];
  /** The DAG's task group ids: each collapses its tasks into one row. */
  groups?: readonly string[];
}) {
  const { collapsed, toggle } = useCollapsedGroups(groups);
  const groupSet = useMemo(() => new Set(groups), [groups]);
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const list = useQuery({
    ...trpc.runs.list.queryOptions({ workspace: slug, dagId, limit: GRID_RUNS }),
    select: (page) => page.items,
    refetchInterval: (query) =>
      query.state.data?.items.some((run) => !isRunFinished(run.state)) ? 2000 : 15_000,
  });
  const runs = useMemo(() => [...(list.data ?? [])].reverse(), [list.data]);
  const details = useQueries({
    queries: runs.map((run) => ({
      ...trpc.runs.get.queryOptions({ workspace: slug, runId: run.id, taskLimit: maxTasks }),
      staleTime: isRunFinished(run.state) ? 60_000 : 0,
      refetchInterval: isRunFinished(run.state) ? (false as const) : 2000,
    })),
  });
  const grid: GridRun[] = runs.map((run, i) => {
    const data = details[i]?.data;
    return {
      id: run.id,
      state: data?.state ?? run.state,
      when: format.format(run.queuedAt),
      slaMisses: data?.slaMisses ?? run.slaMisses,
      reason: runReason(data ?? run),
      states: data
        ? new Map(data.tasks.filter((t) => t.mapIndex === -1).map((t) => [t.taskId, t.state]))
        : undefined,
    };
  });
  // Tasks of older versions that the current one no longer has still get their rows.
  const rows = [...tasks];
  const known = new Set(rows);
  for (const run of grid) {
    for (const task of run.states?.keys() ?? []) {
      if (!known.has(task)) {
        known.add(task);
        rows.push(task);
      }
    }
  }

  return (
    <Loaded query={list} label="runs">
      {() =>
        runs.length === 0 ? (
          <EmptyState title="No runs yet">
            Trigger a run to see each task’s state here, run by run.
          </EmptyState>
        ) : (
          <div className="rounded-lg border border-slate-200 bg-white p-4 shadow-xs">
            <div className="max-h-[32rem] overflow-auto">
              <table className="border-separate border-spacing-0">
                <caption className="sr-only">Task states by run, oldest run first</caption>
                <thead>
                  <tr>
                    <th
                      scope="col"
                      className="sticky top-0 left-0 z-10 bg-white pr-3 text-left text-xs font-semibold text-slate-600"
                    >
                      Task
                    </th>
                    {grid.map((run) => (
                      <th key={run.id} scope="col" className="sticky top-0 bg-white px-0.5 pb-1">
                        <Link
                          href={`/w/${slug}/runs/${run.id}`}
                          title={`Run of ${run.when}: ${stateLabel(run.state)}${missed(run)}${why(run)}`}
                          aria-label={`Run of ${run.when}: ${stateLabel(run.state)}${missed(run)}${why(run)}`}
                          className={`block h-8 w-4 rounded-sm ${stateLook(run.state).fill} ${
                            run.slaMisses > 0 ? "ring-2 ring-red-600 ring-offset-1" : ""
                          } ${focusRing}`}
                        />
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {groupedRows(rows, groupSet, collapsed).map((row) =>
                    row.kind === "group" ? (
                      <GroupRow
                        key={`group:${row.id}`}
                        workspace={slug}
                        row={row}
                        runs={grid}
                        onToggle={toggle}
                      />
                    ) : (
                      <Row
                        key={row.id}
                        workspace={slug}
                        task={row.id}
                        depth={row.depth}
                        runs={grid}
                        signature={signature(row.id, grid)}
                      />
                    ),
                  )}
                </tbody>
              </table>
            </div>
            <div className="mt-3 flex flex-wrap items-center gap-x-4 gap-y-2">
              <StateLegend />
              {grid.some((run) => run.slaMisses > 0) && (
                <span className="flex items-center gap-1.5 text-xs text-slate-600">
                  <span aria-hidden="true" className="block size-3 rounded-sm ring-2 ring-red-600" />
                  Missed an SLA
                </span>
              )}
            </div>
          </div>
        )
      }
    </Loaded>
  );
}
