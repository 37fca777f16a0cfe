"use client";
// The installation's audit log: every platform change and every workspace's creation, deletion and
// purge, under the name of who acted (administrators by e-mail, the CLI by its operator's name),
// filtered and exported as CSV or JSON.
import { useQueryClient } from "@tanstack/react-query";
import { useDeferredValue, useId, useState } from "react";
import { AuditTable } from "@/app/_components/audit-table";
import { EmptyState } from "@/app/_components/empty-state";
import { LoadMore } from "@/app/_components/load-more";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader } from "@/app/_components/page-header";
import { control } from "@/app/_components/styles";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";
import { ExportButtons } from "../_components/export-buttons";
import { SearchField } from "../_components/list-controls";

const kinds = {
  "": "Every event",
  "platform.plan.": "Plans",
  "platform.workspace.": "Workspace changes (plan, quotas, suspension, pools, restore)",
  "workspace.": "Workspaces created, deleted, purged",
  "platform.user.": "Users (disable, sessions, password)",
  "platform.admin.": "Administrators granted and revoked",
} as const;

export default function InstallationAuditPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const kindId = useId();
  const [action, setAction] = useState<keyof typeof kinds>("");
  const [search, setSearch] = useState("");
  const deferred = useDeferredValue(search.trim());
  const filter = { action: action || undefined, search: deferred || undefined };
  const events = usePages((cursor) => trpc.platform.auditEvents.queryOptions({ ...filter, cursor }));

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Platform changes and workspaces created, deleted and purged, across the installation, newest first. Tenants see platform changes in their own log as “Platform administrator”."
      />
      <div className="mb-4 flex flex-wrap items-end gap-4">
        <div>
          <label htmlFor={kindId} className="block text-sm font-medium text-slate-800">
            Events
          </label>
          <select
            id={kindId}
            value={action}
            onChange={(event) => setAction(event.target.value as keyof typeof kinds)}
            className={`${control} mt-1.5 block py-2`}
          >
            {Object.entries(kinds).map(([key, label]) => (
              <option key={key} value={key}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <SearchField
          value={search}
          onChange={setSearch}
          placeholder="Target or actor"
          className="w-full max-w-xs"
        />
        <ExportButtons
          fetchFile={(format) =>
            queryClient.fetchQuery({
              ...trpc.platform.exportAuditEvents.queryOptions({ ...filter, format }),
              staleTime: 0,
            })
          }
        />
      </div>
      <Loaded query={events} label="the audit log">
        {(items) =>
          items.length === 0 ? (
            <EmptyState title="No events match" />
          ) : (
            <>
              <AuditTable caption="Installation audit log" events={items} withIp />
              <LoadMore pages={events} noun="events" />
            </>
          )
        }
      </Loaded>
    </>
  );
}
