"use client";
// Operator alerts: tenants at or near a quota, and tenants whose webhook endpoints keep refusing
// deliveries. Computed from live figures on every read, refreshed every 30 seconds.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { EmptyState } from "@/app/_components/empty-state";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader, Section } from "@/app/_components/page-header";
import { link } from "@/app/_components/styles";
import { Cell, Rows, Table } from "@/app/_components/table";
import { Time } from "@/app/_components/time";
import { useTRPC } from "@/app/_lib/trpc";
import { quotaCatalog } from "@/server/quotas/catalog";
import { formatQuantity } from "@/server/usage/format";

export default function AlertsPage() {
  const trpc = useTRPC();
  const alerts = useQuery({ ...trpc.platform.alerts.queryOptions(), refetchInterval: 30_000 });
  return (
    <>
      <PageHeader
        title="Alerts"
        description="Tenants that need attention now: at or near a quota (80 % and 100 %, as their own usage alerts), and tenants whose webhooks keep failing."
      />
      <Loaded query={alerts} label="alerts">
        {({ quotas, webhooks, webhookWindowHours }) => (
          <>
            <Section title="Tenants at a limit">
              {quotas.length === 0 ? (
                <EmptyState title="No tenant is at or near a quota" />
              ) : (
                <Table caption="Tenants at a limit" columns={["Workspace", "Quota", "Used", "Level"]}>
                  <Rows>
                    {quotas.map((alert) => (
                      <tr key={`${alert.workspaceId}:${alert.quota}`}>
                        <Cell>
                          <Link href={`/admin/workspaces/${alert.slug}`} className={link}>
                            {alert.name}
                          </Link>
                        </Cell>
                        <Cell>
                          {quotaCatalog[alert.quota].label}{" "}
                          <code className="font-mono text-xs text-slate-500">{alert.quota}</code>
                        </Cell>
                        <Cell className="whitespace-nowrap">
                          {formatQuantity(alert.used, quotaCatalog[alert.quota].unit)} of{" "}
                          {formatQuantity(alert.limit, quotaCatalog[alert.quota].unit)}
                        </Cell>
                        <Cell
                          className={
                            alert.level === "reached" ? "font-medium text-red-800" : "text-amber-800"
                          }
                        >
                          {alert.level === "reached" ? "Reached" : "Near (80 % or more)"}
                        </Cell>
                      </tr>
                    ))}
                  </Rows>
                </Table>
              )}
            </Section>
            <Section title="Failing webhooks">
              {webhooks.length === 0 ? (
                <EmptyState
                  title={`No tenant's webhooks failed often in the last ${webhookWindowHours} hours`}
                />
              ) : (
                <Table
                  caption="Failing webhooks"
                  columns={["Workspace", `Failed (${webhookWindowHours} h)`, "Why", "Last failure"]}
                >
                  <Rows>
                    {webhooks.map((alert) => (
                      <tr key={alert.workspaceId}>
                        <Cell>
                          <Link href={`/admin/workspaces/${alert.slug}`} className={link}>
                            {alert.name}
                          </Link>
                        </Cell>
                        <Cell>
                          {alert.failed} of {alert.total}
                        </Cell>
                        <Cell>
                          {Object.entries(alert.results)
                            .map(([result, n]) => `${result} ${n}`)
                            .join(", ")}
                        </Cell>
                        <Cell className="whitespace-nowrap">
                          <Time value={alert.lastFailureAt} />
                        </Cell>
                      </tr>
                    ))}
                  </Rows>
                </Table>
              )}
            </Section>
          </>
        )}
      </Loaded>
    </>
  );
}
