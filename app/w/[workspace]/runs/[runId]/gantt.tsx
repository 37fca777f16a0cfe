"use client";
// The attempts of a run on a time line: one row per task instance, one bar per attempt. The time
// axis grows in steps rather than every second, so that a live run re-renders only the rows of
// running attempts.
import { memo } from "react";
import { stateLabel, stateLook } from "@/app/_components/state-badge";
import { focusRing } from "@/app/_components/styles";
import { formatDuration } from "@/app/_components/time";

export interface GanttAttempt {
  number: number;
  state: string;
  startedAt: Date;
  endedAt: Date | null;
}

export interface GanttRow {
  key: string;
  label: string;
  taskId: string;
  attempts: GanttAttempt[];
}

/** 1, 2 or 5 × 10^k milliseconds, at least `ms`. */
function niceCeil(ms: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(ms, 1)));
  for (const step of [1, 2, 5, 10]) if (step * power >= ms) return step * power;
  return 10 * power;
}

const attemptState = (state: string) => (state === "lost" ? "failed" : state);

const Row = memo(function Row({
  row,
  start,
  span,
  now,
  selected,
  onSelect,
}: {
  row: GanttRow;
  start: number;
  span: number;
  /** Only given to rows with a running attempt: others do not move. */
  now: number | undefined;
  selected: boolean;
  onSelect: (taskId: string) => void;
}) {
  return (
    <li
      className={`grid grid-cols-[12rem_minmax(0,1fr)] items-center gap-2 ${selected ? "bg-indigo-50" : ""}`}
    >
      <button
        type="button"
        onClick={() => onSelect(row.taskId)}
        className={`truncate rounded-sm px-1 text-left font-mono text-xs text-slate-800 hover:underline ${focusRing}`}
      >
        {row.label}
      </button>
      <div className="relative h-4 rounded-sm bg-slate-50">
        {row.attempts.map((attempt) => {
          const end = attempt.endedAt?.getTime() ?? now ?? attempt.startedAt.getTime();
          const left = ((attempt.startedAt.getTime() - start) / span) * 100;
          const width = Math.max(((end - attempt.startedAt.getTime()) / span) * 100, 0.4);
          const state = attemptState(attempt.state);
          const label = `${row.label} attempt ${attempt.number}: ${stateLabel(state)}, ${formatDuration(end - attempt.startedAt.getTime())}`;
          return (
            <span
              key={attempt.number}
              role="img"
              aria-label={label}
              title={label}
              className={`absolute top-0.5 h-3 rounded-sm ${stateLook(state).fill}`}
              style={{ left: `${left}%`, width: `${width}%` }}
            />
          );
        })}
      </div>
    </li>
  );
});

export function Gantt({
  rows,
  startedAt,
  now,
  selected,
  onSelect,
}: {
  rows: readonly GanttRow[];
  startedAt: Date | null;
  now: number;
  selected: string | undefined;
  onSelect: (taskId: string) => void;
}) {
  // In the order tasks started: the chart reads as the run unfolded.
  const withAttempts = rows
    .filter((row) => row.attempts.length > 0)
    .sort((a, b) => a.attempts[0]!.startedAt.getTime() - b.attempts[0]!.startedAt.getTime());
  if (withAttempts.length === 0) {
    return <p className="text-sm text-slate-500">No attempt has started yet.</p>;
  }
  let first = startedAt?.getTime() ?? Number.POSITIVE_INFINITY;
  let last = 0;
  let running = false;
  for (const row of withAttempts) {
    for (const attempt of row.attempts) {
      first = Math.min(first, attempt.startedAt.getTime());
      if (attempt.endedAt) last = Math.max(last, attempt.endedAt.getTime());
      else running = true;
    }
  }
  if (running) last = Math.max(last, now);
  const span = niceCeil((last - first) * 1.1 + 1);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <div>
      <div
        className="grid grid-cols-[12rem_minmax(0,1fr)] gap-2 text-[11px] text-slate-500"
        aria-hidden="true"
      >
        <span />
        <div className="relative h-4">
          {ticks.map((tick) => (
            <span
              key={tick}
              className={`absolute whitespace-nowrap ${tick === 0 ? "" : tick === 1 ? "-translate-x-full" : "-translate-x-1/2"}`}
              style={{ left: `${tick * 100}%` }}
            >
              {formatDuration(tick * span)}
            </span>
          ))}
        </div>
      </div>
      <ul aria-label="Attempts over time" className="max-h-96 space-y-0.5 overflow-y-auto">
        {withAttempts.map((row) => (
          <Row
            key={row.key}
            row={row}
            start={first}
            span={span}
            now={row.attempts.some((a) => !a.endedAt) ? now : undefined}
            selected={row.taskId === selected}
            onSelect={onSelect}
          />
        ))}
      </ul>
    </div>
  );
}
