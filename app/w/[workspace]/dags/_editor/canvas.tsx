"use client";
// The editor's graph: tasks as nodes, dependencies as edges, the critical path highlighted and
// problems pinned to their tasks. Node and edge objects are reused while nothing about them
// changed, so an edit to one task re-renders one node, at 500 tasks as at 5.
import { type NodeChange, useReactFlow } from "@xyflow/react";
import { type DragEvent, memo, useCallback, useEffect, useMemo, useRef } from "react";
import {
  DagFlow,
  type DependencyEdge,
  dependencyEdge,
  FRAME_WHOLE,
} from "@/app/_components/dag-graph/dag-flow";
import { NODE_HEIGHT, NODE_WIDTH, type XY } from "@/app/_components/dag-graph/layout";
import { stableList, type TaskFlowNode, taskFlowNode } from "@/app/_components/dag-graph/task-node";
import type { OperatorSummary } from "@/server/operators/catalog";
import type { DrawnTask } from "./document";
import { OPERATOR_MIME } from "./palette";

export type Selection = { kind: "task"; id: string } | { kind: "edge"; from: string; to: string } | null;

const NO_PROBLEMS: readonly string[] = [];

/** A task's edge labels as written, when they are a map of strings (validation reports the rest). */
function labelsOf(drawn: DrawnTask): Record<string, string> | undefined {
  const labels = drawn.task.edgeLabels;
  return typeof labels === "object" && labels !== null && !Array.isArray(labels)
    ? Object.fromEntries(
        Object.entries(labels).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
      )
    : undefined;
}

