"use client";
// One task of a run: its state, the actions an operator may take, its attempts, output, error,
// the log of the chosen attempt, and last its config (long code would push the log out of
// sight); for a mapped task, its elements, each of which opens in the same panel.
import { useState } from "react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { SelectField } from "@/app/_components/field";
import { useWorkspace } from "@/app/_components/shell";
import { StateBadge } from "@/app/_components/state-badge";
import { elapsed, formatDuration, Time } from "@/app/_components/time";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";
import { terminalTaskStates } from "@/server/engine/states";
import { ApprovalDecision, type PendingApproval } from "./approvals";
import { LogView } from "./log-view";
import { MappedElements } from "./mapped-elements";
import { TaskActions } from "./task-actions";

export interface DrawerInstance {
  taskId: string;
  mapIndex: number;
  /** For a mapped task's parent: how many elements, and how many are in each state. */
  mapCount: number | null;
  mapStates: Record<string, number> | null;
  state: string;
  tryNumber: number;
  maxTries: number;
  output: unknown;
  error: string | null;
  /** What a ready (queued) task waits for, in words. */
  waitingFor: string | null;
  startedAt: Date | null;
  endedAt: Date | null;
  attempts: Array<{
    number: number;
    state: string;
    error: string | null;
    startedAt: Date;
    endedAt: Date | null;
    workerId: string;
  }>;
}

const activeStates = new Set(["queued", "scheduled", "running", "deferred", "up_for_retry"]);
const MASK = "••••••••";
const secretKey = /pass(word)?|secret|token|authorization|api[-_]?key|credential/i;

/**
 * The task's config as written, with values under secret-looking keys masked unless they are only
 * template references: `{{ secrets.X }}` names a secret without revealing it, and values are
 * rendered only inside the worker.
 */
export function maskSecrets(value: unknown, key = ""): unknown {
  if (typeof value === "string") {
    const onlyTemplates = value.replace(/\{\{[^}]*\}\}/g, "").trim() === "";
    return secretKey.test(key) && !onlyTemplates ? MASK : value;
  }
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, key));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, k)]));
  }
  return value;
}

function Block({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="space-y-1.5">
      <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">{title}</h3>
      {children}
    </section>
  );
}

const pre =
  "max-h-60 overflow-auto rounded-md bg-slate-50 p-2.5 font-mono text-xs text-slate-800 ring-1 ring-slate-200";

const POLL_MS = 1000;

interface DrawerProps {
  runId: string;
  instance: DrawerInstance;
  config: unknown;
  /** The approval this task waits for, if it does. */
  approval?: PendingApproval | undefined;
  /** When retention removed the run's logs, and the workspace's log retention. */
  logsPurged?: { at: Date; retentionDays: number } | undefined;
  onClose: () => void;
  onChanged: () => void;
}

export function TaskDrawer(props: DrawerProps) {
  const { runId, instance } = props;
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const mapped = instance.mapIndex === -1 && instance.mapStates !== null;
  const elements = usePages((cursor) =>
    trpc.runs.tasks.queryOptions(
      { workspace: workspace.slug, runId, taskId: instance.taskId, mapped: true, cursor },
      { enabled: mapped, refetchInterval: mapped && activeStates.has(instance.state) ? POLL_MS : false },
    ),
  );
  const [element, setElement] = useState<number | null>(null);
  const opened = element === null ? undefined : elements.data?.find((e) => e.mapIndex === element);
  if (opened) {
    return (
      <InstancePanel
        {...props}
        key={`${opened.taskId}[${opened.mapIndex}]`}
        instance={opened}
        approval={undefined}
        closeLabel={`Back to ${instance.taskId}`}
        onClose={() => setElement(null)}
      />
    );
  }
  return (
    <InstancePanel
      {...props}
      elements={
        mapped ? (
          <MappedElements
            taskId={instance.taskId}
            states={instance.mapStates ?? {}}
            pages={elements}
            onOpen={setElement}
          />
        ) : undefined
      }
    />
  );
}

