// When scheduled runs fire and which data interval each covers, with Airflow's semantics:
//
//  - a schedule is a sequence of fire times: a cron expression in a time zone (cron.ts, which
//    also holds the daylight-saving policy), a fixed interval counted from startDate, or `@once`;
//  - consecutive fire times bound a **data interval** [start, end); its run fires at `end` and its
//    **logical date** is `start` (`@once`: one run, logical date and fire time startDate);
//  - `startDate` / `endDate` bound the logical dates that get runs (both included);
//  - after a downtime or a pause, catch-up creates every missed interval, or only the latest.
//
// Pure functions of the document and the clock: the scheduler (scheduler.ts), backfills
// (backfill.ts) and the preview (preview.ts) all ask here, through the same `next`, so they agree
// on every fire time. A schedule whose fire times cannot be computed throws ScheduleError. See
// docs/schedules.md.
import { type DagDefinition, parseDuration, type Schedule } from "@/server/dags/definition";
import { AppError } from "@/server/errors";
import { ScheduleError, zonedCron } from "./cron";
import { instantOf } from "./zone";

export { ScheduleError } from "./cron";

/**
 * Runs `compute`, answering a schedule that cannot be computed as UNPROCESSABLE_CONTENT (422)
 * with the reason at `path`: what the preview, backfills and pushes tell their callers.
 */
export function unprocessableUnlessComputed<T>(path: string, compute: () => T): T {
  try {
    return compute();
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    throw new AppError("UNPROCESSABLE_CONTENT", "The schedule's run times cannot be computed", [
      { path, message: error.message },
    ]);
  }
}

/** A sequence of fire times. */
export interface Timetable {
  /** The first fire time strictly after `t`. */
  next(t: Date): Date;
  /** The last fire time strictly before `t`. */
  prev(t: Date): Date;
}

export interface DataInterval {
  /** The logical date. */
  start: Date;
  /** When the run fires. */
  end: Date;
}

/** A schedule with the document's bounds, ready to answer questions. */
export interface SchedulePlan {
  timetable: Timetable;
  /** First logical date allowed (startDate), if any. */
  start: Date | undefined;
  /** Last logical date allowed (endDate), if any. */
  end: Date | undefined;
  catchup: boolean;
  timezone: string;
  /** `@once`: a single run, at startDate (or as soon as scheduled); `timetable` is then unused. */
  once: boolean;
}

export type ScheduleSpec = Pick<DagDefinition, "schedule" | "startDate" | "endDate"> & {
  catchup?: boolean | undefined;
};

const MS = 1;

export function cronTimetable(expression: string, timezone = "UTC"): Timetable {
  return zonedCron(expression, timezone);
}

/** Every `everyMs`, counted from `anchor` (both ways: the sequence has no first element). */
export function intervalTimetable(everyMs: number, anchor: Date): Timetable {
  const origin = anchor.getTime();
  const at = (k: number) => new Date(origin + k * everyMs);
  const next = (t: Date) => at(Math.floor((t.getTime() - origin) / everyMs) + 1);
  return {
    next,
    prev: (t) => at(Math.ceil((t.getTime() - origin) / everyMs) - 1),
  };
}

/** The plan of a document's schedule, or null when it has none (manual runs only). */
export function schedulePlan(spec: ScheduleSpec): SchedulePlan | null {
  const schedule = spec.schedule;
  if (!schedule) return null;
  const timezone = schedule.type === "cron" ? (schedule.timezone ?? "UTC") : "UTC";
  const start = spec.startDate ? scheduleDate(spec.startDate, timezone) : undefined;
  const end = spec.endDate ? scheduleDate(spec.endDate, timezone) : undefined;
  const once = isOnce(schedule);
  return {
    timetable: once ? neverTimetable : timetableOf(schedule, start),
    start,
    end,
    catchup: spec.catchup ?? false,
    timezone,
    once,
  };
}

/** Whether a schedule is `@once`. */
export const isOnce = (schedule: Schedule) => schedule.type === "cron" && schedule.cron.trim() === "@once";

const neverTimetable: Timetable = {
  next: () => {
    throw new ScheduleError("@once has no sequence of fire times");
  },
  prev: () => {
    throw new ScheduleError("@once has no sequence of fire times");
  },
};

/** The `@once` run's logical date (and fire time): startDate, else `fallback` (when scheduled). */
const onceAt = (plan: SchedulePlan, fallback: Date) => plan.start ?? fallback;

/**
 * The timetable of a schedule. Intervals count from startDate; without one, from the Unix epoch,
 * so `15m` fires at :00, :15, :30 and :45 and `1d` at midnight UTC.
 */
export function timetableOf(schedule: Schedule, startDate?: Date): Timetable {
  if (schedule.type === "cron") return cronTimetable(schedule.cron, schedule.timezone ?? "UTC");
  const seconds = parseDuration(schedule.every);
  if (!seconds) throw new Error(`invalid interval "${schedule.every}"`);
  return intervalTimetable(seconds * 1000, startDate ?? new Date(0));
}

const atOrAfter = (tt: Timetable, t: Date) => tt.next(new Date(t.getTime() - MS));
const atOrBefore = (tt: Timetable, t: Date) => tt.prev(new Date(t.getTime() + MS));

/** Whether a logical date is within the plan's startDate and endDate. */
function allowed(plan: SchedulePlan, logicalDate: Date): boolean {
  return (!plan.start || logicalDate >= plan.start) && (!plan.end || logicalDate <= plan.end);
}

/**
 * When the scheduler should next create a run (the end of the next data interval), given the end
 * of the last interval it created a run for. Without one, the first interval starts at the first
 * fire time at or after startDate; without a startDate either, the first run is at the next fire
 * time after `now` (no run for intervals that ended before the DAG was scheduled). Null when the
 * next interval would start after endDate.
 */
