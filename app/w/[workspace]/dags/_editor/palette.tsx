"use client";
// The operators a task can use. Drag one onto the canvas to place it there, or activate it
// (click, Enter) to add it next to the selection.
import { OperatorIcon } from "@/app/_components/operator-icon";
import { focusRing } from "@/app/_components/styles";
import type { OperatorSummary } from "@/server/operators/catalog";

/** The dataTransfer type that carries an operator name from the palette to the canvas. */
export const OPERATOR_MIME = "application/x-baton-operator";

export function Palette({
  operators,
  onAdd,
  disabled = false,
}: {
  operators: readonly OperatorSummary[];
  onAdd: (operator: string) => void;
  disabled?: boolean;
}) {
  return (
    <nav aria-label="Operators" className="flex items-start gap-3">
      <p className="shrink-0 pt-1.5 text-xs font-semibold tracking-wide text-slate-500 uppercase">
        Add a task
      </p>
      <ul className="flex flex-wrap gap-1">
        {operators.map((operator) => (
          <li key={operator.name}>
            <button
              type="button"
              draggable={!disabled}
              disabled={disabled}
              onDragStart={(event) => {
                event.dataTransfer.setData(OPERATOR_MIME, operator.name);
                event.dataTransfer.effectAllowed = "copy";
              }}
              onClick={() => onAdd(operator.name)}
              title={operator.description}
              aria-label={`Add ${operator.title} task`}
              className={`flex cursor-grab items-center gap-1.5 rounded-md border border-slate-200 bg-white px-2 py-1 text-xs font-medium text-slate-800 shadow-xs hover:border-indigo-300 hover:bg-indigo-50 disabled:cursor-not-allowed disabled:opacity-60 ${focusRing}`}
            >
              <OperatorIcon name={operator.icon} className="size-3.5 text-slate-600" />
              {operator.title}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
