"use client";
// The elements of a mapped task, in the task panel: counted by state (from the run's answer),
// then listed a page at a time, each opening in the panel. The run's answer holds a mapped task
// once however long its list is, so the elements are read only here, and only when asked for.
import { Alert } from "@/app/_components/alert";
import { errorMessage } from "@/app/_components/errors";
import { LoadMore } from "@/app/_components/load-more";
import { StateBadge } from "@/app/_components/state-badge";
import type { Pages } from "@/app/_lib/pages";

export interface MappedElement {
  mapIndex: number;
  state: string;
}

export function MappedElements({
  taskId,
  states,
  pages,
  onOpen,
}: {
  taskId: string;
  /** How many elements are in each state. */
  states: Record<string, number>;
  pages: Pages<MappedElement>;
  onOpen: (mapIndex: number) => void;
}) {
  const counts = Object.entries(states);
  return (
    <div className="space-y-2">
      <p className="flex flex-wrap gap-2 text-xs text-slate-600">
        {counts.length === 0
          ? "No elements yet."
          : counts.map(([state, count]) => (
              <span key={state} className="inline-flex items-center gap-1">
                {count} <StateBadge state={state} />
              </span>
            ))}
      </p>
      {pages.error ? (
        <Alert tone="error" title="Could not load the elements">
          {errorMessage(pages.error)}
        </Alert>
      ) : null}
      {pages.data && pages.data.length > 0 && (
        <ul
          className="grid max-h-48 grid-cols-2 gap-1 overflow-y-auto text-xs"
          aria-label={`Elements of ${taskId}`}
        >
          {pages.data.map((element) => (
            <li key={element.mapIndex}>
              <button
                type="button"
                onClick={() => onOpen(element.mapIndex)}
                className="flex w-full items-center justify-between gap-2 rounded px-1.5 py-1 text-left hover:bg-slate-100"
              >
                <span className="font-mono">
                  {taskId}[{element.mapIndex}]
                </span>
                <StateBadge state={element.state} />
              </button>
            </li>
          ))}
        </ul>
      )}
      <LoadMore pages={pages} noun="elements" />
    </div>
  );
}
