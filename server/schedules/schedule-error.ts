// A schedule that stopped: when a DAG's next fire time cannot be computed (a time zone the
// runtime's tz data no longer knows, say; documents are checked when pushed, so only the world
// changing under a stored one gets here), the DAG is not silently unscheduled. `Dag.scheduleError`
// says why (the DAG page, the DAG list and the API show it), the workspace's audit log records
// `schedule.error`, and its Owners, Admins and Editors get a notification. A push or a refresh that
// computes the schedule again clears it.
import { systemScope, type WorkspaceScope } from "@/server/tenancy/door";

export const SCHEDULE_ERROR_KIND = "schedule_error";

/** The words every surface shows for a stopped schedule. */
export const scheduleErrorMessage = (detail: string) =>
  `The schedule stopped: its next run time cannot be computed (${detail}). Fix the schedule and push the DAG again.`;

/**
 * Audits and notifies a schedule error newly recorded on a DAG (the caller stored it, and tells
 * only when it was not already the DAG's error, so a stuck schedule is announced once).
 */
export async function announceScheduleError(
  workspaceId: string,
  dagKey: string,
  message: string,
  scope?: WorkspaceScope,
): Promise<void> {
  const system = scope ?? (await systemScope(workspaceId));
  await system.audit("schedule.error", dagKey, { message });
  const editors = await system.db.membership.findMany({
    where: { role: { in: ["OWNER", "ADMIN", "EDITOR"] } },
    select: { userId: true },
  });
  await system.db.notification.createMany({
    data: editors.map((member) => ({
      workspaceId,
      userId: member.userId,
      kind: SCHEDULE_ERROR_KIND,
      title: `DAG ${dagKey}: schedule stopped`,
      body: message,
      link: `/w/${system.workspace.slug}/dags/${dagKey}`,
    })),
  });
}
