"use client";
// The buttons above a graph or grid that collapse and expand its task groups, and the state they
// share: every group starts collapsed, as Airflow draws them.
import { useCallback, useMemo, useState } from "react";
import { focusRing } from "../styles";

/** Which groups are collapsed; all of them at first. `toggle` flips one. */
export function useCollapsedGroups(groups: readonly string[]) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());
  const collapsed = useMemo(() => new Set(groups.filter((g) => !expanded.has(g))), [groups, expanded]);
  const toggle = useCallback((group: string) => {
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(group)) next.delete(group);
      else next.add(group);
      return next;
    });
  }, []);
  return { collapsed, toggle };
}

export function GroupToggles({
  groups,
  collapsed,
  onToggle,
  className = "",
}: {
  groups: readonly string[];
  collapsed: ReadonlySet<string>;
  onToggle: (group: string) => void;
  className?: string;
}) {
  if (groups.length === 0) return null;
  return (
    <fieldset className={`flex flex-wrap items-center gap-1.5 text-xs ${className}`}>
      <legend className="sr-only">Task groups</legend>
      <span aria-hidden="true" className="text-slate-600">
        Groups:
      </span>
      {groups.map((group) => {
        const isCollapsed = collapsed.has(group);
        return (
          <button
            key={group}
            type="button"
            aria-expanded={!isCollapsed}
            aria-label={`${isCollapsed ? "Expand" : "Collapse"} group ${group}`}
            onClick={() => onToggle(group)}
            className={`rounded border border-slate-300 bg-white px-1.5 py-0.5 font-mono text-slate-800 hover:bg-slate-50 ${focusRing}`}
          >
            {isCollapsed ? "▸" : "▾"} {group}
          </button>
        );
      })}
    </fieldset>
  );
}
