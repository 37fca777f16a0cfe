// Reading the audit log. Writing happens through WorkspaceScope.audit() where the action is.
import { keyset, type PageInput } from "@/server/pagination";
import type { WorkspaceScope } from "@/server/tenancy/door";

const auditOrder = keyset([["id", "desc", "bigint"]]);

/** Events, newest first. */
export function listAuditEvents(scope: WorkspaceScope, input: PageInput) {
  return auditOrder.page(
    input,
    (query) =>
      scope.db.auditEvent.findMany({
        ...query,
        select: {
          id: true,
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
