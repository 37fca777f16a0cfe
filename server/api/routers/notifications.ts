// The signed-in member's notifications in a workspace (the bell in the top bar).
import { z } from "zod";
import {
  listNotifications,
  markAllNotificationsRead,
  markNotificationRead,
  unreadNotifications,
} from "@/server/notifications/service";
import { uuid } from "@/server/validation";
import { router, workspaceProcedure } from "../trpc";

export const notificationsRouter = router({
  list: workspaceProcedure("workspace:read")
    .input(z.object({ limit: z.number().int().min(1).max(100).default(20) }))
    .query(({ ctx, input }) => listNotifications(ctx.scope, input)),
  unreadCount: workspaceProcedure("workspace:read").query(({ ctx }) => unreadNotifications(ctx.scope)),
  markRead: workspaceProcedure("workspace:read")
    .input(z.object({ notificationId: uuid }))
    .mutation(({ ctx, input }) => markNotificationRead(ctx.scope, input.notificationId)),
  markAllRead: workspaceProcedure("workspace:read").mutation(({ ctx }) =>
    markAllNotificationsRead(ctx.scope),
  ),
});
