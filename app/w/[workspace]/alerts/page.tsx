"use client";
// Alerts: the workspace's alert rules (what to watch, where to send, muting), every alert they
// sent with what triggered it and how each channel took it, and the SLA misses of every DAG.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { Button } from "@/app/_components/button";
import { EmptyState } from "@/app/_components/empty-state";
import { LoadMore } from "@/app/_components/load-more";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader, Section } from "@/app/_components/page-header";
import { useWorkspace } from "@/app/_components/shell";
import { link } from "@/app/_components/styles";
import { Cell, Rows, Table } from "@/app/_components/table";
import { Time } from "@/app/_components/time";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";
import type { AppRouter } from "@/server/api/root";
import { SlaMissTable } from "../_alerts/sla-misses";
import { ConfigList } from "../_config/config-list";
import { type AlertRule, kindLabels, RuleDialog } from "./rule-dialog";

type SentAlert = inferRouterOutputs<AppRouter>["alerts"]["list"]["items"][number];

export default function AlertsPage() {
  return (
    <>
      <PageHeader
        title="Alerts"
        description={
          <>
            Alert rules watch the DAGs (failures, SLA misses, tasks running longer than usual, webhook
            endpoints refusing deliveries) and tell people by e-mail, Slack, webhook or in the app: at most
            one message per rule and DAG per interval, and "resolved" when it recovers.
          </>
        }
      />
      <Section title="Rules">
        <RuleList />
      </Section>
      <Section title="Alerts sent" description="Every message, newest first, with what triggered it.">
        <SentAlerts />
      </Section>
      <Section title="SLA misses" description="Deadlines runs missed, newest first, with how late.">
        <SlaMissTable />
      </Section>
    </>
  );
}

function describeRule(rule: AlertRule): string {
  const s = rule.settings;
  switch (rule.kind) {
    case "consecutive_failures":
      return `${s.count} failures in a row`;
    case "task_long_running":
      return `a task runs over ${s.factor}× its usual duration`;
    case "webhook_refusing":
      return `${s.refusals} refusals in ${s.windowMinutes} min`;
    default: {
      const label = kindLabels[rule.kind];
      return `${label[0]!.toLowerCase()}${label.slice(1)}`;
    }
  }
}

function RuleList() {
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const pages = usePages((cursor) => trpc.alerts.rules.queryOptions({ workspace: workspace.slug, cursor }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.alerts.pathKey() });
  const remove = useMutation(trpc.alerts.deleteRule.mutationOptions({ onSuccess: refresh }));
  const mute = useMutation(trpc.alerts.mute.mutationOptions({ onSuccess: refresh }));
  const unmute = useMutation(trpc.alerts.unmute.mutationOptions({ onSuccess: refresh }));
  const operate = workspace.can("runs:operate");
  return (
    <ConfigList<AlertRule>
      noun="alert rule"
      items={pages}
      nameOf={(rule) => rule.name}
      writePermission="dags:write"
      readerHint="Editors can add some."
      deleteWarning="It stops watching at once; the alerts it sent stay listed."
      columns={[
        { header: "Name", cell: (rule) => rule.name, className: "font-medium text-slate-900" },
        {
          header: "When",
          cell: (rule) => (
            <>
              {describeRule(rule)}
              <span className="block text-xs text-slate-500">
                {rule.dagId ? (
                  <>
                    DAG <span className="font-mono">{rule.dagId}</span>
                  </>
                ) : (
                  "every DAG"
                )}
              </span>
            </>
          ),
        },
        {
          header: "Sends to",
          cell: (rule) =>
            rule.channels.map((c) => (c.channel === "in_app" ? "in-app" : c.channel)).join(", "),
        },
        { header: "At most", cell: (rule) => `1 per ${rule.throttleMinutes} min` },
        {
          header: "State",
          cell: (rule) => (
            <span className="flex flex-col gap-1">
              <span className={rule.openIncidents > 0 ? "font-medium text-red-700" : "text-slate-600"}>
                {!rule.enabled
                  ? "Disabled"
                  : rule.openIncidents > 0
                    ? `Firing (${rule.openIncidents})`
                    : "OK"}
              </span>
              {rule.muted && (
                <span className="text-xs text-amber-800">
                  Muted until <Time value={rule.mutedUntil} />
                </span>
              )}
              {operate &&
                (rule.muted ? (
                  <Button
                    size="sm"
                    variant="secondary"
                    pending={unmute.isPending && unmute.variables?.ruleId === rule.id}
                    onClick={() => unmute.mutate({ workspace: workspace.slug, ruleId: rule.id })}
                  >
                    Unmute<span className="sr-only"> {rule.name}</span>
                  </Button>
                ) : (
                  <Button
                    size="sm"
                    variant="secondary"
                    pending={mute.isPending && mute.variables?.ruleId === rule.id}
                    onClick={() => mute.mutate({ workspace: workspace.slug, ruleId: rule.id, minutes: 60 })}
                  >
                    Mute 1 h<span className="sr-only"> {rule.name}</span>
                  </Button>
                ))}
            </span>
          ),
        },
      ]}
      emptyHint="Add one to hear about failures, SLA misses and slow tasks before anyone asks."
      onDelete={(rule) => remove.mutateAsync({ workspace: workspace.slug, ruleId: rule.id })}
      dialog={(rule, close) => <RuleDialog rule={rule} onClose={close} onSaved={refresh} />}
    />
  );
}

