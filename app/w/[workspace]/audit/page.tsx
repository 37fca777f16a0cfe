"use client";
import { useQueries } from "@tanstack/react-query";
import { useState } from "react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { EmptyState } from "@/app/_components/empty-state";
import { errorMessage } from "@/app/_components/errors";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader } from "@/app/_components/page-header";
import { RequirePermission, useWorkspace } from "@/app/_components/shell";
import { Cell, Rows, Table } from "@/app/_components/table";
import { Time } from "@/app/_components/time";
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

/** Compact JSON of an event's metadata, or nothing for an empty object. */
function compact(metadata: unknown) {
  if (metadata == null || (typeof metadata === "object" && Object.keys(metadata).length === 0)) return "";
  return JSON.stringify(metadata);
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
            <Table caption="Audit log" columns={["Time", "Actor", "Action", "Target", "IP", "Metadata"]}>
              <Rows>
                {events.map((event) => (
                  <tr key={event.id}>
                    <Cell>
                      <Time value={event.createdAt} />
                    </Cell>
                    <Cell className="wrap-anywhere text-slate-900">{event.actorLabel}</Cell>
                    <Cell>
                      <code className="font-mono text-xs">{event.action}</code>
                    </Cell>
                    <Cell className="wrap-anywhere">{event.target}</Cell>
                    <Cell className="font-mono text-xs">{event.ip}</Cell>
                    <Cell className="min-w-48">
                      <code className="font-mono text-xs wrap-anywhere text-slate-600">
                        {compact(event.metadata)}
                      </code>
                    </Cell>
                  </tr>
                ))}
              </Rows>
            </Table>
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