function InstancePanel({
  runId,
  instance,
  config,
  approval,
  logsPurged,
  onClose,
  onChanged,
  elements,
  closeLabel = "Close",
}: DrawerProps & {
  /** A mapped task's list of elements. */
  elements?: React.ReactNode;
  closeLabel?: string;
}) {
  const workspace = useWorkspace();
  const [attempt, setAttempt] = useState<number | null>(null);
  const shownAttempt = attempt ?? instance.tryNumber;
  const label = instance.mapIndex >= 0 ? `${instance.taskId}[${instance.mapIndex}]` : instance.taskId;
  const duration = elapsed(instance.startedAt, instance.endedAt);
  // Retention removes the logs of attempts up to then; a task cleared since has new ones.
  const shownStartedAt = instance.attempts.find((a) => a.number === shownAttempt)?.startedAt;
  const purged = logsPurged && shownStartedAt && shownStartedAt < logsPurged.at ? logsPurged : undefined;

  return (
    <aside
      aria-label={`Task ${label}`}
      className="flex h-full flex-col overflow-hidden rounded-lg border border-slate-200 bg-white"
    >
      <div className="flex items-start justify-between gap-2 border-b border-slate-200 p-4">
        <div className="min-w-0">
          <h2 className="truncate font-mono text-base font-semibold text-slate-900">{label}</h2>
          <p className="mt-1 flex flex-wrap items-center gap-2 text-xs text-slate-600">
            <StateBadge state={instance.state} />
            <span>
              {/* "of N" only while a retry remains: a task that will not retry has no count to fill. */}
              Attempt {instance.tryNumber}
              {instance.tryNumber < instance.maxTries &&
                !(terminalTaskStates as ReadonlySet<string>).has(instance.state) &&
                ` of ${instance.maxTries}`}
            </span>
            {duration !== undefined && <span>{formatDuration(duration)}</span>}
          </p>
        </div>
        <Button
          variant="ghost"
          size="sm"
          onClick={onClose}
          aria-label={closeLabel === "Close" ? "Close the task panel" : closeLabel}
        >
          {closeLabel === "Close" ? "Close" : "Back"}
        </Button>
      </div>
      <div className="min-h-0 flex-1 space-y-5 overflow-y-auto p-4">
        {approval && (
          <Block title="Waiting for approval">
            <ApprovalDecision runId={runId} approval={approval} />
          </Block>
        )}
        {workspace.can("runs:operate") && instance.mapIndex === -1 && (
          <TaskActions runId={runId} taskId={instance.taskId} onChanged={onChanged} />
        )}
        {instance.waitingFor && (
          <Alert tone="warning" title="Waiting">
            Ready, but waiting: {instance.waitingFor}.
          </Alert>
        )}
        {instance.error && (
          <Block title="Error">
            <pre className={`${pre} bg-red-50 text-red-900 ring-red-200 whitespace-pre-wrap`}>
              {instance.error}
            </pre>
          </Block>
        )}
        {elements && <Block title={`Elements (${instance.mapCount ?? 0})`}>{elements}</Block>}
        <Block title="Attempts">
          {instance.attempts.length === 0 ? (
            <p className="text-sm text-slate-500">
              {elements
                ? "A mapped task runs as its elements: open one for its attempts and log."
                : "Not started yet."}
            </p>
          ) : (
            <ol className="space-y-1 text-xs">
              {instance.attempts.map((a) => (
                <li key={a.number} className="flex flex-wrap items-center gap-2">
                  <span className="font-medium">#{a.number}</span>
                  <StateBadge state={a.state === "lost" ? "failed" : a.state} />
                  <Time value={a.startedAt} />
                  <span>{formatDuration(elapsed(a.startedAt, a.endedAt) ?? 0)}</span>
                  {a.error && (
                    <span className="w-full truncate text-red-700" title={a.error}>
                      {a.error}
                    </span>
                  )}
                </li>
              ))}
            </ol>
          )}
        </Block>
        {instance.output !== null && instance.output !== undefined && (
          <Block title="Output">
            <pre className={pre}>{JSON.stringify(instance.output, null, 2)}</pre>
          </Block>
        )}
        {shownAttempt >= 1 && (
          <Block title="Log">
            {instance.attempts.length > 1 && (
              <SelectField
                label="Attempt"
                value={shownAttempt}
                onChange={(event) => setAttempt(Number(event.target.value))}
                className="max-w-40"
              >
                {instance.attempts.map((a) => (
                  <option key={a.number} value={a.number}>
                    Attempt {a.number}
                  </option>
                ))}
              </SelectField>
            )}
            {purged ? (
              <Alert>
                Logs were removed on <Time value={purged.at} /> under this workspace's log retention (
                {purged.retentionDays} {purged.retentionDays === 1 ? "day" : "days"}).
              </Alert>
            ) : (
              <LogView
                runId={runId}
                taskId={instance.taskId}
                mapIndex={instance.mapIndex}
                attempt={shownAttempt}
                active={shownAttempt === instance.tryNumber && activeStates.has(instance.state)}
              />
            )}
          </Block>
        )}
        <Block title="Config">
          <p className="text-xs text-slate-500">
            As written in the DAG version; templates are rendered only inside the worker, and secret values
            are never shown.
          </p>
          <pre className={pre}>{JSON.stringify(maskSecrets(config ?? {}), null, 2)}</pre>
        </Block>
      </div>
    </aside>
  );
}
