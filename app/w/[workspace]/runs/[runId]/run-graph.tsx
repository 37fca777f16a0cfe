"use client";
// The run's DAG, each task coloured by its state and updating as the run goes. Only the nodes
// whose state changed get new objects, so a 500-task run under a stream of changes re-renders
// those nodes alone. Task groups start collapsed: one node each, with their tasks' state taken
// together; clicking one (or its button above the graph) expands it.
import { ReactFlowProvider } from "@xyflow/react";
import { memo, useMemo, useRef } from "react";
import { DagFlow, type DependencyEdge, dependencyEdge } from "@/app/_components/dag-graph/dag-flow";
import { GroupToggles, useCollapsedGroups } from "@/app/_components/dag-graph/group-toggles";
import {
  type CollapsedNode,
  collapseGroups,
  edgeLabels,
  groupState,
} from "@/app/_components/dag-graph/groups";
import { useGraphLayout, useGraphShape } from "@/app/_components/dag-graph/layout";
import { stableList, type TaskFlowNode, taskFlowNode } from "@/app/_components/dag-graph/task-node";
import { stateLabel, stateLook } from "@/app/_components/state-badge";

export interface GraphTask {
  id: string;
  dependsOn: string[];
  icon: string;
  edgeLabels?: Record<string, string>;
}

const noGroups: readonly string[] = [];

export const RunGraph = memo(function RunGraph({
  tasks,
  groups = noGroups,
  states,
  selected,
  onSelect,
}: {
  tasks: readonly GraphTask[];
  /** The DAG's task group ids. */
  groups?: readonly string[];
  /** Task id → state (and, for mapped tasks, a progress note). */
  states: ReadonlyMap<string, { state: string; note?: string }>;
  selected: string | undefined;
  onSelect: (taskId: string | undefined) => void;
}) {
  const { collapsed, toggle } = useCollapsedGroups(groups);
  const groupSet = useMemo(() => new Set(groups), [groups]);
  const graphNodes = useMemo(() => collapseGroups(tasks, groupSet, collapsed), [tasks, groupSet, collapsed]);
  const labels = useMemo(() => edgeLabels(tasks, groupSet, collapsed), [tasks, groupSet, collapsed]);
  const icons = useMemo(() => new Map(tasks.map((t) => [t.id, t.icon])), [tasks]);
  const shape = useGraphShape(graphNodes);
  const { positions, arranged } = useGraphLayout(shape, 0);
  const nodeCache = useRef(null);
  const edgeCache = useRef(null);

  const nodes = useMemo(() => {
    const stateOf = (node: CollapsedNode) =>
      node.members
        ? {
            state: groupState(node.members.map((id) => states.get(id)?.state)),
            note: `${node.members.length} tasks`,
          }
        : states.get(node.id);
    return stableList<CollapsedNode, TaskFlowNode>(
      nodeCache,
      graphNodes,
      (node) => node.id,
      (node) => {
        const s = stateOf(node);
        return [
          positions.get(node.id),
          s?.state,
          s?.note,
          node.id === selected,
          icons.get(node.id),
          node.members?.length,
        ];
      },
      (node) => {
        const s = stateOf(node) ?? { state: "none" };
        const state = stateLabel(s.state);
        return taskFlowNode(
          node.id,
          positions.get(node.id) ?? { x: 0, y: 0 },
          {
            title: node.id,
            icon: icons.get(node.id) ?? "unknown",
            subtitle: node.members ? `Group · ${s.note} · ${state}` : s.note ? `${state} · ${s.note}` : state,
            border: stateLook(s.state).border,
            group: node.members !== undefined,
          },
          { selected: node.id === selected },
        );
      },
    );
  }, [graphNodes, states, positions, selected, icons]);
  const edges = useMemo(
    () =>
      stableList<readonly [string, string], DependencyEdge>(
        edgeCache,
        shape.edges,
        ([from, to]) => `${from}->${to}`,
        ([from, to]) => [labels.get(`${from}->${to}`)],
        ([from, to]) => dependencyEdge(from, to, false, false, labels.get(`${from}->${to}`)),
      ),
    [shape, labels],
  );

  // A click on a collapsed group opens it rather than selecting a task that does not exist.
  const choose = (id: string) => (collapsed.has(id) ? toggle(id) : onSelect(id));
  return (
    <div className="flex h-full flex-col">
      <GroupToggles groups={groups} collapsed={collapsed} onToggle={toggle} className="px-3 pt-2" />
      <div className="min-h-0 flex-1">
        <ReactFlowProvider>
          <DagFlow
            label="Run graph"
            arranged={arranged}
            nodes={nodes}
            edges={edges}
            nodesDraggable={false}
            nodesConnectable={false}
            onNodeClick={(_, node) => choose(node.id)}
            onNodesChange={(changes) => {
              for (const change of changes)
                if (change.type === "select" && change.selected) choose(change.id);
            }}
            onPaneClick={() => onSelect(undefined)}
          />
        </ReactFlowProvider>
      </div>
    </div>
  );
});
