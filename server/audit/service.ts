// Reading the audit log. Writing happens through WorkspaceScope.audit() where the action is.
import { keyset, type PageInput } from "@/server/pagination";
import type { WorkspaceScope } from "@/server/tenancy/door";

const auditOrder = keyset([["id", "desc", "bigint"]]);

export interface AuditFilter {
  /** Who acted, as recorded: a user id, "token:<id>" or "system". */
  actor?: string | undefined;
  /** An action (`member.invite`), or what it acts on (`member`: every `member.*` action). */
  action?: string | undefined;
  /** Events at or after this… */
  from?: Date | undefined;
  /** …and before this. */
  before?: Date | undefined;
}

/** Events, newest first, filtered by actor, action and time. */
export function listAuditEvents(scope: WorkspaceScope, input: PageInput & AuditFilter) {
  return auditOrder.page(
    input,
    ({ where, ...query }) =>
      scope.db.auditEvent.findMany({
        ...query,
        where: {
          ...(input.actor ? { actor: input.actor } : {}),
          ...(input.action
            ? { OR: [{ action: input.action }, { action: { startsWith: `${input.action}.` } }] }
            : {}),
          ...(input.from || input.before ? { createdAt: { gte: input.from, lt: input.before } } : {}),
          ...where,
        },
        select: {
          id: true,
          actor: true,
          actorLabel: true,
          action: true,
          target: true,
          metadata: true,
          ip: true,
          createdAt: true,
        },
      }),
    (event) => ({ ...event, id: event.id.toString() }),
  );
}

/** At most this many actors and actions are offered as filters (the most recent ones). */
const MAX_CHOICES = 200;

/** The actors and actions the workspace's log holds, to filter by: actors by latest label. */
export async function auditFilterChoices(scope: WorkspaceScope) {
  const [actors, actions] = await Promise.all([
    scope.db.auditEvent.groupBy({
      by: ["actor", "actorLabel"],
      _max: { id: true },
      orderBy: { _max: { id: "desc" } },
      take: MAX_CHOICES,
    }),
    scope.db.auditEvent.groupBy({ by: ["action"], orderBy: { action: "asc" }, take: MAX_CHOICES }),
  ]);
  const labels = new Map<string, string>();
  // Newest first: an actor whose label changed (a renamed token) is offered under its latest.
  for (const { actor, actorLabel } of actors) if (!labels.has(actor)) labels.set(actor, actorLabel);
  return {
    actors: [...labels]
      .map(([actor, label]) => ({ actor, label }))
      .sort((a, b) => a.label.localeCompare(b.label)),
    actions: actions.map(({ action }) => action),
  };
}
