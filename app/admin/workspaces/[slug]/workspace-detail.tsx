"use client";
// One workspace in the platform console: its use this month, its plan and overrides (with the
// effective quotas the engine enforces), its worker pool, suspension, and its recent audit events.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { useState } from "react";
import { Alert } from "@/app/_components/alert";
import { AuditTable } from "@/app/_components/audit-table";
import { Button } from "@/app/_components/button";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { Dialog, DialogActions } from "@/app/_components/dialog";
import { errorCode, errorMessage, formErrors } from "@/app/_components/errors";
import { Field, SelectField, TextAreaField } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader, Section } from "@/app/_components/page-header";
import { buttonClass, control } from "@/app/_components/styles";
import { Cell, Rows, Table } from "@/app/_components/table";
import { Time } from "@/app/_components/time";
import { useTRPC } from "@/app/_lib/trpc";
import { DailyBarChart } from "@/app/w/[workspace]/usage/_components/daily-bar-chart";
import type { AppRouter } from "@/server/api/root";
import { type QuotaKey, type QuotaUnit, quotaCatalog, quotaKeys } from "@/server/quotas/catalog";
import { formatBytes, formatQuantity, formatSeconds } from "@/server/usage/format";
import { typedValue, unitWords } from "../../_components/quota-input";
import { StatusBadge } from "../../_components/status-badge";
import { Used } from "../../_components/used";
import { WorkerPoolSection } from "./worker-pool-section";

type Workspace = inferRouterOutputs<AppRouter>["platform"]["workspace"];

export function WorkspaceDetail({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.platform.workspace.queryOptions({ workspace: slug }));
  if (errorCode(query.error) === "NOT_FOUND") {
    return (
      <Alert tone="warning" title="Workspace not found">
        There is no workspace at “{slug}”.{" "}
        <Link href="/admin" className="underline">
          Back to all workspaces
        </Link>
      </Alert>
    );
  }
  return (
    <Loaded query={query} label="the workspace">
      {(workspace) => (
        <>
          <PageHeader
            title={workspace.name}
            description={
              <span className="flex flex-wrap items-center gap-2">
                <span className="font-mono text-xs">{workspace.slug}</span>
                <StatusBadge status={workspace.status} />
                <span>
                  on the {workspace.plan.name} plan · owners: {workspace.owners.join(", ") || "none"}
                </span>
              </span>
            }
            actions={
              <Link href="/admin" className={buttonClass("secondary")}>
                All workspaces
              </Link>
            }
          />
          {workspace.deletedAt && <DeletedSection workspace={workspace} />}
          {workspace.suspendedAt && !workspace.deletedAt && (
            <Alert tone="warning" title="Suspended" className="mb-6">
              Since <Time value={workspace.suspendedAt} />: {workspace.suspendedReason}
            </Alert>
          )}
          <UseSection workspace={workspace} />
          <UsageHistorySection workspace={workspace} />
          <PlanSection workspace={workspace} />
          <QuotasSection workspace={workspace} />
          <WorkerPoolSection workspace={workspace} />
          <RetentionSection workspace={workspace} />
          <DataSection workspace={workspace} />
          <SuspensionSection workspace={workspace} />
          <EventsSection workspace={workspace} />
        </>
      )}
    </Loaded>
  );
}

/** After a change the server answers with the workspace as it is now; the list is stale. */
function useSaved() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return (workspace: Workspace) => {
    queryClient.setQueryData(trpc.platform.workspace.queryKey({ workspace: workspace.slug }), workspace);
    return Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.platform.workspaces.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.platform.plans.queryKey() }),
    ]);
  };
}

