"use client";
// The workspace's use of its plan: a bar per quota that has a use, the caps as values, and the
// last 30 days of task runs and task-seconds.
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader, Section } from "@/app/_components/page-header";
import { useWorkspace } from "@/app/_components/shell";
import { Cell, Rows, Table } from "@/app/_components/table";
import { useTRPC } from "@/app/_lib/trpc";
import type { AppRouter } from "@/server/api/root";
import { formatBytes, formatQuantity, formatSeconds } from "@/server/usage/format";
import { DailyBarChart, formatDay } from "./_components/daily-bar-chart";
import { LevelBadge, QuotaBar } from "./_components/quota-bar";

type Summary = inferRouterOutputs<AppRouter>["usage"]["summary"];
type History = inferRouterOutputs<AppRouter>["usage"]["history"];
type Quota = Summary["quotas"][number];

const count = new Intl.NumberFormat("en");

export default function UsagePage() {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const summary = useQuery(trpc.usage.summary.queryOptions({ workspace: slug }));
  const history = useQuery(trpc.usage.history.queryOptions({ workspace: slug }));
  return (
    <>
      <PageHeader
        title="Usage"
        description={
          summary.data ? (
            <>
              This workspace is on the{" "}
              <strong className="font-semibold text-slate-900">{summary.data.plan.name}</strong> plan. Monthly
              quotas count from {formatDay(summary.data.monthStart)} (UTC); Owners and Admins are notified at
              80% and 100%.
            </>
          ) : (
            "What this workspace uses of its plan's quotas."
          )
        }
      />
      <Loaded query={summary} label="usage">
        {(data) => <Quotas summary={data} />}
      </Loaded>
      <Section
        title="Last 30 days"
        description="Finished task attempts and their wall-clock time, per UTC day."
      >
        <Loaded query={history} label="the usage history">
          {(days) => <HistoryCharts days={days} />}
        </Loaded>
      </Section>
    </>
  );
}

function Quotas({ summary }: { summary: Summary }) {
  const metered = summary.quotas.filter((q) => q.used !== null);
  const caps = summary.quotas.filter((q) => q.used === null);
  return (
    <>
      <Section title="Quotas" description="Current use against each quota of the plan.">
        <ul className="divide-y divide-slate-100">
          {metered.map((quota) => (
            <QuotaRow key={quota.key} quota={quota} />
          ))}
        </ul>
      </Section>
      <Section title="Limits" description="Caps on one thing at a time; they have no running total.">
        <dl className="grid gap-x-8 gap-y-4 sm:grid-cols-2">
          {caps.map((quota) => (
            <div key={quota.key}>
              <dt className="text-sm text-slate-600">{quota.label}</dt>
              <dd className="text-sm font-semibold text-slate-900">
                {formatQuantity(quota.limit, quota.unit)}
              </dd>
              <dd className="mt-0.5 text-xs text-slate-500">{quota.bites}</dd>
            </div>
          ))}
          <div>
            <dt className="text-sm text-slate-600">Storage (logs and outputs)</dt>
            <dd className="text-sm font-semibold text-slate-900">
              {summary.storage ? formatBytes(summary.storage.bytes) : "Not measured yet"}
            </dd>
            <dd className="mt-0.5 text-xs text-slate-500">
              {summary.storage
                ? `As measured by the retention job on ${formatDay(summary.storage.measuredOn)}.`
                : "The retention job measures it when it runs."}
            </dd>
          </div>
        </dl>
      </Section>
    </>
  );
}

function QuotaRow({ quota }: { quota: Quota }) {
  const used = quota.used ?? 0;
  // "12 of 600 / min": a rate's unit is said once, after the limit.
  const usedText = formatQuantity(used, quota.unit === "per-minute" ? "count" : quota.unit);
  const valueText = `${usedText} of ${formatQuantity(quota.limit, quota.unit)}`;
  return (
    <li
      data-quota={quota.key}
      className="grid items-center gap-x-6 gap-y-1.5 py-3 sm:grid-cols-[minmax(0,16rem)_minmax(0,1fr)_14rem]"
    >
      <div className="min-w-0">
        <p className="text-sm font-medium text-slate-900">{quota.label}</p>
        {quota.note && <p className="text-xs text-slate-500">{quota.note}</p>}
      </div>
      <div className="min-w-0">
        <QuotaBar used={used} limit={quota.limit} level={quota.level!} />
      </div>
      <div className="flex items-center gap-3 sm:justify-end">
        <span className="text-sm whitespace-nowrap text-slate-700 tabular-nums">{valueText}</span>
        <LevelBadge level={quota.level!} />
      </div>
    </li>
  );
}

function HistoryCharts({ days }: { days: History }) {
  return (
    <>
      <div className="grid gap-6 lg:grid-cols-2">
        <DailyBarChart
          title="Task runs"
          values={days.map((d) => ({ day: d.day, value: d.taskRuns }))}
          format={(v) => `${count.format(v)} task ${v === 1 ? "run" : "runs"}`}
        />
        <DailyBarChart
          title="Task-seconds"
          values={days.map((d) => ({ day: d.day, value: d.taskSeconds }))}
          format={formatSeconds}
        />
      </div>
      <details className="mt-4 text-sm">
        <summary className="cursor-pointer text-slate-700">Show the numbers as a table</summary>
        <div className="mt-3">
          <Table
            caption="Usage per day"
            columns={["Day", "Task runs", "Task-seconds", "Runs", "Webhook deliveries"]}
          >
            <Rows>
              {[...days].reverse().map((d) => (
                <tr key={d.day}>
                  <Cell>
                    <time dateTime={d.day}>{formatDay(d.day)}</time>
                  </Cell>
                  <Cell className="tabular-nums">{count.format(d.taskRuns)}</Cell>
                  <Cell className="tabular-nums">{formatSeconds(d.taskSeconds)}</Cell>
                  <Cell className="tabular-nums">{count.format(d.runs)}</Cell>
                  <Cell className="tabular-nums">{count.format(d.webhookDeliveries)}</Cell>
                </tr>
              ))}
            </Rows>
          </Table>
        </div>
      </details>
    </>
  );
}
