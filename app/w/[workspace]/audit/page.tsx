"use client";
import { useQueries } from "@tanstack/react-query";
import { useState } from "react";
import { Alert } from "@/app/_components/alert";
import { AuditTable } from "@/app/_components/audit-table";
import { Button } from "@/app/_components/button";
import { EmptyState } from "@/app/_components/empty-state";
import { errorMessage } from "@/app/_components/errors";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader } from "@/app/_components/page-header";
import { RequirePermission, useWorkspace } from "@/app/_components/shell";
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
  // One query per page; "Load more" adds the cursor the last page handed back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const pages = useQueries({
    queries: cursors.map((before) => trpc.audit.list.queryOptions({ workspace: slug, before })),
  });
  const first = pages[0]!;
  const last = pages.at(-1)!;
  const events = pages.flatMap((page) => page.data?.events ?? []);
  const next = last.data?.next;
  const loadingMore = pages.length > 1 && last.isPending;

  return (
    <Loaded query={first} label="the audit log">
      {() =>
        events.length === 0 ? (
          <EmptyState title="No events yet">
            Changes to members, tokens and settings will be recorded here.
          </EmptyState>
        ) : (
          <>
            <AuditTable caption="Audit log" events={events} withIp />
            {last.error && (
              <Alert tone="error" title="Could not load more events" className="mt-4">
                {errorMessage(last.error)}
              </Alert>
            )}
            {(next || loadingMore) && (
              <div className="mt-4 flex justify-center">
                <Button
                  variant="secondary"
                  pending={loadingMore}
                  pendingLabel="Loading…"
                  onClick={() => next && setCursors([...cursors, next])}
                >
                  Load more
                </Button>
              </div>
            )}
          </>
        )
      }
    </Loaded>
  );
}