function UseSection({ workspace }: { workspace: Workspace }) {
  const { effective } = workspace;
  const items: { label: string; value: number; limit?: number; unit: QuotaUnit }[] = [
    {
      label: "Task runs this month",
      value: workspace.taskRuns,
      limit: effective.maxTaskRunsPerMonth,
      unit: "count",
    },
    {
      label: "Task-seconds this month",
      value: workspace.taskSeconds,
      limit: effective.maxTaskSecondsPerMonth,
      unit: "seconds",
    },
    { label: "DAGs", value: workspace.dags, limit: effective.maxDags, unit: "count" },
    { label: "Members", value: workspace.members, limit: effective.maxMembers, unit: "count" },
    { label: "Pools", value: workspace.pools, limit: effective.maxPools, unit: "count" },
    {
      label: "Running runs",
      value: workspace.runningRuns,
      limit: effective.maxConcurrentRuns,
      unit: "count",
    },
  ];
  return (
    <Section
      title="Use"
      description="This month's metered use (UTC) and what exists now, against the effective quotas."
    >
      <dl className="grid grid-cols-2 gap-4 sm:grid-cols-3">
        {items.map((item) => (
          <div key={item.label}>
            <dt className="text-xs font-medium text-slate-500">{item.label}</dt>
            <dd className="mt-0.5 text-sm text-slate-900">
              <Used value={item.value} limit={item.limit ?? 0} unit={item.unit} />
            </dd>
          </div>
        ))}
      </dl>
    </Section>
  );
}

function PlanSection({ workspace }: { workspace: Workspace }) {
  const trpc = useTRPC();
  const saved = useSaved();
  const plans = useQuery(trpc.platform.plans.queryOptions());
  const change = useMutation(trpc.platform.changePlan.mutationOptions({ onSuccess: saved }));
  const errors = formErrors(change.error, ["planKey"]);
  return (
    <Section
      title="Plan"
      description="The plan sets every quota; overrides below take precedence for this workspace only."
    >
      <Loaded query={plans} label="plans">
        {(plans) => (
          <Form
            className="flex flex-wrap items-end gap-3"
            onValues={(values) => change.mutate({ workspace: workspace.slug, planKey: values.planKey ?? "" })}
          >
            <SelectField
              label="Plan"
              name="planKey"
              defaultValue={workspace.plan.key}
              key={workspace.plan.key}
              error={errors.fields.planKey}
              className="w-64"
            >
              {/* An archived plan cannot be chosen; the workspace's own stays listed as it is. */}
              {plans
                .filter((plan) => !plan.archivedAt || plan.key === workspace.plan.key)
                .map((plan) => (
                  <option key={plan.key} value={plan.key}>
                    {plan.name} ({plan.key}){plan.archivedAt ? " · archived" : ""}
                  </option>
                ))}
            </SelectField>
            <Button type="submit" pending={change.isPending} pendingLabel="Changing…">
              Change plan
            </Button>
          </Form>
        )}
      </Loaded>
      {errors.message && (
        <Alert tone="error" className="mt-4">
          {errors.message}
        </Alert>
      )}
      {change.isSuccess && !change.isPending && (
        <Alert tone="success" className="mt-4">
          The workspace is now on the {change.data.plan.name} plan.
        </Alert>
      )}
    </Section>
  );
}

