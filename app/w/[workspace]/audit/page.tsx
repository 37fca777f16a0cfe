"use client";
// The workspace's audit log, newest first, a page at a time, filtered by who acted, the action
// (or everything done to one kind of thing: every member.* action) and the day (UTC).
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { AuditTable } from "@/app/_components/audit-table";
import { EmptyState } from "@/app/_components/empty-state";
import { Field, SelectField } from "@/app/_components/field";
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

/** The start of a UTC day typed as yyyy-mm-dd, plus `days`. */
const utcDay = (day: string, days = 0) => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000);

/** Actions grouped by what they act on: "member" → member.add, member.invite… */
function bySubject(actions: string[]) {
  const groups = new Map<string, string[]>();
  for (const action of actions) {
    const subject = action.split(".")[0]!;
    groups.set(subject, [...(groups.get(subject) ?? []), action]);
  }
  return [...groups];
}

function AuditLog() {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const [actor, setActor] = useState("");
  const [action, setAction] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const choices = useQuery(trpc.audit.filters.queryOptions({ workspace: slug }));
  const filters = {
    ...(actor ? { actor } : {}),
    ...(action ? { action } : {}),
    ...(from ? { from: utcDay(from) } : {}),
    // Through the end of the day chosen.
    ...(to ? { before: utcDay(to, 1) } : {}),
  };
  const filtered = Object.keys(filters).length > 0;
  const events = usePages((cursor) => trpc.audit.list.queryOptions({ workspace: slug, cursor, ...filters }));
  return (
    <>
      <form
        aria-label="Filter events"
        className="mb-4 grid grid-cols-2 gap-3 lg:grid-cols-4"
        onSubmit={(event) => event.preventDefault()}
      >
        <SelectField label="Actor" value={actor} onChange={(event) => setActor(event.target.value)}>
          <option value="">Anyone</option>
          {choices.data?.actors.map((choice) => (
            <option key={choice.actor} value={choice.actor}>
              {choice.label}
            </option>
          ))}
        </SelectField>
        <SelectField label="Action" value={action} onChange={(event) => setAction(event.target.value)}>
          <option value="">Any action</option>
          {bySubject(choices.data?.actions ?? []).map(([subject, actions]) => (
            <optgroup key={subject} label={subject}>
              {actions.length > 1 && <option value={subject}>{`Every ${subject} action`}</option>}
              {actions.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </optgroup>
          ))}
        </SelectField>
        <Field
          label="From (UTC)"
          type="date"
          value={from}
          onChange={(event) => setFrom(event.target.value)}
        />
        <Field label="To (UTC)" type="date" value={to} onChange={(event) => setTo(event.target.value)} />
      </form>
      <Loaded query={events} label="the audit log">
        {(items) =>
          items.length === 0 ? (
            <EmptyState title={filtered ? "No events match these filters" : "No events yet"}>
              {filtered
                ? "Change or clear a filter."
                : "Changes to members, tokens and settings will be recorded here."}
            </EmptyState>
          ) : (
            <>
              <AuditTable caption="Audit log" events={items} withIp />
              <LoadMore pages={events} noun="events" />
            </>
          )
        }
      </Loaded>
    </>
  );
}
