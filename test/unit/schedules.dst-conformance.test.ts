// Daylight-saving conformance: every IANA zone this runtime knows, every clock change in the next
// three years, for a daily schedule at midnight, a daily schedule at the very wall time the clock
// skips or repeats, an hourly and an every-15-minutes schedule. Fire times come from the
// product's own code — the scheduler's path (nextRunAfter, then dueIntervals claim after claim),
// the backfill's (intervalsBetween) and, for the daily ones, the preview's (upcomingIntervals) — and must equal what the
// documented policy (docs/schedules.md, "Daylight saving") says, worked out here independently
// from the change's instant and its two offsets:
//
//  - a wall time that exists once fires at it;
//  - a skipped wall time fires as far after the jump as it was into the gap;
//  - a repeated wall time fires once (its first pass), except for expressions whose hour field is
//    `*`, which fire in both passes;
//  - fire times are unique and increasing, and every local day has its daily run.
//
// Only the hours around each change are walked (the rest of the calendar has no DST edge), so it
// stays a few seconds for the ~900 changes of the tz database's next three years.
import { describe, expect, it } from "vitest";
import {
  dueIntervals,
  intervalsBetween,
  nextRunAfter,
  schedulePlan,
  upcomingIntervals,
} from "@/server/schedules/timetable";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

// Offsets read independently of the product (which uses formatToParts): the zone's "GMT+05:45" name.
const offsetFormats = new Map<string, Intl.DateTimeFormat>();
function offsetAt(t: number, zone: string): number {
  let format = offsetFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" });
    offsetFormats.set(zone, format);
  }
  const name = format.formatToParts(new Date(t)).find((p) => p.type === "timeZoneName")!.value;
  const match = /^GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(name);
  if (!match) throw new Error(`unexpected offset name ${name} for ${zone}`);
  if (!match[1]) return 0;
  const ms = (Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4] ?? 0)) * 1000;
  return match[1] === "-" ? -ms : ms;
}

interface Change {
  /** The first instant with the new offset. */
  at: number;
  before: number;
  after: number;
}

/** The zone's clock changes in [from, to): weekly samples, then bisection to the minute. */
function changesOf(zone: string, from: number, to: number): Change[] {
  const changes: Change[] = [];
  let t = from;
  let offset = offsetAt(t, zone);
  while (t < to) {
    const next = Math.min(t + 7 * DAY, to);
    const nextOffset = offsetAt(next, zone);
    if (nextOffset !== offset) {
      let lo = t;
      let hi = next;
      while (hi - lo > MINUTE) {
        const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
        if (offsetAt(mid, zone) === offset) lo = mid;
        else hi = mid;
      }
      changes.push({ at: hi, before: offset, after: offsetAt(hi, zone) });
    }
    t = next;
    offset = nextOffset;
  }
  return changes;
}

type Expression = { cron: string; everyHour: boolean; matches: (wallMinuteOfDay: number) => boolean };

const daily = (minuteOfDay: number): Expression => ({
  cron: `${minuteOfDay % 60} ${Math.floor(minuteOfDay / 60)} * * *`,
  everyHour: false,
  matches: (m) => m === minuteOfDay,
});
const hourly: Expression = { cron: "0 * * * *", everyHour: true, matches: (m) => m % 60 === 0 };
const quarterly: Expression = { cron: "*/15 * * * *", everyHour: true, matches: (m) => m % 15 === 0 };

/** The fire times the policy gives in [from, to], around one change (the only one near). */
function expected(expression: Expression, change: Change, from: number, to: number): number[] {
  const fires = new Set<number>();
  const spread = Math.abs(change.after - change.before);
  const low = from + Math.min(change.before, change.after) - spread;
  const high = to + Math.max(change.before, change.after) + spread;
  for (let wall = Math.ceil(low / MINUTE) * MINUTE; wall <= high; wall += MINUTE) {
    if (!expression.matches(Math.floor((wall % DAY) / MINUTE))) continue;
    // Read with the old offset, the instant must fall before the change; with the new, after it.
    const instants: number[] = [];
    if (wall - change.before < change.at) instants.push(wall - change.before);
    if (wall - change.after >= change.at) instants.push(wall - change.after);
    if (instants.length === 0) fires.add(wall - change.before);
    else if (expression.everyHour) for (const u of instants) fires.add(u);
    else fires.add(instants[0]!);
  }
  return [...fires].filter((u) => u >= from && u <= to).sort((a, b) => a - b);
}