function QuotasSection({ workspace }: { workspace: Workspace }) {
  const trpc = useTRPC();
  const saved = useSaved();
  const save = useMutation(trpc.platform.setOverrides.mutationOptions({ onSuccess: saved }));
  const fields = quotaKeys.map((key) => `overrides.${key}` as const);
  const errors = formErrors(save.error, fields);
  const overrides = workspace.overrides as Partial<Record<QuotaKey, number>>;

  function submit(values: Record<string, string>) {
    const typed: Record<string, number | string> = {};
    for (const key of quotaKeys) {
      const text = values[key]?.trim() ?? "";
      if (text !== "") typed[key] = typedValue(text);
    }
    save.mutate({ workspace: workspace.slug, overrides: typed });
  }

  return (
    <Section
      title="Quotas"
      description="Leave an override empty to use the plan's value. The effective value is what the engine enforces."
    >
      {/* Re-mounted after a save, so the inputs show what was stored. */}
      <Form onValues={submit} key={JSON.stringify(overrides)}>
        {errors.message && <Alert tone="error">{errors.message}</Alert>}
        <Table caption="Quotas" columns={["Quota", "Plan", "Override", "Effective"]}>
          <Rows>
            {quotaKeys.map((key) => {
              const info = quotaCatalog[key];
              const error = errors.fields[`overrides.${key}`];
              const planValue = workspace.plan.quotas[key];
              const id = `override-${key}`;
              return (
                <tr key={key}>
                  <Cell className="min-w-48">
                    <label htmlFor={id} className="font-medium text-slate-900">
                      {info.label}
                    </label>
                    <p className="text-xs text-slate-500">{info.bites}</p>
                  </Cell>
                  <Cell className="whitespace-nowrap">{formatQuantity(planValue, info.unit)}</Cell>
                  <Cell className="min-w-44">
                    <div className="flex items-center gap-2">
                      <input
                        id={id}
                        name={key}
                        inputMode="numeric"
                        autoComplete="off"
                        defaultValue={overrides[key] ?? ""}
                        placeholder={String(planValue)}
                        aria-invalid={error ? true : undefined}
                        aria-describedby={error ? `${id}-error` : undefined}
                        className={`${control} block w-32 py-1.5`}
                      />
                      <span className="text-xs text-slate-500">{unitWords[info.unit]}</span>
                    </div>
                    {error && (
                      <p id={`${id}-error`} className="mt-1 text-sm text-red-700">
                        {error}
                      </p>
                    )}
                  </Cell>
                  <Cell className="whitespace-nowrap">
                    <span className={key in overrides ? "font-semibold text-indigo-700" : undefined}>
                      {formatQuantity(workspace.effective[key], info.unit)}
                    </span>
                    {key in overrides && <span className="sr-only"> (overridden)</span>}
                  </Cell>
                </tr>
              );
            })}
          </Rows>
        </Table>
        <div className="flex items-center gap-3">
          <Button type="submit" pending={save.isPending} pendingLabel="Saving…">
            Save overrides
          </Button>
          {save.isSuccess && !save.isPending && (
            <p role="status" className="text-sm text-emerald-700">
              Saved.
            </p>
          )}
        </div>
      </Form>
    </Section>
  );
}

/** A workspace its Owner deleted: when it goes for good, and bringing it back before that. */
function DeletedSection({ workspace }: { workspace: Workspace }) {
  const trpc = useTRPC();
  const saved = useSaved();
  const restore = useMutation(trpc.platform.restore.mutationOptions({ onSuccess: saved }));
  return (
    <Alert tone="warning" title="Deleted by its Owner" className="mb-6">
      <p>
        Deleted <Time value={workspace.deletedAt} />; its members no longer see it and nothing runs. It is
        purged with everything in it on <Time value={workspace.purgeAfter} /> unless it is restored.
      </p>
      {restore.error && <p className="mt-2 text-red-800">{errorMessage(restore.error)}</p>}
      <ConfirmButton
        className="mt-3"
        variant="secondary"
        title={`Restore ${workspace.name}?`}
        description="Its members see it again, and its schedules, webhooks and queued work go on."
        confirmLabel="Restore workspace"
        pendingLabel="Restoring…"
        onConfirm={() => restore.mutateAsync({ workspace: workspace.slug })}
      >
        Restore workspace
      </ConfirmButton>
    </Alert>
  );
}

