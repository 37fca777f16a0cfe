// The installation's audit log, for platform administrators: every platform change (plans,
// overrides, suspensions, worker pools, users, administrator grants from the CLI) and every
// workspace's life (created, deleted, purged), under the name of who acted. These are the events
// with no workspace; each workspace's copy of a platform change (actor "Platform administrator")
// stays in that workspace's own log. Read a page at a time, or exported whole as CSV or JSON.
import { stringify } from "csv-stringify/sync";
import type { Prisma } from "@/prisma/generated/client";
import { db } from "@/server/db/client";
import { keyset, type PageInput } from "@/server/pagination";

/** How many events one export holds at most (the newest); narrow the dates for older ones. */
export const EXPORT_MAX_EVENTS = 100_000;

export interface PlatformEventFilter {
  /** Actions starting with this, e.g. `platform.plan.` or `workspace.delete`. */
  action?: string | undefined;
  /** Part of the target or of the actor's name (any case). */
  search?: string | undefined;
  /** Events at or after this instant. */
  from?: Date | undefined;
  /** Events before this instant. */
  to?: Date | undefined;
}

function whereOf(filter: PlatformEventFilter): Prisma.AuditEventWhereInput {
  const search = filter.search?.trim();
  return {
    workspaceId: null,
    AND: [
      { OR: [{ action: { startsWith: "platform." } }, { action: { startsWith: "workspace." } }] },
      ...(filter.action ? [{ action: { startsWith: filter.action } }] : []),
      ...(search
        ? [
            {
              OR: [
                { target: { contains: search, mode: "insensitive" as const } },
                { actorLabel: { contains: search, mode: "insensitive" as const } },
              ],
            },
          ]
        : []),
      ...(filter.from || filter.to
        ? [
            {
              createdAt: {
                ...(filter.from ? { gte: filter.from } : {}),
                ...(filter.to ? { lt: filter.to } : {}),
              },
            },
          ]
        : []),
    ],
  };
}

const eventSelect = {
  id: true,
  createdAt: true,
  actor: true,
  actorLabel: true,
  action: true,
  target: true,
  ip: true,
  metadata: true,
} satisfies Prisma.AuditEventSelect;

const newestFirst = keyset([["id", "desc", "bigint"]]);

/** One page of the installation's events, newest first. */
export function listPlatformEvents(input: PageInput & PlatformEventFilter) {
  return newestFirst.page(
    input,
    (query) =>
      db.auditEvent.findMany({
        ...query,
        where: { AND: [query.where, whereOf(input)] },
        select: eventSelect,
      }),
    (event) => ({ ...event, id: event.id.toString() }),
  );
}

/** Every matching event (the newest EXPORT_MAX_EVENTS), newest first, as a file to download. */
export async function exportPlatformEvents(filter: PlatformEventFilter, format: "csv" | "json") {
  const events = await db.auditEvent.findMany({
    where: whereOf(filter),
    orderBy: { id: "desc" },
    take: EXPORT_MAX_EVENTS,
    select: eventSelect,
  });
  const rows = events.map((e) => ({
    id: e.id.toString(),
    createdAt: e.createdAt.toISOString(),
    actor: e.actor,
    actorLabel: e.actorLabel,
    action: e.action,
    target: e.target,
    ip: e.ip,
    metadata: e.metadata,
  }));
  if (format === "json")
    return { body: `${JSON.stringify(rows, null, 2)}\n`, contentType: "application/json" };
  const body = stringify(
    rows.map((r) => ({ ...r, metadata: JSON.stringify(r.metadata) })),
    {
      header: true,
      columns: ["id", "createdAt", "actor", "actorLabel", "action", "target", "ip", "metadata"],
    },
  );
  return { body, contentType: "text/csv; charset=utf-8" };
}
