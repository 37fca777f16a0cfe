// Fire times and data intervals: cron in IANA zones across daylight-saving changes (a skipped and
// a repeated hour, in Paris and New York), L / # / day-of-month-or-day-of-week, leap days,
// fixed intervals, start and end dates, and catch-up after a downtime.
import { describe, expect, it } from "vitest";
import type { Schedule } from "@/server/dags/definition";
import {
  cronTimetable,
  dueIntervals,
  intervalsBetween,
  nextRunAfter,
  type ScheduleSpec,
  scheduleDate,
  schedulePlan,
  type Timetable,
  upcomingIntervals,
} from "@/server/schedules/timetable";

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());
/** `count` fire times after `t`, each the `next` of the one before. */
function take(tt: Timetable, t: Date, count: number): Date[] {
  const out: Date[] = [];
  let last = t;
  while (out.length < count) {
    last = tt.next(last);
    out.push(last);
  }
  return out;
}
const at = (text: string) => new Date(text);
const cron = (expression: string, timezone = "UTC"): Schedule => ({
  type: "cron",
  cron: expression,
  timezone,
});
const plan = (spec: ScheduleSpec) => schedulePlan(spec)!;
const intervalsIso = (intervals: { start: Date; end: Date }[]) =>
  intervals.map((i) => [i.start.toISOString(), i.end.toISOString()]);

describe("cron across daylight-saving changes", () => {
  it("Europe/Paris, skipped hour (2025-03-30 02:00 → 03:00): 02:30 fires once, at 03:30 local", () => {
    const tt = cronTimetable("30 2 * * *", "Europe/Paris");
    expect(iso(take(tt, at("2025-03-28T12:00:00Z"), 4))).toEqual([
      "2025-03-29T01:30:00.000Z", // 02:30 CET
      "2025-03-30T01:30:00.000Z", // 02:30 does not exist: 03:30 CEST
      "2025-03-31T00:30:00.000Z", // 02:30 CEST
      "2025-04-01T00:30:00.000Z",
    ]);
  });

  it("Europe/Paris, repeated hour (2025-10-26 03:00 → 02:00): 02:30 fires once, not twice", () => {
    const tt = cronTimetable("30 2 * * *", "Europe/Paris");
    expect(iso(take(tt, at("2025-10-25T12:00:00Z"), 3))).toEqual([
      "2025-10-26T00:30:00.000Z", // the first 02:30 (CEST)
      "2025-10-27T01:30:00.000Z", // 02:30 CET
      "2025-10-28T01:30:00.000Z",
    ]);
  });

  it("Europe/Paris hourly runs every real hour through the repeated hour: 1 h intervals, none lost", () => {
    const p = plan({ schedule: cron("0 * * * *", "Europe/Paris"), startDate: "2025-10-26T01:00:00+02:00" });
    const intervals = intervalsBetween(p, at("2025-10-25T23:00:00Z"), at("2025-10-26T03:00:00Z"), 10);
    expect(intervalsIso(intervals).map(([start]) => start)).toEqual([
      "2025-10-25T23:00:00.000Z", // 01:00 CEST
      "2025-10-26T00:00:00.000Z", // 02:00 CEST
      "2025-10-26T01:00:00.000Z", // 02:00 CET (the hour again)
      "2025-10-26T02:00:00.000Z", // 03:00 CET
      "2025-10-26T03:00:00.000Z",
    ]);
    for (const i of intervals) expect(i.end.getTime() - i.start.getTime()).toBe(3_600_000);
  });

  it("America/New_York, skipped hour (2025-03-09 02:00 → 03:00): 02:30 fires at 03:30 EDT", () => {
    const tt = cronTimetable("30 2 * * *", "America/New_York");
    expect(iso(take(tt, at("2025-03-08T12:00:00Z"), 3))).toEqual([
      "2025-03-09T07:30:00.000Z",
      "2025-03-10T06:30:00.000Z", // 02:30 EDT
      "2025-03-11T06:30:00.000Z",
    ]);
  });

  it("America/New_York, repeated hour (2025-11-02 02:00 → 01:00): 01:30 fires once", () => {
    const tt = cronTimetable("30 1 * * *", "America/New_York");
    expect(iso(take(tt, at("2025-11-01T12:00:00Z"), 3))).toEqual([
      "2025-11-02T05:30:00.000Z", // the first 01:30 (EDT)
      "2025-11-03T06:30:00.000Z", // 01:30 EST
      "2025-11-04T06:30:00.000Z",
    ]);
  });

  it("America/New_York hourly skips no real hour at the spring change", () => {
    const tt = cronTimetable("0 * * * *", "America/New_York");
    expect(iso(take(tt, at("2025-03-09T05:30:00Z"), 3))).toEqual([
      "2025-03-09T06:00:00.000Z", // 01:00 EST
      "2025-03-09T07:00:00.000Z", // 03:00 EDT (02:00 does not exist)
      "2025-03-09T08:00:00.000Z",
    ]);
  });

  it("a daily run's data interval is 23 h and 25 h long on change days", () => {
    const p = plan({ schedule: cron("0 0 * * *", "Europe/Paris") });
    const [spring] = intervalsBetween(p, at("2025-03-29T23:00:00Z"), at("2025-03-29T23:00:00Z"), 1);
    const [autumn] = intervalsBetween(p, at("2025-10-25T22:00:00Z"), at("2025-10-25T22:00:00Z"), 1);
    expect(spring!.end.getTime() - spring!.start.getTime()).toBe(23 * 3_600_000);
    expect(autumn!.end.getTime() - autumn!.start.getTime()).toBe(25 * 3_600_000);
  });

  it("presets fire in the zone: @daily in Paris is local midnight", () => {
    expect(iso(take(cronTimetable("@daily", "Europe/Paris"), at("2025-01-01T00:00:00Z"), 2))).toEqual([
      "2025-01-01T23:00:00.000Z",
      "2025-01-02T23:00:00.000Z",
    ]);
  });

  it("six fields fire on seconds", () => {
    expect(iso(take(cronTimetable("*/20 * * * * *"), at("2025-01-01T00:00:00Z"), 3))).toEqual([
      "2025-01-01T00:00:20.000Z",
      "2025-01-01T00:00:40.000Z",
      "2025-01-01T00:01:00.000Z",
    ]);
  });
});

