// Cron fire times in a time zone, and the one daylight-saving policy every part of Baton uses (the
// scheduler, the preview and backfills all ask timetable.ts, which asks here).
//
// cron-parser matches the expression against **wall-clock time** — evaluated as if in UTC, where
// clocks never change, so it never meets a gap or an overlap (evaluated in the zone itself it
// throws "loop limit exceeded" near some zones' changes: Lord Howe's half hour, Cairo's and
// Havana's midnight). Each matching wall time then stands for instants of the zone (zone.ts):
//
//  - an ordinary wall time: its one instant;
//  - a **skipped** wall time (the clock jumped forward over it): the instant as many minutes after
//    the jump as the wall time was into the gap (02:30 in Paris on the spring day fires at 03:30
//    CEST), so a daily schedule still fires that day; where that instant is also a matching wall
//    time of its own (hourly at 03:00) it fires once;
//  - a **repeated** wall time (the clock went back): its first instant only, unless the expression
//    fires every hour (its hour field is `*`), which then fires in both passes of the hour, as
//    Vixie cron runs wildcard jobs: an hourly schedule keeps firing every real hour.
//
// `next(t)` is a function of the instant t alone, so the sequence of fire times is the same
// whether it is walked from its start (a backfill) or picked up at any point (the scheduler).
import { type CronExpression, CronExpressionParser } from "cron-parser";
import { instantOf, instantsOf, offsetMs, offsetsAround } from "./zone";

/** A schedule whose fire times cannot be computed (an expression that never matches, say). */
export class ScheduleError extends Error {
  override name = "ScheduleError";
}

/** Wall times examined for one answer before giving up (a year of hourly fire times and more). */
const MAX_CANDIDATES = 10_000;

export interface ZonedCron {
  /** The first fire time strictly after `t`. */
  next(t: Date): Date;
  /** The last fire time strictly before `t`. */
  prev(t: Date): Date;
}

/** The instants a matching wall time fires at, under the policy above. */
function firesOf(wall: number, timezone: string, everyHour: boolean): number[] {
  if (!everyHour) return [instantOf(wall, timezone)];
  const { instants, offsetBefore } = instantsOf(wall, timezone);
  return instants.length > 0 ? instants : [wall - offsetBefore];
}

export function zonedCron(expression: string, timezone: string): ZonedCron {
  let cron: CronExpression;
  try {
    cron = CronExpressionParser.parse(expression.trim(), { tz: "UTC" });
  } catch (error) {
    throw new ScheduleError(`cron "${expression}": ${(error as Error).message}`);
  }
  const everyHour = cron.fields.hour.values.length === 24;

  /** How far wall time and instants drift apart around t (0 away from any clock change). */
  const spread = (t: number) => {
    const offsets = [offsetMs(t, timezone), ...offsetsAround(t, timezone)];
    return Math.max(...offsets) - Math.min(...offsets);
  };

  /** Any failure (cron-parser's, or a zone the tz data does not know) as a ScheduleError. */
  function search(t: Date, direction: "next" | "prev"): Date {
    try {
      return walk(t, direction);
    } catch (error) {
      if (error instanceof ScheduleError) throw error;
      throw new ScheduleError(`cron "${expression}" in ${timezone}: ${(error as Error).message}`);
    }
  }

  function walk(t: Date, direction: "next" | "prev"): Date {
    const ms = t.getTime();
    const forward = direction === "next";
    // A wall time up to `spread` on the other side of t's own can fire beyond t (a skipped one
    // read after the jump, a repeated one's first pass), so the walk starts that far back.
    const margin = spread(ms) + 1;
    cron.reset(new Date(ms + offsetMs(ms, timezone) + (forward ? -margin : margin)));
    let best: number | undefined;
    for (let examined = 0; examined < MAX_CANDIDATES; examined++) {
      const wall = (forward ? cron.next() : cron.prev()).getTime();
      for (const at of firesOf(wall, timezone, everyHour)) {
        if (
          forward
            ? at > ms && (best === undefined || at < best)
            : at < ms && (best === undefined || at > best)
        ) {
          best = at;
        }
      }
      // Later wall times fire later, give or take the zone's offsets around them: once even the
      // most favourable reading of this one is not before the best found, nothing further beats it.
      if (best !== undefined) {
        const [before, after] = offsetsAround(wall, timezone);
        const bound = forward ? wall - Math.max(before, after) : wall - Math.min(before, after);
        if (forward ? bound >= best : bound <= best) return new Date(best);
      }
    }
    throw new ScheduleError(
      `cron "${expression}" in ${timezone}: no fire time found ${forward ? "after" : "before"} ${t.toISOString()}`,
    );
  }

  return { next: (t) => search(t, "next"), prev: (t) => search(t, "prev") };
}
