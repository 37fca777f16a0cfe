"use client";
import { skipToken, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useParams, usePathname, useRouter, useSearchParams } from "next/navigation";
import { Suspense, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { AffectedList, ConfirmButton } from "@/app/_components/confirm-dialog";
import { stableList } from "@/app/_components/dag-graph/task-node";
import { errorCode, errorMessage } from "@/app/_components/errors";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader, Section } from "@/app/_components/page-header";
import { RunReasonBanner } from "@/app/_components/run-reason";
import { useWorkspace } from "@/app/_components/shell";
import { isRunFinished, StateBadge, StateLegend } from "@/app/_components/state-badge";
import { link } from "@/app/_components/styles";
import { elapsed, formatDuration, Time } from "@/app/_components/time";
import { useTRPC } from "@/app/_lib/trpc";
import type { DagDefinition } from "@/server/dags/definition";
import { maxTasks } from "@/server/dags/limits";
import { MAX_PAGE_SIZE } from "@/server/pagination";
import { SlaMissBanner } from "../../_alerts/sla-misses";
import { ApprovalBanner } from "./approvals";
import { Gantt, type GanttRow } from "./gantt";
import { type GraphTask, RunGraph } from "./run-graph";
import { TaskDrawer } from "./task-drawer";

const POLL_MS = 1000;
const terminal = new Set(["success", "failed", "skipped", "upstream_failed", "cancelled"]);

/** `icons`: each operator's icon by name, for the graph. */
export function RunPage({ icons }: { icons: Record<string, string> }) {
  return (
    <Suspense>
      <RunView icons={icons} />
    </Suspense>
  );
}

/** Re-renders every second while `on`, for durations of things still running. */
function useNow(on: boolean) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [on]);
  return now;
}

