// Time zones for schedules: the offset of a zone at an instant, and the instants a wall-clock time
// stands for. A zone is an IANA name (`Europe/Paris`, from the runtime's ICU data through Intl) or a
// fixed offset (`+05:30`, `-03:00`: no daylight saving, ever).
//
// A wall-clock time stands for one instant, except near a clock change: in a gap (the clock
// jumps forward, 02:00 → 03:00) it stands for none, in an overlap (the clock goes back, 03:00 →
// 02:00) for two. `instantsOf` says which, and the schedule's policy (cron.ts) decides.

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const fixedOffset = /^([+-])(\d{2}):?(\d{2})$/;

/** The offset in ms of a fixed-offset zone (`+05:30` → 19,800,000), or undefined for a named zone. */
export function fixedOffsetMs(timezone: string): number | undefined {
  const match = fixedOffset.exec(timezone);
  if (!match) return undefined;
  const [, sign, hours, minutes] = match;
  if (Number(hours) > 18 || Number(minutes) > 59) return undefined;
  return (sign === "-" ? -1 : 1) * (Number(hours) * 60 + Number(minutes)) * MINUTE_MS;
}

/** Why a zone is unusable, or undefined when it is an IANA zone (or alias) or a fixed offset. */
export function zoneProblem(timezone: string): string | undefined {
  if (fixedOffset.test(timezone)) {
    return fixedOffsetMs(timezone) === undefined
      ? `offset "${timezone}" is out of range; use ±HH:MM up to ±18:00`
      : undefined;
  }
  // Intl also takes offsets written otherwise ("+2", "GMT+1": POSIX signs are reversed): refuse
  // them for clarity; only the ±HH:MM form above is an offset here.
  if (!/^[+-]\d/.test(timezone) && timezone !== "") {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: timezone });
      return undefined;
    } catch {}
  }
  return `unknown time zone "${timezone}"; use an IANA name such as "Europe/Paris", "UTC", or a fixed offset such as "+05:30"`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset at `t` read from Intl (a few microseconds). */
function intlOffsetMs(t: number, timezone: string): number {
  let format = formatters.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timezone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(t))) parts[part.type] = Number(part.value);
  const asUtc = Date.UTC(
    parts.year!,
    parts.month! - 1,
    parts.day!,
    parts.hour!,
    parts.minute!,
    parts.second!,
  );
  return asUtc - Math.floor(t / 1000) * 1000;
}

const HOUR_MS = 3_600_000;
/** Offsets at whole UTC hours, per zone: walking a schedule asks about the same hours again and again. */
const hourly = new Map<string, Map<number, number>>();

function offsetAtHour(hour: number, timezone: string): number {
  let zone = hourly.get(timezone);
  if (!zone) {
    zone = new Map();
    hourly.set(timezone, zone);
  }
  let offset = zone.get(hour);
  if (offset === undefined) {
    if (zone.size >= 100_000) zone.clear();
    offset = intlOffsetMs(hour * HOUR_MS, timezone);
    zone.set(hour, offset);
  }
  return offset;
}

/** The zone's offset from UTC at instant `t`, in ms (Paris in winter: +3,600,000). */
export function offsetMs(t: number, timezone: string): number {
  const fixed = fixedOffsetMs(timezone);
  if (fixed !== undefined) return fixed;
  // The same offset at both ends of t's hour: no change within it (zones change at most a few
  // times a year), so that is t's offset too. Otherwise ask for t itself.
  const hour = Math.floor(t / HOUR_MS);
  const offset = offsetAtHour(hour, timezone);
  return offset === offsetAtHour(hour + 1, timezone) ? offset : intlOffsetMs(t, timezone);
}

/** The wall-clock time at instant `t`, as ms of a UTC clock showing it ("naive" time). */
export const wallOf = (t: number, timezone: string) => t + offsetMs(t, timezone);

/** The offsets in force a day before and a day after `t` (the same value away from any change). */
export function offsetsAround(t: number, timezone: string): [before: number, after: number] {
  return [offsetMs(t - DAY_MS, timezone), offsetMs(t + DAY_MS, timezone)];
}

export interface WallInstants {
  /**
   * The instants showing the wall time, in order: one; two where it is repeated (the clock went
   * back); none in a gap (the clock jumped forward over it).
   */
  instants: number[];
  /** The offsets in force a day before and a day after it. */
  offsetBefore: number;
  offsetAfter: number;
}

/**
 * The instants at which a zone's clocks show wall time `wall`. Assumes at most one clock change
 * within a day of it, which holds for every zone in the tz database since the 1990s.
 */
export function instantsOf(wall: number, timezone: string): WallInstants {
  const fixed = fixedOffsetMs(timezone);
  if (fixed !== undefined) return { instants: [wall - fixed], offsetBefore: fixed, offsetAfter: fixed };
  const [before, after] = offsetsAround(wall, timezone);
  const instants = [...new Set([before, after])]
    .filter((offset) => offsetMs(wall - offset, timezone) === offset)
    .map((offset) => wall - offset)
    .sort((a, b) => a - b);
  return { instants, offsetBefore: before, offsetAfter: after };
}

/**
 * The instant a wall time stands for when it must stand for one: the first of a repeated wall
 * time; for a skipped one, the wall time read with the offset before the jump (02:30 on Paris's
 * spring day is 03:30 CEST: as far past the jump as it was into the gap).
 */
export function instantOf(wall: number, timezone: string): number {
  const { instants, offsetBefore } = instantsOf(wall, timezone);
  return instants[0] ?? wall - offsetBefore;
}
