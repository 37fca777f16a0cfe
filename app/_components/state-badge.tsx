// Run and task-instance states as people see them: one colour and one label per state, used by
// every view (DAG list chips, the grid, the run graph, the Gantt chart). Colour is never the only
// signal: each use carries the label as text, aria-label or title.
import type { RunState, TaskState } from "@/server/engine/states";

export type AnyState = TaskState | RunState;

interface StateLook {
  label: string;
  /** A filled swatch (grid cells, Gantt bars, chips). */
  fill: string;
  /** A light badge with readable text. */
  badge: string;
  /** A border for graph nodes. */
  border: string;
}

const looks: Record<AnyState, StateLook> = {
  none: {
    label: "Waiting",
    fill: "bg-white ring-1 ring-inset ring-slate-300",
    badge: "bg-white text-slate-600 ring-slate-300",
    border: "border-slate-300",
  },
  queued: {
    label: "Queued",
    fill: "bg-slate-400",
    badge: "bg-slate-100 text-slate-700 ring-slate-300",
    border: "border-slate-400",
  },
  scheduled: {
    label: "Scheduled",
    fill: "bg-amber-200",
    badge: "bg-amber-50 text-amber-800 ring-amber-200",
    border: "border-amber-300",
  },
  running: {
    label: "Running",
    fill: "bg-sky-500",
    badge: "bg-sky-50 text-sky-800 ring-sky-300",
    border: "border-sky-500",
  },
  deferred: {
    label: "Deferred",
    fill: "bg-violet-500",
    badge: "bg-violet-50 text-violet-800 ring-violet-300",
    border: "border-violet-500",
  },
  up_for_retry: {
    label: "Up for retry",
    fill: "bg-amber-500",
    badge: "bg-amber-50 text-amber-900 ring-amber-400",
    border: "border-amber-500",
  },
  success: {
    label: "Success",
    fill: "bg-emerald-600",
    badge: "bg-emerald-50 text-emerald-800 ring-emerald-300",
    border: "border-emerald-600",
  },
  failed: {
    label: "Failed",
    fill: "bg-red-600",
    badge: "bg-red-50 text-red-800 ring-red-300",
    border: "border-red-600",
  },
  skipped: {
    label: "Skipped",
    fill: "bg-pink-300",
    badge: "bg-pink-50 text-pink-800 ring-pink-200",
    border: "border-pink-300",
  },
  upstream_failed: {
    label: "Upstream failed",
    fill: "bg-orange-500",
    badge: "bg-orange-50 text-orange-800 ring-orange-300",
    border: "border-orange-500",
  },
  cancelled: {
    label: "Cancelled",
    fill: "bg-slate-600",
    badge: "bg-slate-100 text-slate-800 ring-slate-400",
    border: "border-slate-600",
  },
};

export function stateLook(state: string): StateLook {
  return looks[state as AnyState] ?? looks.none;
}

export const stateLabel = (state: string) => stateLook(state).label;

const finishedRunStates = new Set<string>(["success", "failed", "cancelled"]);
/** A run in one of these states changes no more (unless tasks are cleared). */
export const isRunFinished = (state: string) => finishedRunStates.has(state);

export function StateBadge({ state, className = "" }: { state: string; className?: string }) {
  const look = stateLook(state);
  return (
    <span
      className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset ${look.badge} ${className}`}
    >
      <span aria-hidden="true" className={`size-2 rounded-full ${look.fill}`} />
      {look.label}
    </span>
  );
}

/** The states in legend order, for filters and legends. */
export const taskStates = Object.keys(looks) as TaskState[];
export const runStates: RunState[] = ["queued", "running", "success", "failed", "cancelled"];

/** A compact key to the colours, for the grid and the graph. */
export function StateLegend({ states = taskStates }: { states?: readonly string[] }) {
  return (
    <ul aria-label="State colours" className="flex flex-wrap gap-x-3 gap-y-1 text-xs text-slate-600">
      {states.map((state) => (
        <li key={state} className="inline-flex items-center gap-1">
          <span aria-hidden="true" className={`size-2.5 rounded-sm ${stateLook(state).fill}`} />
          {stateLabel(state)}
        </li>
      ))}
    </ul>
  );
}
