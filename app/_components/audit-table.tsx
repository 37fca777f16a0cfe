// Audit events as a table: the workspace's audit page and the platform console's workspace page.
import { Cell, Rows, Table } from "./table";
import { Time } from "./time";

export interface AuditRow {
  id: string;
  createdAt: Date;
  actorLabel: string;
  action: string;
  target: string | null;
  metadata: unknown;
  ip?: string | null;
}

/** `withIp`: a column with the address the event came from. */
export function AuditTable({
  caption,
  events,
  withIp = false,
}: {
  caption: string;
  events: AuditRow[];
  withIp?: boolean;
}) {
  const columns = ["Time", "Actor", "Action", "Target", ...(withIp ? ["IP"] : []), "Metadata"];
  return (
    <Table caption={caption} columns={columns}>
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
            {withIp && <Cell className="font-mono text-xs">{event.ip}</Cell>}
            <Cell className="min-w-48">
              <code className="font-mono text-xs wrap-anywhere text-slate-600">
                {compact(event.metadata)}
              </code>
            </Cell>
          </tr>
        ))}
      </Rows>
    </Table>
  );
}

/** Compact JSON of an event's metadata, or nothing for an empty object. */
function compact(metadata: unknown) {
  if (metadata == null || (typeof metadata === "object" && Object.keys(metadata).length === 0)) return "";
  return JSON.stringify(metadata);
}
