// Reading the audit log. Writing happens through WorkspaceScope.audit() where the action is.
import type { WorkspaceScope } from "@/server/tenancy/door";

export async function listAuditEvents(scope: WorkspaceScope, input: { before?: string; limit: number }) {
  const events = await scope.db.auditEvent.findMany({
    where: input.before ? { id: { lt: BigInt(input.before) } } : {},
    orderBy: { id: "desc" },
    take: input.limit + 1,
    select: {
      id: true,
      actorLabel: true,
      action: true,
      target: true,
      metadata: true,
      ip: true,
      createdAt: true,
    },
  });
  const page = events.slice(0, input.limit).map((e) => ({ ...e, id: e.id.toString() }));
  return { events: page, next: events.length > input.limit ? page.at(-1)?.id : undefined };
}
