"use client";
// The React Flow canvas with Baton's defaults: task nodes, left-to-right edges, only what is on
// screen rendered (500-task DAGs), no built-in deletion (the editor owns its shortcuts).
import "@xyflow/react/dist/style.css";
import {
  Background,
  Controls,
  type Edge,
  getNodesBounds,
  getViewportForBounds,
  MarkerType,
  ReactFlow,
  type ReactFlowProps,
  useReactFlow,
  useStore,
} from "@xyflow/react";
import { useEffect, useRef } from "react";
import { nodeTypes, type TaskFlowNode } from "./task-node";

export type DependencyEdge = Edge;

const criticalStyle = { stroke: "#4f46e5", strokeWidth: 2.5 };
const plainStyle = { stroke: "#94a3b8", strokeWidth: 1.5 };

/** The edge from an upstream task to one that depends on it, with its label (edgeLabels) if any. */
export function dependencyEdge(
  from: string,
  to: string,
  critical = false,
  selected = false,
  label?: string,
): DependencyEdge {
  return {
    id: `${from}->${to}`,
    source: from,
    target: to,
    selected,
    style: critical ? criticalStyle : plainStyle,
    markerEnd: { type: MarkerType.ArrowClosed, color: critical ? "#4f46e5" : "#94a3b8" },
    ariaLabel: `Dependency: ${to} runs after ${from}${label ? ` (${label})` : ""}`,
    ...(label ? { label, labelStyle, labelBgStyle, labelBgPadding: [4, 2] as [number, number] } : {}),
  };
}

const labelStyle = { fontSize: 11, fill: "#334155" };
const labelBgStyle = { fill: "#f8fafc" };

/** Up to this many tasks the whole graph is kept in view; larger ones keep the author's viewport. */
export const FRAME_WHOLE = 60;

/**
 * Frames a small graph whole again when its layout changes (`arranged`), its size changes or the
 * canvas is resized (a side panel opening). Rendered inside the flow. The viewport is computed
 * from the nodes given, not with React Flow's fitView, which waits for a node change that a
 * controlled flow whose positions did not change never makes.
 */
function AutoFrame({ arranged, nodes }: { arranged: unknown; nodes: readonly TaskFlowNode[] }) {
  const flow = useReactFlow();
  const width = useStore((state) => state.width);
  const height = useStore((state) => state.height);
  const latest = useRef(nodes);
  latest.current = nodes;
  const count = nodes.length;
  // biome-ignore lint/correctness/useExhaustiveDependencies: arranged is the trigger, not an input
  useEffect(() => {
    if (count === 0 || count > FRAME_WHOLE || width === 0 || height === 0) return;
    const bounds = getNodesBounds([...latest.current]);
    void flow.setViewport(getViewportForBounds(bounds, width, height, 0.05, 1, 0.15));
  }, [arranged, count, width, height, flow]);
  return null;
}

/** Where a large graph opens: its start (top left), at a readable zoom, so few nodes render. */
const largeGraphViewport = { x: 24, y: 24, zoom: 0.8 };

export function DagFlow({
  label,
  arranged,
  children,
  ...props
}: ReactFlowProps<TaskFlowNode, DependencyEdge> & {
  label: string;
  /** Changes when a new layout is applied (see AutoFrame). */
  arranged?: unknown;
}) {
  return (
    <ReactFlow<TaskFlowNode, DependencyEdge>
      aria-label={label}
      nodeTypes={nodeTypes}
      onlyRenderVisibleElements
      minZoom={0.05}
      maxZoom={1.5}
      defaultViewport={largeGraphViewport}
      deleteKeyCode={null}
      {...props}
    >
      <Background gap={16} />
      <Controls showInteractive={false} />
      <AutoFrame arranged={arranged} nodes={props.nodes ?? []} />
      {children}
    </ReactFlow>
  );
}
