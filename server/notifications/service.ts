// A member's notifications in one workspace (quota alerts today): listing, the unread count, and
// marking them read. Notifications belong to a person, so API tokens have none.
import { AppError, notFound } from "@/server/errors";
import type { WorkspaceScope } from "@/server/tenancy/door";

function userOf(scope: WorkspaceScope): string {
  if (scope.actor.kind !== "user") {
    throw new AppError("FORBIDDEN", "Notifications belong to members; an API token has none");
  }
  return scope.actor.userId;
}

/** The caller's newest notifications here, and how many of all of them are unread. */
export async function listNotifications(scope: WorkspaceScope, input: { limit: number }) {
  const userId = userOf(scope);
  const [notifications, unread] = await Promise.all([
    scope.db.notification.findMany({
      where: { userId },
      orderBy: { createdAt: "desc" },
      take: input.limit,
      select: { id: true, kind: true, title: true, body: true, link: true, readAt: true, createdAt: true },
    }),
    scope.db.notification.count({ where: { userId, readAt: null } }),
  ]);
  return { notifications, unread };
}

export async function unreadNotifications(scope: WorkspaceScope): Promise<{ unread: number }> {
  const userId = userOf(scope);
  return { unread: await scope.db.notification.count({ where: { userId, readAt: null } }) };
}

/** Marks one of the caller's notifications read (again is fine); anyone else's is not found. */
export async function markNotificationRead(scope: WorkspaceScope, notificationId: string) {
  const userId = userOf(scope);
  const { count } = await scope.db.notification.updateMany({
    where: { id: notificationId, userId, readAt: null },
    data: { readAt: new Date() },
  });
  if (count === 0) {
    const mine = await scope.db.notification.count({ where: { id: notificationId, userId } });
    if (mine === 0) throw notFound("Notification");
  }
  return { id: notificationId, read: true };
}

export async function markAllNotificationsRead(scope: WorkspaceScope): Promise<{ marked: number }> {
  const userId = userOf(scope);
  const { count } = await scope.db.notification.updateMany({
    where: { userId, readAt: null },
    data: { readAt: new Date() },
  });
  return { marked: count };
}
