"use client";
// A task on a graph (editor and run view): icon, id, a second line (operator or state), the
// critical-path mark and pinned validation problems. Nodes have a fixed size and declare their
// handles, so React Flow draws edges without measuring the DOM (and off-screen nodes need not
// render at all).
import { Handle, type Node, type NodeProps, Position } from "@xyflow/react";
import { Layers } from "lucide-react";
import { memo } from "react";
import { OperatorIcon } from "../operator-icon";
import { NODE_HEIGHT, NODE_WIDTH, type XY } from "./layout";

export interface TaskNodeData extends Record<string, unknown> {
  title: string;
  icon: string;
  subtitle: string;
  /** Border colour classes (the run view colours by state). */
  border?: string;
  critical?: boolean;
  problems?: readonly string[];
  /** A collapsed task group (dashed border; named a group to screen readers). */
  group?: boolean;
}

export type TaskFlowNode = Node<TaskNodeData, "task">;

const HANDLE = 10;
const handles = [
  { type: "target" as const, position: Position.Left, x: -HANDLE / 2, y: (NODE_HEIGHT - HANDLE) / 2 },
  {
    type: "source" as const,
    position: Position.Right,
    x: NODE_WIDTH - HANDLE / 2,
    y: (NODE_HEIGHT - HANDLE) / 2,
  },
].map((handle) => ({ ...handle, width: HANDLE, height: HANDLE }));

/** A React Flow node for a task, sized and with handles declared. */
export function taskFlowNode(
  id: string,
  position: XY,
  data: TaskNodeData,
  options: { selected?: boolean; connectable?: boolean } = {},
): TaskFlowNode {
  const problems = data.problems?.length ?? 0;
  return {
    id,
    type: "task",
    position,
    data,
    width: NODE_WIDTH,
    height: NODE_HEIGHT,
    measured: { width: NODE_WIDTH, height: NODE_HEIGHT },
    handles,
    selected: options.selected ?? false,
    connectable: options.connectable ?? false,
    ariaLabel: `${data.group ? "Group" : "Task"} ${data.title}, ${data.subtitle}${data.critical ? ", on the critical path" : ""}${
      problems > 0 ? `, ${problems} problem${problems === 1 ? "" : "s"}` : ""
    }`,
  };
}

const handleClass = "!size-2.5 !border-2 !border-white !bg-slate-500";
/** Read-only graphs (a run) keep the handles, where edges attach, but do not show them. */
const hiddenHandle = "!size-2.5 !border-0 !bg-transparent";

export const TaskNode = memo(function TaskNode({ data, selected, isConnectable }: NodeProps<TaskFlowNode>) {
  const problems = data.problems ?? [];
  const ring = selected
    ? "ring-2 ring-indigo-500 ring-offset-1"
    : data.critical
      ? "ring-2 ring-indigo-300"
      : "";
  return (
    <div
      style={{ width: NODE_WIDTH, height: NODE_HEIGHT }}
      className={`relative flex flex-col justify-center rounded-lg border-2 bg-white px-3 shadow-xs ${
        data.group ? "border-dashed" : ""
      } ${problems.length > 0 ? "border-red-500" : (data.border ?? "border-slate-300")} ${ring}`}
    >
      <Handle
        type="target"
        position={Position.Left}
        isConnectable={isConnectable}
        className={isConnectable ? handleClass : hiddenHandle}
      />
      <div className="flex min-w-0 items-center gap-1.5">
        {data.group ? (
          <Layers aria-hidden="true" className="size-3.5 shrink-0 text-slate-600" />
        ) : (
          <OperatorIcon name={data.icon} className="size-3.5 text-slate-600" />
        )}
        <span className="truncate font-mono text-[13px] font-semibold text-slate-900" title={data.title}>
          {data.title}
        </span>
      </div>
      <div className="mt-0.5 flex min-w-0 items-center gap-1.5 text-xs text-slate-600">
        <span className="truncate">{data.subtitle}</span>
        {data.critical && (
          <span className="shrink-0 rounded bg-indigo-50 px-1 text-[10px] font-semibold text-indigo-700">
            critical
          </span>
        )}
      </div>
      {problems.length > 0 && (
        <span
          title={problems.join("\n")}
          className="absolute -top-2.5 -right-2 rounded-full bg-red-600 px-1.5 text-[11px] font-bold text-white"
        >
          {problems.length}
          <span className="sr-only"> problem{problems.length === 1 ? "" : "s"}</span>
        </span>
      )}
      <Handle
        type="source"
        position={Position.Right}
        isConnectable={isConnectable}
        className={isConnectable ? handleClass : hiddenHandle}
      />
    </div>
  );
});

export const nodeTypes = { task: TaskNode };

type Cache<T> = Map<string, { deps: readonly unknown[]; value: T }>;

/**
 * Maps items to objects, reusing last time's object for an item whose `deps` are the same (by
 * identity). Keeps node and edge objects stable across renders, which is what lets React Flow skip
 * every node that did not change. `cache` is a ref kept by the caller.
 */
export function stableList<I, T>(
  cache: { current: Cache<T> | null },
  items: readonly I[],
  key: (item: I) => string,
  deps: (item: I) => readonly unknown[],
  build: (item: I) => T,
): T[] {
  const previous: Cache<T> = cache.current ?? new Map();
  const next: Cache<T> = new Map();
  const out = items.map((item) => {
    const id = key(item);
    const itemDeps = deps(item);
    const hit = previous.get(id);
    const value =
      hit &&
      hit.deps.length === itemDeps.length &&
      hit.deps.every((dep: unknown, i: number) => Object.is(dep, itemDeps[i]))
        ? hit.value
        : build(item);
    next.set(id, { deps: itemDeps, value });
    return value;
  });
  cache.current = next;
  return out;
}
