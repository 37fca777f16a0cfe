// Keeping `Dag.nextRunAt` right when what it depends on changes: a push (the schedule, startDate,
// endDate may have changed), a pause or unpause, an archive or unarchive. The DAG service calls
// refreshNextRunAt after each; the scheduler advances it on its own as ticks are claimed.
//
// It continues from `lastScheduledEnd` (the last interval the scheduler created a run for), so an
// unpaused DAG with catch-up gets the runs missed while it was paused, and a new schedule picks
// up where the old one stopped. A refresh racing a claim can at worst move nextRunAt back to
// ticks already claimed; their runs exist or are being created under the same run keys, so
// nothing runs twice.
import type { DagDefinition } from "@/server/dags/definition";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { announceScheduleError, scheduleErrorMessage } from "./schedule-error";
import { nextRunAfter, schedulePlan } from "./timetable";

/**
 * Recomputes and stores the DAG's nextRunAt (null: paused, archived or unscheduled); returns it
 * with the schedule error.
 * A schedule that cannot be computed is recorded as the DAG's schedule error (and announced when
 * new); one that can clears it.
 */
export async function refreshNextRunAt(
  scope: WorkspaceScope,
  dagKey: string,
  now = new Date(),
): Promise<{ nextRunAt: Date | null; scheduleError: string | null }> {
  const dag = await scope.db.dag.findFirst({
    where: { key: dagKey },
    select: {
      id: true,
      key: true,
      paused: true,
      archivedAt: true,
      currentVersionId: true,
      lastScheduledEnd: true,
      scheduleError: true,
    },
  });
  if (!dag) return { nextRunAt: null, scheduleError: null };
  let next: Date | null = null;
  let scheduleError: string | null = null;
  if (!dag.paused && !dag.archivedAt && dag.currentVersionId) {
    const version = await scope.db.dagVersion.findFirst({
      where: { id: dag.currentVersionId },
      select: { definition: true },
    });
    try {
      const plan = version ? schedulePlan(version.definition as unknown as DagDefinition) : null;
      next = plan ? nextRunAfter(plan, dag.lastScheduledEnd, now) : null;
    } catch (error) {
      scheduleError = scheduleErrorMessage((error as Error).message);
    }
  }
  await scope.db.dag.update({ where: { id: dag.id }, data: { nextRunAt: next, scheduleError } });
  if (scheduleError && scheduleError !== dag.scheduleError) {
    await announceScheduleError(scope.workspace.id, dag.key, scheduleError, scope);
  }
  return { nextRunAt: next, scheduleError };
}
