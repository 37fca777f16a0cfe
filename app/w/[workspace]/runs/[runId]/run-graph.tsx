"use client";
// The run's DAG, each task coloured by its state and updating as the run goes. Only the nodes
// whose state changed get new objects, so a 500-task run under a stream of changes re-renders
// those nodes alone.
import { ReactFlowProvider } from "@xyflow/react";
import { memo, useMemo, useRef } from "react";
import { DagFlow, type DependencyEdge, dependencyEdge } from "@/app/_components/dag-graph/dag-flow";
import { useGraphLayout, useGraphShape } from "@/app/_components/dag-graph/layout";
import { stableList, type TaskFlowNode, taskFlowNode } from "@/app/_components/dag-graph/task-node";
import { stateLabel, stateLook } from "@/app/_components/state-badge";

export interface GraphTask {
  id: string;
  dependsOn: string[];
  icon: string;
}

export const RunGraph = memo(function RunGraph({
  tasks,
  states,
  selected,
  onSelect,
}: {
  tasks: readonly GraphTask[];
  /** Task id → state (and, for mapped tasks, a progress note). */
  states: ReadonlyMap<string, { state: string; note?: string }>;
  selected: string | undefined;
  onSelect: (taskId: string | undefined) => void;
}) {
  const shape = useGraphShape(tasks);
  const { positions, arranged } = useGraphLayout(shape, 0);
  const nodeCache = useRef(null);
  const edgeCache = useRef(null);

  const nodes = useMemo(
    () =>
      stableList<GraphTask, TaskFlowNode>(
        nodeCache,
        tasks,
        (task) => task.id,
        (task) => {
          const s = states.get(task.id);
          return [positions.get(task.id), s?.state, s?.note, task.id === selected, task.icon];
        },
        (task) => {
          const s = states.get(task.id) ?? { state: "none" };
          return taskFlowNode(
            task.id,
            positions.get(task.id) ?? { x: 0, y: 0 },
            {
              title: task.id,
              icon: task.icon,
              subtitle: s.note ? `${stateLabel(s.state)} · ${s.note}` : stateLabel(s.state),
              border: stateLook(s.state).border,
            },
            { selected: task.id === selected },
          );
        },
      ),
    [tasks, states, positions, selected],
  );
  const edges = useMemo(
    () =>
      stableList<readonly [string, string], DependencyEdge>(
        edgeCache,
        shape.edges,
        ([from, to]) => `${from}->${to}`,
        () => [],
        ([from, to]) => dependencyEdge(from, to),
      ),
    [shape],
  );

  return (
    <ReactFlowProvider>
      <DagFlow
        label="Run graph"
        arranged={arranged}
        nodes={nodes}
        edges={edges}
        nodesDraggable={false}
        nodesConnectable={false}
        onNodeClick={(_, node) => onSelect(node.id)}
        onNodesChange={(changes) => {
          for (const change of changes) if (change.type === "select" && change.selected) onSelect(change.id);
        }}
        onPaneClick={() => onSelect(undefined)}
      />
    </ReactFlowProvider>
  );
});