function SuspensionSection({ workspace }: { workspace: Workspace }) {
  const trpc = useTRPC();
  const saved = useSaved();
  const [reason, setReason] = useState("");
  const [confirming, setConfirming] = useState(false);
  const close = () => setConfirming(false);
  const suspend = useMutation(
    trpc.platform.suspend.mutationOptions({
      onSuccess: (updated) => {
        setReason("");
        return saved(updated);
      },
      onSettled: close,
    }),
  );
  const resume = useMutation(trpc.platform.resume.mutationOptions({ onSuccess: saved, onSettled: close }));
  const errors = formErrors(suspend.error ?? resume.error, ["reason"]);
  const suspended = workspace.status === "suspended";

  return (
    <Section
      title="Suspension"
      tone="danger"
      description={
        suspended
          ? "Resuming lets schedules, webhooks and manual triggers start runs again, and admits its queued tasks."
          : "A suspended workspace starts no new runs (schedules, webhooks, manual triggers) and admits no queued task; running tasks finish. Its members see the reason."
      }
    >
      {errors.message && (
        <Alert tone="error" className="mb-4">
          {errors.message}
        </Alert>
      )}
      {suspended ? (
        <Button variant="secondary" onClick={() => setConfirming(true)}>
          Resume workspace
        </Button>
      ) : (
        <Form onValues={() => setConfirming(true)}>
          <TextAreaField
            label="Reason members will see"
            name="reason"
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            maxLength={500}
            error={errors.fields.reason}
            className="max-w-xl"
          />
          <Button type="submit" variant="danger">
            Suspend workspace
          </Button>
        </Form>
      )}
      <Dialog
        open={confirming}
        onClose={close}
        title={suspended ? `Resume ${workspace.name}?` : `Suspend ${workspace.name}?`}
        description={
          suspended
            ? "Its schedules, webhooks and manual triggers start runs again."
            : `No new run starts and no queued task is admitted until you resume it. Its members see: “${reason.trim()}”`
        }
      >
        <DialogActions onCancel={close}>
          {suspended ? (
            <Button
              pending={resume.isPending}
              pendingLabel="Resuming…"
              onClick={() => resume.mutate({ workspace: workspace.slug })}
            >
              Resume
            </Button>
          ) : (
            <Button
              variant="danger"
              pending={suspend.isPending}
              pendingLabel="Suspending…"
              onClick={() => suspend.mutate({ workspace: workspace.slug, reason })}
            >
              Suspend
            </Button>
          )}
        </DialogActions>
      </Dialog>
    </Section>
  );
}

function EventsSection({ workspace }: { workspace: Workspace }) {
  return (
    <Section
      title="Recent audit events"
      description="The workspace's latest events, platform changes included."
    >
      {workspace.events.length === 0 ? (
        <p className="text-sm text-slate-500">No events yet.</p>
      ) : (
        <AuditTable caption="Recent audit events" events={workspace.events} />
      )}
    </Section>
  );
}

/** Retention now rather than at the next hourly job: after lowering it, or to free storage at once. */
function RetentionSection({ workspace }: { workspace: Workspace }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const run = useMutation(
    trpc.platform.runRetention.mutationOptions({
      onSuccess: () =>
        queryClient.invalidateQueries({
          queryKey: trpc.platform.workspace.queryKey({ workspace: workspace.slug }),
        }),
    }),
  );
  const { runRetentionDays, logRetentionDays } = workspace.effective;
  return (
    <Section
      title="Retention"
      description={`Runs and webhook deliveries are kept ${runRetentionDays} days, logs ${logRetentionDays} days; the hourly retention job removes what is older.`}
    >
      <ConfirmButton
        title={`Apply ${workspace.name}'s retention now?`}
        description={`Runs that ended more than ${runRetentionDays} days ago (with their tasks and outputs), webhook deliveries older than that, and the logs of runs that ended more than ${logRetentionDays} days ago are deleted now. This cannot be undone.`}
        confirmLabel="Run retention"
        pendingLabel="Removing…"
        onConfirm={() => run.mutateAsync({ workspace: workspace.slug })}
      >
        Run retention now
      </ConfirmButton>
      {run.data && (
        <Alert tone="success" title="Retention applied" className="mt-4">
          Removed {run.data.runs} run(s) with {run.data.taskInstances} task instance(s), the logs of{" "}
          {run.data.logRuns} run(s) ({run.data.logChunks} chunk(s)) and {run.data.deliveries} webhook
          deliveries.
        </Alert>
      )}
    </Section>
  );
}

