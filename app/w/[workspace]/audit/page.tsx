"use client";
import { AuditTable } from "@/app/_components/audit-table";
import { EmptyState } from "@/app/_components/empty-state";
import { LoadMore } from "@/app/_components/load-more";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader } from "@/app/_components/page-header";
import { RequirePermission, useWorkspace } from "@/app/_components/shell";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";

export default function AuditPage() {
  return (
    <>
      <PageHeader title="Audit log" description="Who did what in this workspace, newest first." />
      <RequirePermission permission="audit:read">
        <AuditLog />
      </RequirePermission>
    </>
  );
}

function AuditLog() {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const events = usePages((cursor) => trpc.audit.list.queryOptions({ workspace: slug, cursor }));
  return (
    <Loaded query={events} label="the audit log">
      {(items) =>
        items.length === 0 ? (
          <EmptyState title="No events yet">
            Changes to members, tokens and settings will be recorded here.
          </EmptyState>
        ) : (
          <>
            <AuditTable caption="Audit log" events={items} withIp />
            <LoadMore pages={events} noun="events" />
          </>
        )
      }
    </Loaded>
  );
}