describe("cron day fields", () => {
  it("L is the last day of the month, leap February included", () => {
    expect(iso(take(cronTimetable("0 0 L * *"), at("2024-01-15T00:00:00Z"), 4))).toEqual([
      "2024-01-31T00:00:00.000Z",
      "2024-02-29T00:00:00.000Z",
      "2024-03-31T00:00:00.000Z",
      "2024-04-30T00:00:00.000Z",
    ]);
  });

  it("5L is the last Friday, 1#1 the first Monday", () => {
    expect(iso(take(cronTimetable("0 0 * * 5L"), at("2025-01-01T00:00:00Z"), 2))).toEqual([
      "2025-01-31T00:00:00.000Z",
      "2025-02-28T00:00:00.000Z",
    ]);
    expect(iso(take(cronTimetable("0 9 * * 1#1"), at("2025-01-01T00:00:00Z"), 2))).toEqual([
      "2025-01-06T09:00:00.000Z",
      "2025-02-03T09:00:00.000Z",
    ]);
  });

  it("day of month and day of week together fire on either (Vixie cron)", () => {
    expect(iso(take(cronTimetable("0 0 13 * 5"), at("2025-01-01T00:00:00Z"), 4))).toEqual([
      "2025-01-03T00:00:00.000Z", // Friday
      "2025-01-10T00:00:00.000Z", // Friday
      "2025-01-13T00:00:00.000Z", // the 13th, a Monday
      "2025-01-17T00:00:00.000Z",
    ]);
  });

  it("29 February fires only in leap years", () => {
    expect(iso(take(cronTimetable("0 0 29 2 *"), at("2025-01-01T00:00:00Z"), 2))).toEqual([
      "2028-02-29T00:00:00.000Z",
      "2032-02-29T00:00:00.000Z",
    ]);
  });

  it("a daily schedule gives 29 February its own run and logical date", () => {
    const p = plan({ schedule: cron("0 0 * * *") });
    const days = intervalsBetween(p, at("2024-02-28T00:00:00Z"), at("2024-03-01T00:00:00Z"), 10);
    expect(intervalsIso(days).map(([start]) => start!.slice(0, 10))).toEqual([
      "2024-02-28",
      "2024-02-29",
      "2024-03-01",
    ]);
  });
});

