"use client";
// SLA misses as people read them: the workspace's or a DAG's list (newest deadline first, a page
// at a time) and the run page's banner. How late comes from the server: final once the run or task
// succeeded, still growing while it has not.
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { Alert } from "@/app/_components/alert";
import { EmptyState } from "@/app/_components/empty-state";
import { LoadMore } from "@/app/_components/load-more";
import { Loaded } from "@/app/_components/loaded";
import { useWorkspace } from "@/app/_components/shell";
import { StateBadge } from "@/app/_components/state-badge";
import { link } from "@/app/_components/styles";
import { Cell, Rows, Table } from "@/app/_components/table";
import { formatDuration, Time } from "@/app/_components/time";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";
import type { AppRouter } from "@/server/api/root";

type SlaMiss = inferRouterOutputs<AppRouter>["slas"]["misses"]["items"][number];

const kindLabels: Record<SlaMiss["kind"], string> = {
  finish_by: "Finish by",
  max_duration: "Maximum duration",
  start_within: "Start within",
};

/** "12 min 5 s late", "3 min late and counting". */
export function lateness(miss: Pick<SlaMiss, "lateSeconds" | "metAt">): string {
  return `${formatDuration(miss.lateSeconds * 1000)} late${miss.metAt ? "" : " and counting"}`;
}

const what = (miss: SlaMiss) => (miss.taskId ? `task ${miss.taskId}` : "the run");

/** The misses of the workspace, or of one DAG. */
export function SlaMissTable({ dagId }: { dagId?: string }) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const pages = usePages((cursor) => ({
    ...trpc.slas.misses.queryOptions({ workspace: slug, dagId, cursor, limit: 20 }),
    refetchInterval: 30_000,
  }));
  return (
    <Loaded query={pages} label="SLA misses">
      {(misses) =>
        misses.length === 0 ? (
          <EmptyState title="No SLA misses">
            Deadlines are declared with <code className="font-mono">sla</code> in the DAG document (
            <code className="font-mono">finishBy</code>, <code className="font-mono">maxDurationMinutes</code>
            , <code className="font-mono">startWithinMinutes</code>); a run that misses one is listed here.
          </EmptyState>
        ) : (
          <>
            <Table
              caption="SLA misses, newest deadline first"
              columns={[...(dagId ? [] : ["DAG"]), "Run", "Missed by", "Deadline", "How late", "Now"]}
            >
              <Rows>
                {misses.map((miss) => (
                  <tr key={miss.id}>
                    {!dagId && (
                      <Cell>
                        <Link href={`/w/${slug}/dags/${miss.dagKey}`} className={`font-mono ${link}`}>
                          {miss.dagKey}
                        </Link>
                      </Cell>
                    )}
                    <Cell>
                      <Link href={`/w/${slug}/runs/${miss.runId}`} className={link}>
                        <Time value={miss.runLogicalDate} />
                      </Link>
                    </Cell>
                    <Cell>
                      {what(miss)}: {kindLabels[miss.kind].toLowerCase()}
                    </Cell>
                    <Cell>
                      <Time value={miss.deadline} />
                    </Cell>
                    <Cell className="font-medium text-red-700">{lateness(miss)}</Cell>
                    <Cell>
                      <StateBadge state={miss.state} />
                    </Cell>
                  </tr>
                ))}
              </Rows>
            </Table>
            <LoadMore pages={pages} noun="SLA misses" />
          </>
        )
      }
    </Loaded>
  );
}

/** The run page's notice of the run's misses (`count` from the run, so nothing is asked otherwise). */
export function SlaMissBanner({ runId, count }: { runId: string; count: number }) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const misses = useQuery({
    ...trpc.slas.misses.queryOptions({ workspace: slug, runId }),
    enabled: count > 0,
    refetchInterval: 30_000,
  });
  if (count === 0 || !misses.data) return null;
  return (
    <Alert
      tone="error"
      title={`This run missed ${count === 1 ? "an SLA" : `${count} SLA deadlines`}`}
      className="mb-4"
    >
      <ul className="list-disc space-y-0.5 pl-5">
        {misses.data.items.map((miss) => (
          <li key={miss.id}>
            {what(miss)}: {kindLabels[miss.kind].toLowerCase()}, deadline <Time value={miss.deadline} />,{" "}
            <strong>{lateness(miss)}</strong>
          </li>
        ))}
      </ul>
    </Alert>
  );
}