function RunView({ icons }: { icons: Record<string, string> }) {
  const { runId } = useParams<{ runId: string }>();
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const pathname = usePathname();
  const search = useSearchParams();
  const selected = search.get("task") ?? undefined;

  const run = useQuery({
    ...trpc.runs.get.queryOptions({ workspace: workspace.slug, runId, taskLimit: maxTasks }),
    refetchInterval: (query) => (query.state.data && isRunFinished(query.state.data.state) ? false : POLL_MS),
  });
  const version = useQuery(
    trpc.dags.version.queryOptions(
      run.data
        ? { workspace: workspace.slug, dagId: run.data.dagKey, number: run.data.versionNumber }
        : skipToken,
      { staleTime: Number.POSITIVE_INFINITY },
    ),
  );

  const refresh = useCallback(
    () => queryClient.invalidateQueries({ queryKey: trpc.runs.pathKey() }),
    [queryClient, trpc],
  );
  const select = useCallback(
    (taskId: string | undefined) => {
      const params = new URLSearchParams(search.toString());
      if (taskId) params.set("task", taskId);
      else params.delete("task");
      router.replace(`${pathname}${params.size ? `?${params}` : ""}`, { scroll: false });
    },
    [router, pathname, search],
  );

  const document = version.data?.document as DagDefinition | undefined;
  const graphTasks: GraphTask[] = useMemo(
    () =>
      (document?.tasks ?? []).map((task) => ({
        id: task.id,
        dependsOn: task.dependsOn,
        icon: icons[task.operator] ?? "unknown",
        edgeLabels: task.edgeLabels,
      })),
    [document, icons],
  );
  const groupIds = useMemo(() => document?.groups?.map((group) => group.id) ?? [], [document]);

  const instances = run.data?.tasks ?? [];
  const states = useMemo(() => {
    const map = new Map<string, { state: string; note?: string }>();
    for (const t of instances) {
      if (t.mapIndex !== -1) continue;
      map.set(
        t.taskId,
        t.mapCount !== null ? { state: t.state, note: `${t.mapCount} mapped` } : { state: t.state },
      );
    }
    return map;
  }, [instances]);

  // Gantt rows stay the same objects while their attempts do not change.
  const rowCache = useRef(null);
  const rows = useMemo(
    () =>
      stableList<(typeof instances)[number], GanttRow>(
        rowCache,
        instances,
        (t) => `${t.taskId}:${t.mapIndex}`,
        (t) => [t.attempts.map((a) => `${a.number}${a.state}${a.endedAt?.getTime() ?? ""}`).join()],
        (t) => ({
          key: `${t.taskId}:${t.mapIndex}`,
          label: t.mapIndex >= 0 ? `${t.taskId}[${t.mapIndex}]` : t.taskId,
          taskId: t.taskId,
          attempts: t.attempts,
        }),
      ),
    [instances],
  );

  const finished = run.data ? isRunFinished(run.data.state) : true;
  const now = useNow(!finished);
  // Approvals waiting for a decision. A waiting approval is a deferred task, so they are asked
  // for (with the run's pace) only while the run has one.
  const deferred = !finished && instances.some((t) => t.state === "deferred");
  const approvals = useQuery({
    ...trpc.approvals.pending.queryOptions({ workspace: workspace.slug, runId, limit: MAX_PAGE_SIZE }),
    select: (page) => page.items,
    enabled: deferred,
    refetchInterval: deferred ? POLL_MS : false,
  });
  const pending = deferred ? (approvals.data ?? []) : [];
  const operate = workspace.can("runs:operate");
  const cancel = useMutation(trpc.runs.cancel.mutationOptions({ onSuccess: refresh }));
  const retry = useMutation(trpc.runs.retryFailed.mutationOptions({ onSuccess: refresh }));
  const failure = retry.error;

  if (errorCode(run.error) === "NOT_FOUND" || errorCode(run.error) === "BAD_REQUEST") {
    return (
      <Alert tone="warning" title="Run not found">
        There is no such run in this workspace.{" "}
        <Link href={`/w/${workspace.slug}/dags`} className={link}>
          All DAGs
        </Link>
      </Alert>
    );
  }

  const selectedInstance = instances.find((t) => t.taskId === selected && t.mapIndex === -1);
  const selectedConfig = document?.tasks.find((t) => t.id === selected)?.config;
  const hasFailures = instances.some((t) => t.state === "failed" || t.state === "upstream_failed");

  return (
    <Loaded query={run} label="the run">
      {(data) => (
        <>
          <PageHeader
            title={
              <span className="flex flex-wrap items-center gap-3">
                <span>
                  Run of{" "}
                  <Link href={`/w/${workspace.slug}/dags/${data.dagKey}`} className={`font-mono ${link}`}>
                    {data.dagKey}
                  </Link>
                </span>
                <StateBadge state={data.state} className="text-sm" />
              </span>
            }
            description={
              <span className="flex flex-wrap gap-x-4 gap-y-1">
                <span>
                  Version {data.versionNumber} · {data.triggeredBy}
                  {data.triggeredByLabel && ` by ${data.triggeredByLabel}`}
                </span>
                <span>
                  Logical date <Time value={data.logicalDate} />
                </span>
                <span>
                  {data.startedAt ? (
                    <>
                      Ran {formatDuration(elapsed(data.startedAt, data.endedAt, now) ?? 0)}
                      {!data.endedAt && " so far"}
                    </>
                  ) : (
                    "Not started"
                  )}
                </span>
                {data.note && <span className="italic">“{data.note}”</span>}
              </span>
            }
            actions={
              operate && (
                <>
                  {hasFailures && (
                    <Button
                      variant="secondary"
                      pending={retry.isPending}
                      pendingLabel="Retrying…"
                      onClick={() => retry.mutate({ workspace: workspace.slug, runId })}
                    >
                      Retry failed
                    </Button>
                  )}
                  {!finished && (
                    <ConfirmButton
                      variant="danger"
                      title="Cancel this run?"
                      description="Running attempts are aborted and no other task starts. Tasks that finished keep their state."
                      preview={
                        <AffectedList
                          label="Unfinished tasks to cancel"
                          items={instances
                            .filter((t) => !terminal.has(t.state))
                            .map((t) => (t.mapIndex >= 0 ? `${t.taskId}[${t.mapIndex}]` : t.taskId))}
                        />
                      }
                      confirmLabel="Cancel run"
                      pendingLabel="Cancelling…"
                      onConfirm={() => cancel.mutateAsync({ workspace: workspace.slug, runId })}
                    >
                      Cancel run
                    </ConfirmButton>
                  )}
                </>
              )
            }
          />
          {failure && (
            <Alert tone="error" className="mb-4">
              {errorMessage(failure)}
            </Alert>
          )}
          <RunReasonBanner run={data} />
          <WaitingTasks tasks={instances} onOpen={select} />
          <RunParams values={data.params} />
          <SlaMissBanner runId={runId} count={data.slaMisses} />
          <ApprovalBanner runId={runId} pending={pending} onOpen={select} />
          <div
            className={`mb-6 grid grid-cols-[minmax(0,1fr)] gap-4 ${selectedInstance ? "lg:grid-cols-[minmax(0,1fr)_26rem]" : ""}`}
          >
            <div className="flex h-[30rem] flex-col overflow-hidden rounded-lg border border-slate-200 bg-white">
              <div className="min-h-0 flex-1">
                {document ? (
                  <RunGraph
                    tasks={graphTasks}
                    groups={groupIds}
                    states={states}
                    selected={selected}
                    onSelect={select}
                  />
                ) : (
                  <p role="status" className="p-4 text-sm text-slate-500">
                    Loading the graph…
                  </p>
                )}
              </div>
              <div className="border-t border-slate-200 bg-slate-50 px-3 py-2">
                <StateLegend />
              </div>
            </div>
            {selectedInstance && (
              <div className="h-[30rem]">
                <TaskDrawer
                  key={selectedInstance.taskId}
                  runId={runId}
                  instance={selectedInstance}
                  config={selectedConfig}
                  approval={pending.find((a) => a.taskId === selectedInstance.taskId && a.mapIndex === -1)}
                  logsPurged={
                    data.logsPurgedAt && data.logRetentionDays !== null
                      ? { at: data.logsPurgedAt, retentionDays: data.logRetentionDays }
                      : undefined
                  }
                  onClose={() => select(undefined)}
                  onChanged={refresh}
                />
              </div>
            )}
          </div>
          <Section title="Gantt" description="Each bar is an attempt; select a task to see its log.">
            <Gantt rows={rows} startedAt={data.startedAt} now={now} selected={selected} onSelect={select} />
          </Section>
        </>
      )}
    </Loaded>
  );
}