describe("fixed intervals", () => {
  it("count from startDate", () => {
    const p = plan({ schedule: { type: "interval", every: "15m" }, startDate: "2025-01-01T00:07:00Z" });
    expect(intervalsIso(upcomingIntervals(p, at("2025-01-01T00:30:00Z"), 2))).toEqual([
      ["2025-01-01T00:22:00.000Z", "2025-01-01T00:37:00.000Z"],
      ["2025-01-01T00:37:00.000Z", "2025-01-01T00:52:00.000Z"],
    ]);
  });

  it("without startDate, count from the epoch (so 1h fires on the hour)", () => {
    const p = plan({ schedule: { type: "interval", every: "1h" } });
    expect(intervalsIso(upcomingIntervals(p, at("2025-06-01T10:20:00Z"), 1))).toEqual([
      ["2025-06-01T10:00:00.000Z", "2025-06-01T11:00:00.000Z"],
    ]);
  });

  it("1d over a leap day gives three days, each 24 h", () => {
    const p = plan({ schedule: { type: "interval", every: "1d" }, startDate: "2024-01-01" });
    const days = intervalsBetween(p, at("2024-02-28T00:00:00Z"), at("2024-03-01T00:00:00Z"), 10);
    expect(days.map((d) => d.start.toISOString().slice(0, 10))).toEqual([
      "2024-02-28",
      "2024-02-29",
      "2024-03-01",
    ]);
  });
});

describe("document dates", () => {
  it("a date is midnight in the schedule's zone, winter and summer", () => {
    expect(scheduleDate("2025-01-31", "Europe/Paris").toISOString()).toBe("2025-01-30T23:00:00.000Z");
    expect(scheduleDate("2025-07-01", "Europe/Paris").toISOString()).toBe("2025-06-30T22:00:00.000Z");
    expect(scheduleDate("2025-03-09", "America/New_York").toISOString()).toBe("2025-03-09T05:00:00.000Z");
    expect(scheduleDate("2025-03-10", "America/New_York").toISOString()).toBe("2025-03-10T04:00:00.000Z");
  });

  it("a date-time keeps its offset", () => {
    expect(scheduleDate("2025-01-31T06:00:00+02:00", "UTC").toISOString()).toBe("2025-01-31T04:00:00.000Z");
  });
});

describe("the next run", () => {
  const daily = cron("0 2 * * *", "Europe/Paris");

  it("starts at the first fire time at or after startDate; the run fires at the interval's end", () => {
    const p = plan({ schedule: daily, startDate: "2025-01-10" });
    // First interval: 2025-01-10 02:00 → 2025-01-11 02:00 Paris.
    expect(nextRunAfter(p, null, at("2025-01-01T00:00:00Z"))?.toISOString()).toBe("2025-01-11T01:00:00.000Z");
  });

  it("continues after the last scheduled interval", () => {
    const p = plan({ schedule: daily, startDate: "2025-01-10" });
    expect(nextRunAfter(p, at("2025-02-01T01:00:00Z"), at("2025-06-01T00:00:00Z"))?.toISOString()).toBe(
      "2025-02-02T01:00:00.000Z",
    );
  });

  it("without startDate or history, is the next fire time after now (nothing before it)", () => {
    const p = plan({ schedule: daily });
    expect(nextRunAfter(p, null, at("2025-01-05T12:00:00Z"))?.toISOString()).toBe("2025-01-06T01:00:00.000Z");
  });

  it("is none past endDate (the last logical date allowed)", () => {
    const p = plan({ schedule: daily, startDate: "2025-01-10", endDate: "2025-01-12T01:00:00Z" });
    expect(nextRunAfter(p, at("2025-01-12T01:00:00Z"), at("2025-01-20T00:00:00Z"))?.toISOString()).toBe(
      "2025-01-13T01:00:00.000Z", // the interval with logical date 2025-01-12 02:00 Paris
    );
    expect(nextRunAfter(p, at("2025-01-13T01:00:00Z"), at("2025-01-20T00:00:00Z"))).toBeNull();
  });

  it("previews the coming runs within the dates", () => {
    const p = plan({ schedule: daily, startDate: "2025-01-10", endDate: "2025-01-11" });
    expect(intervalsIso(upcomingIntervals(p, at("2025-01-01T00:00:00Z"), 5))).toEqual([
      ["2025-01-10T01:00:00.000Z", "2025-01-11T01:00:00.000Z"],
    ]);
  });
});