/** Fire times in [from, to] as the scheduler creates them: nextRunAfter, then claim after claim. */
function scheduled(zone: string, expression: Expression, from: number, to: number): number[] {
  const plan = schedulePlan({
    schedule: { type: "cron", cron: expression.cron, timezone: zone },
    startDate: new Date(from).toISOString(),
    catchup: true,
  })!;
  const fires: number[] = [];
  // The first interval starts at the first fire time at or after startDate.
  let nextRunAt = nextRunAfter(plan, null, new Date(from));
  const first = intervalsBetween(plan, new Date(from), new Date(to), 1)[0];
  if (first && first.start.getTime() <= to) fires.push(first.start.getTime());
  while (nextRunAt && nextRunAt.getTime() <= to) {
    const due = dueIntervals(plan, nextRunAt, nextRunAt, 1);
    for (const interval of due.intervals) fires.push(interval.end.getTime());
    nextRunAt = due.nextRunAt;
  }
  return fires;
}

const now = Math.floor(Date.now() / HOUR) * HOUR;
const horizon = now + 3 * 365 * DAY;
const zones = Intl.supportedValuesOf("timeZone");

describe("every zone's clock changes over the next three years", () => {
  it("the runtime knows the tz database (hundreds of zones, with changes)", () => {
    expect(zones.length).toBeGreaterThan(300);
    expect(zones).toEqual(expect.arrayContaining(["Africa/Cairo", "Australia/Lord_Howe", "Pacific/Chatham"]));
  });

  const all = zones.flatMap((zone) => changesOf(zone, now, horizon).map((change) => ({ zone, change })));

  it("finds the changes, including the zones that stopped schedules before", () => {
    const zonesWithChanges = new Set(all.map((c) => c.zone));
    for (const zone of [
      "Africa/Cairo",
      "Australia/Lord_Howe",
      "America/Havana",
      "America/Santiago",
      "Asia/Beirut",
      "Atlantic/Azores",
      "Pacific/Chatham",
      "Europe/Paris",
    ]) {
      expect(zonesWithChanges, zone).toContain(zone);
    }
    expect(all.length).toBeGreaterThan(300);
  });

  it("daily, hourly and every 15 minutes fire as the policy says, through scheduler, backfill and preview", () => {
    const failures: string[] = [];
    let checked = 0;
    for (const { zone, change } of all) {
      // The wall time in the middle of what the change skips or repeats (to the minute).
      const low = change.at + Math.min(change.before, change.after);
      const middle = low + Math.floor(Math.abs(change.after - change.before) / 2 / MINUTE) * MINUTE;
      const expressions = [daily(0), daily(Math.floor((middle % DAY) / MINUTE)), hourly, quarterly];
      for (const expression of expressions) {
        // Daily schedules are walked over the days around the change; the others over the closest
        // hours (the rest is plain time).
        const hours = expression === quarterly ? 3 : expression === hourly ? 6 : 28;
        const [a, b] = [change.at - hours * HOUR, change.at + hours * HOUR];
        const want = expected(expression, change, a, b);
        const label = `${zone} ${expression.cron} around ${new Date(change.at).toISOString()}`;
        const got = scheduled(zone, expression, a, b);
        checked++;
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          failures.push(`${label}: scheduler ${iso(got)} ≠ policy ${iso(want)}`);
          continue;
        }
        const plan = schedulePlan({ schedule: { type: "cron", cron: expression.cron, timezone: zone } })!;
        const backfill = intervalsBetween(plan, new Date(a), new Date(b), 1000).map((i) => i.start.getTime());
        if (JSON.stringify(backfill) !== JSON.stringify(want)) {
          failures.push(`${label}: backfill ${iso(backfill)} ≠ policy ${iso(want)}`);
        }
        if (expression.everyHour) continue;
        const preview = upcomingIntervals(plan, new Date(a - 1), want.length)
          .map((i) => i.end.getTime())
          .filter((t) => t >= a);
        if (JSON.stringify(preview) !== JSON.stringify(want.slice(want.length - preview.length))) {
          failures.push(`${label}: preview ${iso(preview)} ≠ policy ${iso(want)}`);
        }
        // A daily run on every local day: consecutive fires between 20 and 28 hours apart.
        for (let i = 1; i < got.length; i++) {
          const gap = got[i]! - got[i - 1]!;
          if (gap < 20 * HOUR || gap > 28 * HOUR) failures.push(`${label}: ${gap / HOUR} h between runs`);
        }
        if (got.length < 2) failures.push(`${label}: ${got.length} runs in 56 hours`);
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
    expect(checked).toBe(all.length * 4);
  }, 300_000);
});

const iso = (times: number[]) => times.map((t) => new Date(t).toISOString().slice(5, 16)).join(" ");