const typeLooks: Record<SentAlert["type"], string> = {
  firing: "bg-red-50 text-red-800 ring-red-200",
  reminder: "bg-amber-50 text-amber-900 ring-amber-200",
  resolved: "bg-emerald-50 text-emerald-800 ring-emerald-200",
};

function SentAlerts() {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const pages = usePages((cursor) => ({
    ...trpc.alerts.list.queryOptions({ workspace: slug, cursor, limit: 20 }),
    refetchInterval: 30_000,
  }));
  return (
    <Loaded query={pages} label="alerts">
      {(alerts) =>
        alerts.length === 0 ? (
          <EmptyState title="No alerts sent yet">When a rule fires, its message is listed here.</EmptyState>
        ) : (
          <>
            <Table
              caption="Alerts sent, newest first"
              columns={["When", "Alert", "Triggered by", "Delivery"]}
            >
              <Rows>
                {alerts.map((alert) => (
                  <tr key={alert.id} className="align-top">
                    <Cell>
                      <Time value={alert.createdAt} />
                      <span
                        className={`mt-1 block w-fit rounded px-1.5 text-xs font-medium ring-1 ring-inset ${typeLooks[alert.type]}`}
                      >
                        {alert.type}
                      </span>
                    </Cell>
                    <Cell className="max-w-md">
                      <p className="font-medium text-slate-900">{alert.title.replace(/^\[Baton\] /, "")}</p>
                      <p className="text-xs text-slate-500">
                        Rule {alert.ruleName}
                        {alert.dagKey && (
                          <>
                            {" · "}
                            <Link href={`/w/${slug}/dags/${alert.dagKey}`} className={`font-mono ${link}`}>
                              {alert.dagKey}
                            </Link>
                          </>
                        )}
                        {alert.runId && (
                          <>
                            {" · "}
                            <Link href={`/w/${slug}/runs/${alert.runId}`} className={link}>
                              the run
                            </Link>
                          </>
                        )}
                      </p>
                    </Cell>
                    <Cell className="max-w-md">
                      <details>
                        <summary className="cursor-pointer text-xs text-slate-600">
                          {alert.text.split("\n", 1)[0]}
                        </summary>
                        <pre className="mt-2 max-h-48 overflow-auto rounded bg-slate-50 p-2 text-xs whitespace-pre-wrap">
                          {alert.text}
                          {"\n\n"}
                          {JSON.stringify(alert.trigger, null, 2)}
                        </pre>
                      </details>
                    </Cell>
                    <Cell>
                      <ul className="space-y-0.5 text-xs">
                        {alert.deliveries.map((delivery, i) => (
                          // biome-ignore lint/suspicious/noArrayIndexKey: the channels' order is fixed
                          <li key={i} title={delivery.error ?? undefined}>
                            <span className="font-medium">
                              {delivery.channel === "in_app" ? "in-app" : delivery.channel}
                            </span>{" "}
                            {delivery.target}:{" "}
                            <span className={delivery.state === "failed" ? "text-red-700" : "text-slate-600"}>
                              {delivery.state}
                            </span>
                            {delivery.error && <span className="block text-red-700">{delivery.error}</span>}
                          </li>
                        ))}
                      </ul>
                    </Cell>
                  </tr>
                ))}
              </Rows>
            </Table>
            <LoadMore pages={pages} noun="alerts" />
          </>
        )
      }
    </Loaded>
  );
}
