"use client";
// The table of runs on the workspace's Runs page and on a DAG's Runs tab: one row shape, with the
// DAG column where runs of several DAGs are listed and the note column on a DAG's own list. A run
// that waits or never started says why under its state (runReason).
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import type { AppRouter } from "@/server/api/root";
import type { RunTrigger } from "@/server/engine/run-triggers";
import { runReason } from "./run-reason";
import { useWorkspace } from "./shell";
import { StateBadge } from "./state-badge";
import { link } from "./styles";
import { Cell, Rows, Table } from "./table";
import { elapsed, formatDuration, Time } from "./time";

type Run = inferRouterOutputs<AppRouter>["runs"]["list"]["items"][number];

export const triggerLabels: Record<RunTrigger, string> = {
  manual: "Manual",
  schedule: "Schedule",
  backfill: "Backfill",
  webhook: "Webhook",
  api: "API",
  dag: "Another DAG",
};

export function RunsTable({
  runs,
  caption,
  withDag = false,
  withNote = false,
}: {
  runs: Run[];
  caption: string;
  withDag?: boolean;
  withNote?: boolean;
}) {
  const { slug } = useWorkspace();
  const columns = [
    "Run",
    ...(withDag ? ["DAG"] : []),
    "State",
    "Triggered",
    "Logical date",
    "Started",
    "Duration",
    ...(withNote ? ["Note"] : []),
  ];
  return (
    <Table caption={caption} columns={columns}>
      <Rows>
        {runs.map((run) => {
          const reason = runReason(run);
          return (
            <tr key={run.id}>
              <Cell>
                <Link href={`/w/${slug}/runs/${run.id}`} className={`font-mono text-xs ${link}`}>
                  {run.id.slice(0, 8)}
                </Link>
              </Cell>
              {withDag && (
                <Cell>
                  <Link href={`/w/${slug}/dags/${run.dagKey}`} className={link}>
                    {run.dagKey}
                  </Link>
                </Cell>
              )}
              <Cell>
                <StateBadge state={run.state} />
                {reason && <p className="mt-1 max-w-xs text-xs text-slate-600">{reason}</p>}
              </Cell>
              <Cell className="text-xs">
                {triggerLabels[run.triggeredBy as RunTrigger] ?? run.triggeredBy}
                {run.triggeredByLabel && <span className="text-slate-500"> · {run.triggeredByLabel}</span>}
              </Cell>
              <Cell>
                <Time value={run.logicalDate} />
              </Cell>
              <Cell>
                <Time value={run.startedAt} fallback="Not yet" />
              </Cell>
              <Cell className="text-xs whitespace-nowrap">
                {run.startedAt ? formatDuration(elapsed(run.startedAt, run.endedAt) ?? 0) : "—"}
              </Cell>
              {withNote && (
                <Cell className="max-w-64 truncate text-xs" title={run.note ?? undefined}>
                  {run.note}
                </Cell>
              )}
            </tr>
          );
        })}
      </Rows>
    </Table>
  );
}
