"use client";
// Every workspace of the installation: plan, status and this month's activity against its quotas.
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";
import { EmptyState } from "@/app/_components/empty-state";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader } from "@/app/_components/page-header";
import { control, link } from "@/app/_components/styles";
import { Cell, Rows, Table } from "@/app/_components/table";
import { useTRPC } from "@/app/_lib/trpc";
import { ExportButtons } from "./_components/export-buttons";
import { Pager, SearchField, SortControls, useListState } from "./_components/list-controls";
import { StatusBadge } from "./_components/status-badge";
import { Used } from "./_components/used";

type Sort = "name" | "created" | "plan" | "members" | "dags";
const sorts: Record<Sort, string> = {
  name: "Name",
  created: "Created",
  plan: "Plan",
  members: "Members",
  dags: "DAGs",
};

export default function WorkspacesPage() {
  const trpc = useTRPC();
  const list = useListState<Sort>({ sort: "name", direction: "asc" });
  const query = useQuery({
    ...trpc.platform.workspaces.queryOptions(list.input),
    placeholderData: keepPreviousData,
  });

  return (
    <>
      <PageHeader
        title="Workspaces"
        description="Every workspace of this installation, with its plan and this month's use."
      />
      <UsageExport />
      <SearchField
        {...list.searchProps}
        placeholder="Name, slug, plan or owner e-mail"
        className="mb-4 max-w-sm"
      />
      <div className="mb-4">
        <SortControls sorts={sorts} {...list.sortProps} />
      </div>
      <Loaded query={query} label="workspaces">
        {({ workspaces, total, pageSize }) =>
          workspaces.length === 0 ? (
            <EmptyState title={list.search ? `No workspace matches “${list.search}”` : "No workspaces yet"} />
          ) : (
            <>
              <Table
                caption="Workspaces"
                columns={[
                  "Workspace",
                  "Plan",
                  "Status",
                  "Task runs this month",
                  "Task-seconds this month",
                  "DAGs",
                  "Members",
                  "Running runs",
                ]}
              >
                <Rows>
                  {workspaces.map((w) => (
                    <tr key={w.id}>
                      <Cell>
                        <Link href={`/admin/workspaces/${w.slug}`} className={link}>
                          {w.name}
                        </Link>
                        <p className="font-mono text-xs text-slate-500">{w.slug}</p>
                      </Cell>
                      <Cell>{w.planName}</Cell>
                      <Cell>
                        <StatusBadge status={w.status} />
                      </Cell>
                      <Cell className="whitespace-nowrap">
                        <Used value={w.taskRuns} limit={w.maxTaskRunsPerMonth} unit="count" />
                      </Cell>
                      <Cell className="whitespace-nowrap">
                        <Used value={w.taskSeconds} limit={w.maxTaskSecondsPerMonth} unit="seconds" />
                      </Cell>
                      <Cell className="whitespace-nowrap">
                        <Used value={w.dags} limit={w.maxDags} unit="count" />
                      </Cell>
                      <Cell className="whitespace-nowrap">
                        <Used value={w.members} limit={w.maxMembers} unit="count" />
                      </Cell>
                      <Cell>{w.runningRuns}</Cell>
                    </tr>
                  ))}
                </Rows>
              </Table>
              <Pager
                page={list.page}
                pageSize={pageSize}
                total={total}
                noun="workspaces"
                onPage={list.setPage}
              />
            </>
          )
        }
      </Loaded>
    </>
  );
}

/** Every workspace's metered use of one month, as a file for billing. */
function UsageExport() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const monthId = useId();
  const [month, setMonth] = useState(() => new Date().toISOString().slice(0, 7));
  return (
    <div className="mb-6 rounded-lg border border-slate-200 bg-white p-4 shadow-xs">
      <div className="flex flex-wrap items-end gap-3">
        <div>
          <label htmlFor={monthId} className="block text-sm font-medium text-slate-800">
            Usage of the month (UTC), for billing
          </label>
          <input
            id={monthId}
            type="month"
            value={month}
            onChange={(event) => setMonth(event.target.value)}
            className={`${control} mt-1.5 block py-2`}
          />
        </div>
        <ExportButtons
          fetchFile={(format) =>
            queryClient.fetchQuery({
              ...trpc.platform.exportUsage.queryOptions({ month, format }),
              staleTime: 0,
            })
          }
        />
      </div>
    </div>
  );
}