/** What it has been doing: live figures (refreshed every 10 seconds) and the last 30 days. */
function UsageHistorySection({ workspace }: { workspace: Workspace }) {
  const trpc = useTRPC();
  const usage = useQuery({
    ...trpc.platform.workspaceUsage.queryOptions({ workspace: workspace.slug }),
    refetchInterval: 10_000,
  });
  const whole = (v: number) => new Intl.NumberFormat("en").format(v);
  return (
    <Section title="Activity" description="Work waiting and running now, and the last 30 days (UTC).">
      <Loaded query={usage} label="usage">
        {({ live, days }) => (
          <>
            <dl className="mb-6 grid grid-cols-2 gap-4 sm:grid-cols-4">
              {(
                [
                  ["Queued tasks", live.queuedTasks],
                  ["Running tasks", live.runningTasks],
                  ["Queued runs", live.queuedRuns],
                  ["Running runs", live.runningRuns],
                ] as const
              ).map(([label, value]) => (
                <div key={label}>
                  <dt className="text-xs font-medium text-slate-500">{label}</dt>
                  <dd className="text-lg font-semibold text-slate-900 tabular-nums">{whole(value)}</dd>
                </div>
              ))}
            </dl>
            <div className="grid gap-6 lg:grid-cols-2">
              <DailyBarChart
                title="Task runs"
                values={days.map((d) => ({ day: d.day, value: d.taskRuns }))}
                format={(v) => `${whole(v)} task ${v === 1 ? "run" : "runs"}`}
              />
              <DailyBarChart
                title="Task-seconds"
                values={days.map((d) => ({ day: d.day, value: d.taskSeconds }))}
                format={formatSeconds}
              />
              <DailyBarChart
                title="Runs started"
                values={days.map((d) => ({ day: d.day, value: d.runs }))}
                format={(v) => `${whole(v)} ${v === 1 ? "run" : "runs"}`}
              />
              <DailyBarChart
                title="Storage"
                level
                values={days.map((d) => ({ day: d.day, value: d.storageBytes }))}
                format={formatBytes}
              />
            </div>
          </>
        )}
      </Loaded>
    </Section>
  );
}

/** The tenant's data on request: a downloadable archive, or erasure now. */
function DataSection({ workspace }: { workspace: Workspace }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirm, setConfirm] = useState("");
  const exportData = useMutation(
    trpc.platform.exportWorkspaceData.mutationOptions({
      onSuccess: (file) => {
        const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
        const url = URL.createObjectURL(new Blob([bytes], { type: file.contentType }));
        const anchor = document.createElement("a");
        anchor.href = url;
        anchor.download = file.filename;
        anchor.click();
        URL.revokeObjectURL(url);
      },
    }),
  );
  const erase = useMutation(
    trpc.platform.eraseWorkspace.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.platform.workspaces.queryKey() });
        window.location.assign("/admin");
      },
    }),
  );
  return (
    <Section
      title="Data"
      description="Export: a ZIP of its DAGs with every version, its runs' metadata, its variables, and its secrets by name (never their values). Erase: everything in it deleted now, without the grace period."
    >
      <div className="flex flex-wrap gap-3">
        <Button
          variant="secondary"
          pending={exportData.isPending}
          pendingLabel="Exporting…"
          onClick={() => exportData.mutate({ workspace: workspace.slug })}
        >
          Export data
        </Button>
        <ConfirmButton
          variant="danger"
          title={`Erase ${workspace.name}?`}
          description="The workspace and everything in it (DAGs, runs, logs, variables, secrets, its members' access and its audit log) are deleted now. This cannot be undone; the installation's audit log keeps that you did it."
          preview={
            <Field
              label={`Type ${workspace.slug} to confirm`}
              value={confirm}
              onChange={(event) => setConfirm(event.target.value)}
              autoComplete="off"
            />
          }
          blocked={confirm !== workspace.slug}
          confirmLabel="Erase"
          pendingLabel="Erasing…"
          onConfirm={() => erase.mutateAsync({ workspace: workspace.slug, confirm })}
        >
          Erase workspace
        </ConfirmButton>
      </div>
      {exportData.error && (
        <Alert tone="error" className="mt-4" title="Could not export">
          {errorMessage(exportData.error)}
        </Alert>
      )}
    </Section>
  );
}
