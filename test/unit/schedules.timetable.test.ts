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
  upcomingIntervals,
} from "@/server/schedules/timetable";

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());
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
    expect(iso(tt.take(at("2025-03-28T12:00:00Z"), 4))).toEqual([
      "2025-03-29T01:30:00.000Z", // 02:30 CET
      "2025-03-30T01:30:00.000Z", // 02:30 does not exist: 03:30 CEST
      "2025-03-31T00:30:00.000Z", // 02:30 CEST
      "2025-04-01T00:30:00.000Z",
    ]);
  });

  it("Europe/Paris, repeated hour (2025-10-26 03:00 → 02:00): 02:30 fires once, not twice", () => {
    const tt = cronTimetable("30 2 * * *", "Europe/Paris");
    expect(iso(tt.take(at("2025-10-25T12:00:00Z"), 3))).toEqual([
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
    expect(iso(tt.take(at("2025-03-08T12:00:00Z"), 3))).toEqual([
      "2025-03-09T07:30:00.000Z",
      "2025-03-10T06:30:00.000Z", // 02:30 EDT
      "2025-03-11T06:30:00.000Z",
    ]);
  });

  it("America/New_York, repeated hour (2025-11-02 02:00 → 01:00): 01:30 fires once", () => {
    const tt = cronTimetable("30 1 * * *", "America/New_York");
    expect(iso(tt.take(at("2025-11-01T12:00:00Z"), 3))).toEqual([
      "2025-11-02T05:30:00.000Z", // the first 01:30 (EDT)
      "2025-11-03T06:30:00.000Z", // 01:30 EST
      "2025-11-04T06:30:00.000Z",
    ]);
  });

  it("America/New_York hourly skips no real hour at the spring change", () => {
    const tt = cronTimetable("0 * * * *", "America/New_York");
    expect(iso(tt.take(at("2025-03-09T05:30:00Z"), 3))).toEqual([
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
    expect(iso(cronTimetable("@daily", "Europe/Paris").take(at("2025-01-01T00:00:00Z"), 2))).toEqual([
      "2025-01-01T23:00:00.000Z",
      "2025-01-02T23:00:00.000Z",
    ]);
  });

  it("six fields fire on seconds", () => {
    expect(iso(cronTimetable("*/20 * * * * *").take(at("2025-01-01T00:00:00Z"), 3))).toEqual([
      "2025-01-01T00:00:20.000Z",
      "2025-01-01T00:00:40.000Z",
      "2025-01-01T00:01:00.000Z",
    ]);
  });
});

describe("cron day fields", () => {
  it("L is the last day of the month, leap February included", () => {
    expect(iso(cronTimetable("0 0 L * *").take(at("2024-01-15T00:00:00Z"), 4))).toEqual([
      "2024-01-31T00:00:00.000Z",
      "2024-02-29T00:00:00.000Z",
      "2024-03-31T00:00:00.000Z",
      "2024-04-30T00:00:00.000Z",
    ]);
  });

  it("5L is the last Friday, 1#1 the first Monday", () => {
    expect(iso(cronTimetable("0 0 * * 5L").take(at("2025-01-01T00:00:00Z"), 2))).toEqual([
      "2025-01-31T00:00:00.000Z",
      "2025-02-28T00:00:00.000Z",
    ]);
    expect(iso(cronTimetable("0 9 * * 1#1").take(at("2025-01-01T00:00:00Z"), 2))).toEqual([
      "2025-01-06T09:00:00.000Z",
      "2025-02-03T09:00:00.000Z",
    ]);
  });

  it("day of month and day of week together fire on either (Vixie cron)", () => {
    expect(iso(cronTimetable("0 0 13 * 5").take(at("2025-01-01T00:00:00Z"), 4))).toEqual([
      "2025-01-03T00:00:00.000Z", // Friday
      "2025-01-10T00:00:00.000Z", // Friday
      "2025-01-13T00:00:00.000Z", // the 13th, a Monday
      "2025-01-17T00:00:00.000Z",
    ]);
  });

  it("29 February fires only in leap years", () => {
    expect(iso(cronTimetable("0 0 29 2 *").take(at("2025-01-01T00:00:00Z"), 2))).toEqual([
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