export function nextRunAfter(plan: SchedulePlan, lastEnd: Date | null | undefined, now: Date): Date | null {
  if (plan.once) return lastEnd ? null : onceAt(plan, now);
  const tt = plan.timetable;
  const from = [lastEnd, plan.start].filter((d): d is Date => d instanceof Date);
  let start: Date;
  if (from.length === 0) {
    const end = tt.next(now);
    start = tt.prev(end);
    return plan.end && start > plan.end ? null : end;
  }
  start = atOrAfter(tt, new Date(Math.max(...from.map((d) => d.getTime()))));
  if (plan.end && start > plan.end) return null;
  return tt.next(start);
}

/**
 * The data intervals due at `now`, from the one ending at `nextRunAt`: all of them (at most
 * `max`) with catch-up, else only the latest. Also answers the scheduler's next `nextRunAt`,
 * which is still ≤ now when `max` cut a catch-up short (the next claim continues it).
 */
export function dueIntervals(
  plan: SchedulePlan,
  nextRunAt: Date,
  now: Date,
  max = 100,
): { intervals: DataInterval[]; nextRunAt: Date | null } {
  if (plan.once) {
    if (nextRunAt > now) return { intervals: [], nextRunAt };
    return { intervals: [{ start: nextRunAt, end: nextRunAt }], nextRunAt: null };
  }
  const tt = plan.timetable;
  let end = atOrAfter(tt, nextRunAt);
  if (end > now) return { intervals: [], nextRunAt: end };
  if (!plan.catchup) {
    let latestEnd = atOrBefore(tt, now);
    let start = tt.prev(latestEnd);
    if (plan.end && start > plan.end) {
      // The latest interval still allowed, if it was not run yet.
      start = atOrBefore(tt, plan.end);
      latestEnd = tt.next(start);
      if (latestEnd < end) return { intervals: [], nextRunAt: null };
      return { intervals: allowed(plan, start) ? [{ start, end: latestEnd }] : [], nextRunAt: null };
    }
    const following = tt.next(latestEnd);
    const next = plan.end && latestEnd > plan.end ? null : following;
    return { intervals: allowed(plan, start) ? [{ start, end: latestEnd }] : [], nextRunAt: next };
  }
  const intervals: DataInterval[] = [];
  let start = tt.prev(end);
  while (end <= now && intervals.length < max) {
    if (plan.end && start > plan.end) return { intervals, nextRunAt: null };
    if (allowed(plan, start)) intervals.push({ start, end });
    start = end;
    end = tt.next(end);
  }
  return { intervals, nextRunAt: plan.end && start > plan.end ? null : end };
}

/**
 * Data intervals whose logical date is in [from, to] (both included), at most `max` (the caller
 * asks for max + 1 to tell "too many"). Backfills use it: an explicit range is run even outside
 * startDate and endDate.
 */
export function intervalsBetween(plan: SchedulePlan, from: Date, to: Date, max: number): DataInterval[] {
  if (plan.once) {
    const at = plan.start;
    return at && at >= from && at <= to && max > 0 ? [{ start: at, end: at }] : [];
  }
  const tt = plan.timetable;
  const intervals: DataInterval[] = [];
  let start = atOrAfter(tt, from);
  while (start <= to && intervals.length < max) {
    const end = tt.next(start);
    intervals.push({ start, end });
    start = end;
  }
  return intervals;
}

/** The next `count` fire times after `now` with their intervals, within startDate and endDate. */
export function upcomingIntervals(plan: SchedulePlan, now: Date, count: number): DataInterval[] {
  if (plan.once) {
    const at = onceAt(plan, now);
    return at >= now && count > 0 && !(plan.end && at > plan.end) ? [{ start: at, end: at }] : [];
  }
  const tt = plan.timetable;
  let start = tt.prev(tt.next(now));
  if (plan.start && start < plan.start) start = atOrAfter(tt, plan.start);
  const intervals: DataInterval[] = [];
  while (intervals.length < count && !(plan.end && start > plan.end)) {
    const end = tt.next(start);
    intervals.push({ start, end });
    start = end;
  }
  return intervals;
}

/**
 * The data interval of a run the schedule did not create (by hand, the API, a webhook, a trigger),
 * inferred from its logical date `at` as Airflow infers a manual run's (`infer_manual_data_interval`):
 * for a cron schedule, the last complete interval, ending at the last fire time at or before `at`;
 * for an interval schedule, the `every` before `at`; without a schedule (or `@once`, or when its
 * fire times cannot be computed), the instant `at` itself. The logical date stays `at`.
 */
export function manualDataInterval(spec: ScheduleSpec, at: Date): DataInterval {
  const exact = { start: at, end: at };
  const schedule = spec.schedule;
  if (!schedule || isOnce(schedule)) return exact;
  try {
    if (schedule.type === "interval") {
      return { start: new Date(at.getTime() - parseDuration(schedule.every)! * 1000), end: at };
    }
    const tt = timetableOf(schedule);
    const end = atOrBefore(tt, at);
    return { start: tt.prev(end), end };
  } catch (error) {
    if (error instanceof ScheduleError) return exact;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Dates of the document

/**
 * A document date: `2025-01-31` is midnight in the schedule's time zone (on the rare days a zone
 * skips midnight, the instant its clocks jumped at, as for any skipped wall time); a date-time
 * carries its own offset.
 */
export function scheduleDate(value: string, timezone: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return new Date(value);
  const [y, m, d] = value.split("-").map(Number) as [number, number, number];
  try {
    return new Date(instantOf(Date.UTC(y, m - 1, d), timezone));
  } catch (error) {
    throw new ScheduleError(`date ${value} in ${timezone}: ${(error as Error).message}`);
  }
}
