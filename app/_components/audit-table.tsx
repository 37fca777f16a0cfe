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
              <Metadata value={event.metadata} />
            </Cell>
          </tr>
        ))}
      </Rows>
    </Table>
  );
}

/** At most this many items of a list are named; the rest are counted. */
const LISTED = 8;

/** "maxRunsPerDay" and "two_factor" as words: "max runs per day", "two factor". */
const words = (key: string) =>
  key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replaceAll("_", " ")
    .toLowerCase();

/** One value in words: lists joined, yes/no, a change as "before → after", objects as key: value. */
function readable(value: unknown): string {
  if (value === null || value === undefined) return "none";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string") return value === "" ? "(empty)" : value;
  if (typeof value === "number" || typeof value === "bigint") return value.toLocaleString("en-US");
  if (Array.isArray(value)) {
    if (value.length === 0) return "none";
    const named = value.slice(0, LISTED).map(readable).join(", ");
    return value.length > LISTED ? `${named} and ${value.length - LISTED} more` : named;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (isChange(value)) return `${readable(value.from)} → ${readable(value.to)}`;
  return entries.map(([key, inner]) => `${words(key)}: ${readable(inner)}`).join("; ");
}

const isChange = (value: object): value is { from: unknown; to: unknown } =>
  Object.keys(value).length === 2 && "from" in value && "to" in value;

/** An event's metadata as a list of its fields in words (a change from → to on one line). */
function Metadata({ value }: { value: unknown }) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return value == null ? null : <span className="text-xs text-slate-700">{readable(value)}</span>;
  }
  if (isChange(value)) return <span className="text-xs text-slate-700">{readable(value)}</span>;
  const entries = Object.entries(value);
  if (entries.length === 0) return null;
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-2 gap-y-0.5 text-xs">
      {entries.map(([key, inner]) => (
        <div key={key} className="contents">
          <dt className="text-slate-500">{words(key)}</dt>
          <dd className="wrap-anywhere text-slate-700">{readable(inner)}</dd>
        </div>
      ))}
    </dl>
  );
}