describe("catch-up after a downtime", () => {
  const hourly = { type: "interval", every: "1h" } as const;
  const now = at("2025-01-01T09:10:00Z");

  it("on: every missed interval, in order", () => {
    const p = plan({ schedule: hourly, startDate: "2025-01-01", catchup: true });
    const due = dueIntervals(p, at("2025-01-01T04:00:00Z"), now);
    expect(due.intervals.map((i) => i.start.toISOString().slice(11, 16))).toEqual([
      "03:00",
      "04:00",
      "05:00",
      "06:00",
      "07:00",
      "08:00",
    ]);
    expect(due.nextRunAt?.toISOString()).toBe("2025-01-01T10:00:00.000Z");
  });

  it("off: only the latest interval", () => {
    const p = plan({ schedule: hourly, startDate: "2025-01-01", catchup: false });
    const due = dueIntervals(p, at("2025-01-01T04:00:00Z"), now);
    expect(intervalsIso(due.intervals)).toEqual([["2025-01-01T08:00:00.000Z", "2025-01-01T09:00:00.000Z"]]);
    expect(due.nextRunAt?.toISOString()).toBe("2025-01-01T10:00:00.000Z");
  });

  it("on, over more than one claim: `max` at a time, and nextRunAt says where to continue", () => {
    const p = plan({ schedule: hourly, startDate: "2025-01-01", catchup: true });
    const first = dueIntervals(p, at("2025-01-01T01:00:00Z"), now, 4);
    expect(first.intervals).toHaveLength(4);
    const second = dueIntervals(p, first.nextRunAt!, now, 4);
    expect([...first.intervals, ...second.intervals].map((i) => i.start.getUTCHours())).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7,
    ]);
    expect(second.intervals).toHaveLength(4);
    expect(dueIntervals(p, second.nextRunAt!, now, 4).intervals.map((i) => i.start.getUTCHours())).toEqual([
      8,
    ]);
  });

  it("stops at endDate, with catch-up on or off", () => {
    const on = plan({
      schedule: hourly,
      startDate: "2025-01-01",
      endDate: "2025-01-01T05:00:00Z",
      catchup: true,
    });
    const dueOn = dueIntervals(on, at("2025-01-01T04:00:00Z"), now);
    expect(dueOn.intervals.map((i) => i.start.getUTCHours())).toEqual([3, 4, 5]);
    expect(dueOn.nextRunAt).toBeNull();
    const off = plan({ schedule: hourly, startDate: "2025-01-01", endDate: "2025-01-01T05:00:00Z" });
    const dueOff = dueIntervals(off, at("2025-01-01T04:00:00Z"), now);
    expect(dueOff.intervals.map((i) => i.start.getUTCHours())).toEqual([5]);
    expect(dueOff.nextRunAt).toBeNull();
  });

  it("nothing is due before nextRunAt", () => {
    const p = plan({ schedule: hourly, catchup: true });
    expect(dueIntervals(p, at("2025-01-01T10:00:00Z"), now).intervals).toEqual([]);
  });
});

