"use client";
// The workspace's lineage: the DAGs that feed each other, as a graph (each DAG coloured by its
// latest run; a click opens it) and as a table of every link with its last event.
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { MarkerType, ReactFlowProvider } from "@xyflow/react";
import { useRouter } from "next/navigation";
import { useMemo } from "react";
import { DagFlow, type DependencyEdge } from "@/app/_components/dag-graph/dag-flow";
import { useGraphLayout, useGraphShape } from "@/app/_components/dag-graph/layout";
import { type TaskFlowNode, taskFlowNode } from "@/app/_components/dag-graph/task-node";
import { EmptyState } from "@/app/_components/empty-state";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader, Section } from "@/app/_components/page-header";
import { useWorkspace } from "@/app/_components/shell";
import { stateLabel, stateLook } from "@/app/_components/state-badge";
import { useTRPC } from "@/app/_lib/trpc";
import type { AppRouter } from "@/server/api/root";
import { type LineageEdge, LinkTable, linkLabel } from "../_alerts/lineage-links";

type Graph = inferRouterOutputs<AppRouter>["lineage"]["graph"];

/** How each kind of link is drawn: a colour, and a letter on the edge (the legend spells it out). */
const edgeLooks: Record<
  LineageEdge["kind"],
  { stroke: string; dash?: string; letter: string; name: string }
> = {
  dag_trigger: { stroke: "#4f46e5", letter: "T", name: "DAG trigger" },
  trigger_dag: { stroke: "#0f766e", letter: "D", name: "trigger_dag task" },
  sensor: { stroke: "#b45309", dash: "6 4", letter: "S", name: "sensor" },
};

export function LineagePage() {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const graph = useQuery({
    ...trpc.lineage.graph.queryOptions({ workspace: slug }),
    refetchInterval: 30_000,
  });
  return (
    <>
      <PageHeader
        title="Lineage"
        description="How the workspace's DAGs feed each other: DAG triggers (a run's outcome starts another DAG), trigger_dag tasks and external run sensors, each link with its last event."
      />
      <Loaded query={graph} label="the lineage">
        {(data) =>
          data.edges.length === 0 ? (
            <EmptyState title="No DAG leads to another yet">
              Link DAGs with a trigger on a DAG's page, a <code className="font-mono">trigger_dag</code> task
              or an <code className="font-mono">external_run_sensor</code> task.
            </EmptyState>
          ) : (
            <>
              <div className="mb-6 flex h-[28rem] flex-col overflow-hidden rounded-lg border border-slate-200 bg-white">
                <div className="min-h-0 flex-1">
                  <ReactFlowProvider>
                    <LineageGraph graph={data} />
                  </ReactFlowProvider>
                </div>
                <p className="flex flex-wrap gap-x-4 gap-y-1 border-t border-slate-200 bg-slate-50 px-3 py-2 text-xs text-slate-600">
                  {Object.entries(edgeLooks).map(([kind, look]) => (
                    <span key={kind} className="flex items-center gap-1.5">
                      <svg aria-hidden="true" width="24" height="6">
                        <line
                          x1="0"
                          y1="3"
                          x2="24"
                          y2="3"
                          stroke={look.stroke}
                          strokeWidth="2"
                          strokeDasharray={look.dash}
                        />
                      </svg>
                      <span className="font-semibold">{look.letter}</span> {look.name}
                    </span>
                  ))}
                  {data.unlinked > 0 && (
                    <span>
                      {data.unlinked} DAG{data.unlinked === 1 ? "" : "s"} without links not shown
                    </span>
                  )}
                </p>
              </div>
              <Section title="Links" description="Every link, with the runs of its last event.">
                <LinkTable caption="Links between DAGs" edges={data.edges} side="both" />
              </Section>
            </>
          )
        }
      </Loaded>
    </>
  );
}

function LineageGraph({ graph }: { graph: Graph }) {
  const { slug } = useWorkspace();
  const router = useRouter();
  const dags = useMemo(
    () =>
      graph.nodes.map((node) => ({
        id: node.dagId,
        dependsOn: graph.edges.filter((e) => e.to === node.dagId).map((e) => e.from),
      })),
    [graph],
  );
  const shape = useGraphShape(dags);
  const { positions, arranged } = useGraphLayout(shape, 0);
  const nodes: TaskFlowNode[] = useMemo(
    () =>
      graph.nodes.map((node) => {
        const state = node.lastRun?.state;
        const subtitle = node.missing
          ? "no such DAG"
          : `${state ? `last run ${stateLabel(state).toLowerCase()}` : "no run yet"}${node.paused ? " · paused" : ""}`;
        return taskFlowNode(node.dagId, positions.get(node.dagId) ?? { x: 0, y: 0 }, {
          title: node.dagId,
          icon: "link",
          subtitle,
          border: node.missing ? "border-dashed border-red-400" : stateLook(state ?? "none").border,
        });
      }),
    [graph, positions],
  );
  // Links between the same two DAGs are drawn as one edge, lettered with their kinds ("D S").
  const edges: DependencyEdge[] = useMemo(() => {
    const pairs = new Map<string, LineageEdge[]>();
    for (const edge of graph.edges) {
      const key = `${edge.from}->${edge.to}`;
      pairs.set(key, [...(pairs.get(key) ?? []), edge]);
    }
    return [...pairs].map(([id, links]) => {
      const looks = links.map((link) => edgeLooks[link.kind]);
      const look = looks.every((l) => l === looks[0]) ? looks[0]! : { stroke: "#475569", dash: undefined };
      const { from, to } = links[0]!;
      return {
        id,
        source: from,
        target: to,
        label: [...new Set(looks.map((l) => l.letter))].join(" "),
        labelStyle: { fontSize: 11, fontWeight: 600, fill: look.stroke },
        style: { stroke: look.stroke, strokeWidth: 1.5, strokeDasharray: look.dash },
        markerEnd: { type: MarkerType.ArrowClosed, color: look.stroke },
        ariaLabel: `${to} follows ${from}: ${links.map((link) => linkLabel(link)).join("; ")}`,
      };
    });
  }, [graph]);
  return (
    <DagFlow
      label="Lineage graph"
      arranged={arranged}
      nodes={nodes}
      edges={edges}
      nodesDraggable={false}
      nodesConnectable={false}
      onNodeClick={(_, node) => {
        if (!graph.nodes.find((n) => n.dagId === node.id)?.missing) router.push(`/w/${slug}/dags/${node.id}`);
      }}
    />
  );
}