export const EditorCanvas = memo(function EditorCanvas({
  tasks,
  positions,
  operators,
  problems,
  critical,
  selection,
  arranged,
  onSelect,
  onConnect,
  onMove,
  onDropOperator,
}: {
  tasks: readonly DrawnTask[];
  positions: ReadonlyMap<string, XY>;
  operators: ReadonlyMap<string, OperatorSummary>;
  /** Problem messages by task id. */
  problems: ReadonlyMap<string, readonly string[]>;
  critical: readonly string[];
  selection: Selection;
  /** Changes each time a new automatic layout is applied. */
  arranged: unknown;
  onSelect: (selection: Selection) => void;
  onConnect: (upstream: string, downstream: string) => void;
  onMove: (id: string, position: XY) => void;
  onDropOperator: (operator: string, position: XY) => void;
}) {
  const flow = useReactFlow();
  const frame = useRef<HTMLDivElement>(null);
  const nodeCache = useRef(null);
  const edgeCache = useRef(null);

  const criticalIds = useMemo(() => new Set(critical), [critical]);
  const criticalEdges = useMemo(
    () => new Set(critical.slice(1).map((id, i) => `${critical[i]}->${id}`)),
    [critical],
  );
  const selectedTask = selection?.kind === "task" ? selection.id : undefined;
  const selectedEdge = selection?.kind === "edge" ? `${selection.from}->${selection.to}` : undefined;

  const nodes = useMemo(
    () =>
      stableList<DrawnTask, TaskFlowNode>(
        nodeCache,
        tasks,
        (drawn) => drawn.id,
        (drawn) => {
          const position = positions.get(drawn.id);
          return [
            drawn.task,
            position?.x,
            position?.y,
            problems.get(drawn.id) ?? NO_PROBLEMS,
            criticalIds.has(drawn.id),
            drawn.id === selectedTask,
            operators.get(drawn.task.operator),
          ];
        },
        (drawn) => {
          const operator = operators.get(drawn.task.operator);
          return taskFlowNode(
            drawn.id,
            positions.get(drawn.id) ?? { x: 0, y: 0 },
            {
              title: drawn.id,
              icon: operator?.icon ?? "unknown",
              subtitle: operator?.title ?? `unknown operator ${String(drawn.task.operator)}`,
              critical: criticalIds.has(drawn.id),
              problems: problems.get(drawn.id) ?? NO_PROBLEMS,
            },
            { selected: drawn.id === selectedTask, connectable: true },
          );
        },
      ),
    [tasks, positions, problems, criticalIds, selectedTask, operators],
  );

  const edges = useMemo(() => {
    const known = new Set(tasks.map((task) => task.id));
    const pairs = tasks.flatMap((task) => {
      const labels = labelsOf(task);
      return task.dependsOn
        .filter((upstream) => known.has(upstream))
        .map((upstream) => [upstream, task.id, labels?.[upstream]] as const);
    });
    return stableList<readonly [string, string, string | undefined], DependencyEdge>(
      edgeCache,
      pairs,
      ([from, to]) => `${from}->${to}`,
      ([from, to, label]) => [criticalEdges.has(`${from}->${to}`), selectedEdge === `${from}->${to}`, label],
      ([from, to, label]) =>
        dependencyEdge(
          from,
          to,
          criticalEdges.has(`${from}->${to}`),
          selectedEdge === `${from}->${to}`,
          label,
        ),
    );
  }, [tasks, criticalEdges, selectedEdge]);

  // Keep what the author works on in view: small DAGs are framed whole (DagFlow); in large ones a
  // newly selected task, or the selection after a new layout, is brought into view.
  const positionsRef = useRef(positions);
  positionsRef.current = positions;
  const reveal = useCallback(
    (id: string) => {
      const position = positionsRef.current.get(id);
      const box = frame.current?.getBoundingClientRect();
      if (!position || !box) return;
      const topLeft = flow.flowToScreenPosition(position);
      const bottomRight = flow.flowToScreenPosition({
        x: position.x + NODE_WIDTH,
        y: position.y + NODE_HEIGHT,
      });
      const inside =
        topLeft.x >= box.left &&
        topLeft.y >= box.top &&
        bottomRight.x <= box.right &&
        bottomRight.y <= box.bottom;
      if (!inside) {
        void flow.setCenter(position.x + NODE_WIDTH / 2, position.y + NODE_HEIGHT / 2, {
          zoom: flow.getZoom(),
        });
      }
    },
    [flow],
  );
  const taskCount = tasks.length;
  const selectedRef = useRef(selectedTask);
  selectedRef.current = selectedTask;
  useEffect(() => {
    if (arranged && taskCount > FRAME_WHOLE && selectedRef.current) reveal(selectedRef.current);
  }, [arranged, taskCount, reveal]);
  useEffect(() => {
    if (selectedTask) reveal(selectedTask);
  }, [selectedTask, reveal]);

  const onNodesChange = useCallback(
    (changes: NodeChange<TaskFlowNode>[]) => {
      let chosen: string | undefined;
      let cleared = false;
      for (const change of changes) {
        if (change.type === "position" && change.position && change.dragging)
          onMove(change.id, change.position);
        if (change.type === "select") {
          if (change.selected) chosen = change.id;
          else if (change.id === selectedTask) cleared = true;
        }
      }
      if (chosen !== undefined) onSelect({ kind: "task", id: chosen });
      else if (cleared) onSelect(null);
    },
    [onMove, onSelect, selectedTask],
  );

  const onDrop = useCallback(
    (event: DragEvent) => {
      const operator = event.dataTransfer.getData(OPERATOR_MIME);
      if (!operator) return;
      event.preventDefault();
      onDropOperator(operator, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
    },
    [flow, onDropOperator],
  );

  return (
    <div ref={frame} className="h-full">
      <DagFlow
        label="DAG editor canvas"
        nodes={nodes}
        edges={edges}
        onNodesChange={onNodesChange}
        onConnect={(connection) => onConnect(connection.source, connection.target)}
        isValidConnection={(connection) => connection.source !== connection.target}
        onEdgeClick={(_, edge) => onSelect({ kind: "edge", from: edge.source, to: edge.target })}
        onPaneClick={() => onSelect(null)}
        onDragOver={(event) => {
          if (event.dataTransfer.types.includes(OPERATOR_MIME)) {
            event.preventDefault();
            event.dataTransfer.dropEffect = "copy";
          }
        }}
        onDrop={onDrop}
      />
    </div>
  );
});