describe("schedules that used to stop at a clock change (cron-parser's loop limit in the zone)", () => {
  const local = (tz: string, t: Date) =>
    new Intl.DateTimeFormat("sv-SE", { timeZone: tz, dateStyle: "short", timeStyle: "short" }).format(t);

  it("Africa/Cairo daily at midnight from 2026-04-24 (midnight skipped that day), with catch-up: a run a day", () => {
    const p = plan({ schedule: cron("0 0 * * *", "Africa/Cairo"), startDate: "2026-04-24", catchup: true });
    const now = at("2026-04-28T12:00:00Z");
    const due = dueIntervals(p, nextRunAfter(p, null, now)!, now);
    expect(due.intervals.map((i) => local("Africa/Cairo", i.start))).toEqual([
      "2026-04-24 01:00", // 00:00 does not exist: the clocks went from 00:00 to 01:00
      "2026-04-25 00:00",
      "2026-04-26 00:00",
      "2026-04-27 00:00",
    ]);
    expect(local("Africa/Cairo", due.nextRunAt!)).toBe("2026-04-29 00:00");
  });

  it("Australia/Lord_Howe (half-hour changes) daily at 02:00, backfilled over 2026-04-01..04-10: ten runs", () => {
    const p = plan({ schedule: cron("0 2 * * *", "Australia/Lord_Howe") });
    const days = intervalsBetween(
      p,
      scheduleDate("2026-04-01", "Australia/Lord_Howe"),
      at("2026-04-10T12:00:00+10:30"),
      100,
    );
    expect(days.map((d) => local("Australia/Lord_Howe", d.start))).toEqual(
      Array.from({ length: 9 }, (_, i) => `2026-04-0${i + 1} 02:00`).concat("2026-04-10 02:00"),
    );
  });

  it("Australia/Lord_Howe hourly through the half hour the clocks go back: every wall hour, none lost", () => {
    const p = plan({ schedule: cron("0 * * * *", "Australia/Lord_Howe") });
    // 2026-04-05 02:00 LHDT (+11) → 01:30 LHST (+10:30).
    const fires = upcomingIntervals(p, at("2026-04-04T12:30:00Z"), 5).map((i) => i.end);
    expect(fires.map((t) => local("Australia/Lord_Howe", t))).toEqual([
      "2026-04-05 00:00",
      "2026-04-05 01:00",
      "2026-04-05 02:00", // 1.5 real hours after 01:00: the half hour 01:30-02:00 came twice
      "2026-04-05 03:00",
      "2026-04-05 04:00",
    ]);
  });

  for (const [zone, from] of [
    ["America/Havana", "2026-03-01"],
    ["America/Santiago", "2026-09-01"],
    ["Asia/Beirut", "2026-03-20"],
    ["Atlantic/Azores", "2026-03-20"],
    ["Pacific/Chatham", "2026-09-20"],
  ] as const) {
    it(`${zone}: daily and hourly, simulated forward, go on past the next clock change`, () => {
      for (const [expression, perDay] of [
        ["0 0 * * *", 1],
        ["0 * * * *", 23],
      ] as const) {
        // As the scheduler goes: the next run after each one, claim after claim.
        const p = plan({ schedule: cron(expression, zone) });
        const start = scheduleDate(from, zone);
        const until = new Date(start.getTime() + 30 * 86_400_000);
        let fires = 0;
        for (let next = nextRunAfter(p, null, start); next && next < until; fires++) {
          next = dueIntervals(p, next, next).nextRunAt;
        }
        expect(fires, `${zone} ${expression}`).toBeGreaterThanOrEqual(30 * perDay);
      }
    });
  }
});

