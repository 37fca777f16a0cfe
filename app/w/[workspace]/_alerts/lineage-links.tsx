"use client";
// Links between DAGs as people read them: what each kind of link means, its last event, and a
// DAG's upstream and downstream lists (its page).
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { EmptyState } from "@/app/_components/empty-state";
import { Loaded } from "@/app/_components/loaded";
import { useWorkspace } from "@/app/_components/shell";
import { StateBadge } from "@/app/_components/state-badge";
import { link } from "@/app/_components/styles";
import { Cell, Rows, Table } from "@/app/_components/table";
import { Time } from "@/app/_components/time";
import { useTRPC } from "@/app/_lib/trpc";
import type { AppRouter } from "@/server/api/root";

export type LineageEdge = inferRouterOutputs<AppRouter>["lineage"]["graph"]["edges"][number];

/** What a link is, in words: "DAG trigger on success", "trigger_dag task kick", "sensor wait". */
export function linkLabel(edge: LineageEdge): string {
  switch (edge.kind) {
    case "dag_trigger":
      return `DAG trigger on ${edge.on.join(" or ")}${edge.enabled ? "" : " (disabled)"}`;
    case "trigger_dag":
      return `trigger_dag task ${edge.taskId}`;
    case "sensor":
      return `sensor ${edge.taskId} (waits for ${edge.on.join(", ")})`;
  }
}

/** The last event of a link: when, the runs at both ends, the state or error. */
export function LastEvent({ edge }: { edge: LineageEdge }) {
  const { slug } = useWorkspace();
  const event = edge.lastEvent;
  if (!event) return <span className="text-slate-400">Never yet</span>;
  const run = (id: string | null, label: string) =>
    id ? (
      <Link href={`/w/${slug}/runs/${id}`} className={link}>
        {label}
      </Link>
    ) : null;
  return (
    <span className="flex flex-wrap items-center gap-x-2 gap-y-1">
      <Time value={event.at} />
      {run(event.upstreamRunId, `${edge.from} run`)}
      {event.upstreamRunId && event.downstreamRunId && <span aria-hidden="true">→</span>}
      {run(event.downstreamRunId, `${edge.to} run`)}
      {event.state && <StateBadge state={event.state} />}
      {event.error && <span className="text-red-700">{event.error}</span>}
    </span>
  );
}

/** A table of links, each naming the DAG at its other end (`side`) or both. */
export function LinkTable({
  caption,
  edges,
  side,
}: {
  caption: string;
  edges: LineageEdge[];
  side: "from" | "to" | "both";
}) {
  const { slug } = useWorkspace();
  const dag = (key: string) => (
    <Link href={`/w/${slug}/dags/${key}`} className={`font-mono ${link}`}>
      {key}
    </Link>
  );
  return (
    <Table
      caption={caption}
      columns={[
        ...(side === "both" ? ["From", "To"] : [side === "from" ? "Upstream DAG" : "Downstream DAG"]),
        "Link",
        "Last event",
      ]}
    >
      <Rows>
        {edges.map((edge) => (
          <tr key={edge.id}>
            {side !== "to" && <Cell>{dag(edge.from)}</Cell>}
            {side !== "from" && <Cell>{dag(edge.to)}</Cell>}
            <Cell>{linkLabel(edge)}</Cell>
            <Cell>
              {edge.pending && (
                <span className="mb-1 block text-amber-700" data-pending={edge.from}>
                  Fired by{" "}
                  <Link href={`/w/${slug}/runs/${edge.pending.upstreamRunId}`} className={link}>
                    a {edge.from} run
                  </Link>{" "}
                  <Time value={edge.pending.since} />, waiting for the rest of {edge.to}'s trigger condition
                </span>
              )}
              <LastEvent edge={edge} />
            </Cell>
          </tr>
        ))}
      </Rows>
    </Table>
  );
}

/** A DAG's upstream and downstream links (its page). */
export function DagLineage({ dagId }: { dagId: string }) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const lineage = useQuery({
    ...trpc.lineage.dag.queryOptions({ workspace: slug, dagId }),
    refetchInterval: 30_000,
  });
  return (
    <Loaded query={lineage} label="the DAG's links">
      {(data) =>
        data.upstream.length + data.downstream.length === 0 ? (
          <EmptyState title="No links to other DAGs">
            DAG triggers, <code className="font-mono">trigger_dag</code> tasks and{" "}
            <code className="font-mono">external_run_sensor</code>s link DAGs; see the{" "}
            <Link href={`/w/${slug}/lineage`} className={link}>
              workspace's lineage
            </Link>
            .
          </EmptyState>
        ) : (
          <div className="grid gap-4 lg:grid-cols-2">
            <div>
              <h3 className="mb-2 text-sm font-semibold text-slate-900">Upstream ({data.upstream.length})</h3>
              {data.upstream.length > 0 ? (
                <LinkTable caption="Upstream: DAGs this one follows" edges={data.upstream} side="from" />
              ) : (
                <p className="text-sm text-slate-500">Nothing leads here.</p>
              )}
            </div>
            <div>
              <h3 className="mb-2 text-sm font-semibold text-slate-900">
                Downstream ({data.downstream.length})
              </h3>
              {data.downstream.length > 0 ? (
                <LinkTable
                  caption="Downstream: DAGs that follow this one"
                  edges={data.downstream}
                  side="to"
                />
              ) : (
                <p className="text-sm text-slate-500">Nothing follows from here.</p>
              )}
            </div>
          </div>
        )
      }
    </Loaded>
  );
}
