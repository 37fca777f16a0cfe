// The next fire times of a schedule, for the editor, the API and `baton schedule preview`: of a
// stored DAG (its current version's schedule and dates), or of a schedule being written.
import type { DagDefinition, Schedule } from "@/server/dags/definition";
import { AppError, notFound } from "@/server/errors";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { type DataInterval, schedulePlan, unprocessableUnlessComputed, upcomingIntervals } from "./timetable";

export interface PreviewRun {
  /** When the run is created: the end of its data interval. */
  runAt: Date;
  logicalDate: Date;
  dataIntervalStart: Date;
  dataIntervalEnd: Date;
}

export interface SchedulePreview {
  schedule: Schedule | null;
  timezone: string;
  catchup: boolean;
  runs: PreviewRun[];
  /** For a stored DAG: */
  dagId?: string;
  paused?: boolean;
  nextRunAt?: Date | null;
}

const asRun = (i: DataInterval): PreviewRun => ({
  runAt: i.end,
  logicalDate: i.start,
  dataIntervalStart: i.start,
  dataIntervalEnd: i.end,
});

/**
 * The next `count` runs of a schedule after `now`, within startDate and endDate. A schedule whose
 * run times cannot be computed answers UNPROCESSABLE_CONTENT saying why.
 */
export function previewSpec(
  spec: Pick<DagDefinition, "schedule" | "startDate" | "endDate"> & { catchup?: boolean },
  count: number,
  now = new Date(),
): SchedulePreview {
  return unprocessableUnlessComputed("schedule", () => {
    const plan = schedulePlan(spec);
    if (!plan) return { schedule: null, timezone: "UTC", catchup: spec.catchup ?? false, runs: [] };
    return {
      schedule: spec.schedule ?? null,
      timezone: plan.timezone,
      catchup: plan.catchup,
      runs: upcomingIntervals(plan, now, count).map(asRun),
    };
  });
}

export async function previewSchedule(
  scope: WorkspaceScope,
  input: {
    dagId?: string | undefined;
    schedule?: Schedule | undefined;
    startDate?: string | undefined;
    endDate?: string | undefined;
    count: number;
  },
  now = new Date(),
): Promise<SchedulePreview> {
  if (input.dagId === undefined) {
    if (!input.schedule) throw new AppError("BAD_REQUEST", "Give a dagId or a schedule");
    return previewSpec(
      { schedule: input.schedule, startDate: input.startDate, endDate: input.endDate },
      input.count,
      now,
    );
  }
  const dag = await scope.db.dag.findFirst({
    where: { key: input.dagId },
    select: { key: true, paused: true, nextRunAt: true, currentVersionId: true },
  });
  if (!dag) throw notFound("DAG");
  const version = dag.currentVersionId
    ? await scope.db.dagVersion.findFirst({
        where: { id: dag.currentVersionId },
        select: { definition: true },
      })
    : null;
  if (!version) throw notFound("DAG version");
  const definition = version.definition as unknown as DagDefinition;
  return {
    ...previewSpec(definition, input.count, now),
    dagId: dag.key,
    paused: dag.paused,
    nextRunAt: dag.nextRunAt,
  };
}