describe("one daylight-saving policy for scheduler, preview and backfill", () => {
  it("*/15 1,2 * * * on Paris's spring day 2030-03-31: the skipped 02:xx fire after the jump, 8 everywhere", () => {
    const p = plan({ schedule: cron("*/15 1,2 * * *", "Europe/Paris"), catchup: true });
    const dayStart = scheduleDate("2030-03-31", "Europe/Paris");
    const dayEnd = scheduleDate("2030-04-01", "Europe/Paris");
    const inDay = (times: Date[]) => iso(times.filter((t) => t >= dayStart && t < dayEnd));
    const backfill = intervalsBetween(p, dayStart, dayEnd, 100).map((i) => i.start);
    const preview = upcomingIntervals(p, new Date(dayStart.getTime() - 1), 20).map((i) => i.end);
    const scheduler = dueIntervals(p, nextRunAfter(p, null, dayStart)!, dayEnd, 100).intervals.map(
      (i) => i.end,
    );
    const expected = [
      "2030-03-31T00:00:00.000Z", // 01:00 CET
      "2030-03-31T00:15:00.000Z",
      "2030-03-31T00:30:00.000Z",
      "2030-03-31T00:45:00.000Z",
      "2030-03-31T01:00:00.000Z", // 02:00 does not exist: 03:00 CEST
      "2030-03-31T01:15:00.000Z", // 02:15 → 03:15 CEST
      "2030-03-31T01:30:00.000Z",
      "2030-03-31T01:45:00.000Z",
    ];
    expect(inDay(backfill)).toEqual(expected);
    expect(inDay(preview)).toEqual(expected);
    expect(inDay(scheduler)).toEqual(expected);
  });

  it("a wall time the clocks repeat fires once, unless the hour field is * (then in both passes)", () => {
    const daily = plan({ schedule: cron("30 2 * * *", "Europe/Paris") });
    const quarter = plan({ schedule: cron("*/30 2 * * *", "Europe/Paris") });
    const hourlyAtHalf = plan({ schedule: cron("30 * * * *", "Europe/Paris") });
    const from = at("2030-10-27T00:00:00Z"); // 02:00 CEST; clocks go back at 03:00 CEST
    const to = at("2030-10-27T02:00:00Z");
    expect(iso(intervalsBetween(daily, from, to, 10).map((i) => i.start))).toEqual([
      "2030-10-27T00:30:00.000Z",
    ]);
    expect(iso(intervalsBetween(quarter, from, to, 10).map((i) => i.start))).toEqual([
      "2030-10-27T00:00:00.000Z",
      "2030-10-27T00:30:00.000Z",
    ]);
    expect(iso(intervalsBetween(hourlyAtHalf, from, to, 10).map((i) => i.start))).toEqual([
      "2030-10-27T00:30:00.000Z", // 02:30 CEST
      "2030-10-27T01:30:00.000Z", // 02:30 CET
    ]);
  });
});

describe("fixed-offset zones and @once", () => {
  it("+05:30 is a zone without daylight saving", () => {
    const p = plan({ schedule: cron("0 9 * * *", "+05:30"), startDate: "2026-01-01" });
    expect(p.start?.toISOString()).toBe("2025-12-31T18:30:00.000Z");
    expect(iso(upcomingIntervals(p, at("2026-06-01T00:00:00Z"), 2).map((i) => i.end))).toEqual([
      "2026-06-01T03:30:00.000Z",
      "2026-06-02T03:30:00.000Z",
    ]);
    expect(iso(take(cronTimetable("0 0 * * *", "-03:00"), at("2026-03-08T00:00:00Z"), 1))).toEqual([
      "2026-03-08T03:00:00.000Z",
    ]);
  });

  it("@once runs once, at startDate (its logical date and fire time), then never again", () => {
    const p = plan({ schedule: cron("@once", "Europe/Paris"), startDate: "2030-01-15" });
    const first = nextRunAfter(p, null, at("2030-01-01T00:00:00Z"))!;
    expect(first.toISOString()).toBe("2030-01-14T23:00:00.000Z");
    expect(dueIntervals(p, first, at("2030-01-10T00:00:00Z")).intervals).toEqual([]);
    const due = dueIntervals(p, first, at("2030-01-20T00:00:00Z"));
    expect(intervalsIso(due.intervals)).toEqual([["2030-01-14T23:00:00.000Z", "2030-01-14T23:00:00.000Z"]]);
    expect(due.nextRunAt).toBeNull();
    expect(nextRunAfter(p, first, at("2030-02-01T00:00:00Z"))).toBeNull();
    expect(upcomingIntervals(p, at("2030-01-01T00:00:00Z"), 5)).toHaveLength(1);
    expect(intervalsBetween(p, at("2030-01-01T00:00:00Z"), at("2030-02-01T00:00:00Z"), 10)).toHaveLength(1);
  });

  it("@once without startDate runs as soon as it is scheduled", () => {
    const p = plan({ schedule: cron("@once") });
    const now = at("2030-05-05T10:00:00Z");
    expect(nextRunAfter(p, null, now)).toEqual(now);
  });
});