/** Ready tasks held back (a quota, a pool, no worker), each with what it waits for. */
function WaitingTasks({
  tasks,
  onOpen,
}: {
  tasks: { taskId: string; mapIndex: number; waitingFor: string | null }[];
  onOpen: (taskId: string) => void;
}) {
  const waiting = tasks.filter((t) => t.waitingFor);
  if (waiting.length === 0) return null;
  // One line per distinct reason: a wide map waiting on one quota is one line, not thousands.
  const byReason = new Map<string, { taskId: string; label: string }[]>();
  for (const t of waiting) {
    const label = t.mapIndex >= 0 ? `${t.taskId}[${t.mapIndex}]` : t.taskId;
    byReason.set(t.waitingFor!, [...(byReason.get(t.waitingFor!) ?? []), { taskId: t.taskId, label }]);
  }
  return (
    <Alert tone="warning" title="Tasks ready but waiting" className="mb-4">
      <ul className="space-y-1">
        {[...byReason].map(([reason, labels]) => (
          <li key={reason}>
            {labels.slice(0, 5).map(({ taskId, label }, i) => (
              <span key={label}>
                {i > 0 && ", "}
                <button type="button" className={`font-mono ${link}`} onClick={() => onOpen(taskId)}>
                  {label}
                </button>
              </span>
            ))}
            {labels.length > 5 && ` and ${labels.length - 5} more`}: <span data-task-reason>{reason}</span>
          </li>
        ))}
      </ul>
    </Alert>
  );
}

/** The run's params, in a line. */
function RunParams({ values }: { values: unknown }) {
  const entries = Object.entries((values ?? {}) as Record<string, unknown>);
  if (entries.length === 0) return null;
  return (
    <dl className="mb-4 flex flex-wrap gap-x-4 gap-y-1 text-sm">
      {entries.map(([name, value]) => (
        <div key={name} className="flex gap-1.5">
          <dt className="font-mono text-slate-500">{name}</dt>
          <dd className="font-mono text-slate-900">{JSON.stringify(value)}</dd>
        </div>
      ))}
    </dl>
  );
}
