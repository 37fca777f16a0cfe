// Wall-clock times in a schedule's time zone, which is often not the browser's: logical dates are
// typed and shown in the zone the schedule fires in.

const partsFormat = new Map<string, Intl.DateTimeFormat>();

function wallParts(instant: number, zone: string) {
  let format = partsFormat.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    partsFormat.set(zone, format);
  }
  const parts = format.formatToParts(new Date(instant));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return {
    year: get("year"),
    month: get("month"),
    day: get("day"),
    hour: get("hour"),
    minute: get("minute"),
    second: get("second"),
  };
}

/** How far the zone's clock is ahead of UTC at an instant, in ms. */
function offsetAt(instant: number, zone: string): number {
  const p = wallParts(instant, zone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a wall-clock time (`2025-01-31T06:00`, as a datetime-local input gives it) names in
 * `zone`. The offset is taken twice so that a time near a daylight-saving change uses the offset
 * in force at that time; a time in a skipped hour lands just after the gap.
 */
export function zonedWallTime(wall: string, zone: string): Date {
  const [date = "", time = "00:00"] = wall.split("T");
  const [year = 0, month = 1, day = 1] = date.split("-").map(Number);
  const [hour = 0, minute = 0] = time.split(":").map(Number);
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  const first = guess - offsetAt(guess, zone);
  return new Date(guess - offsetAt(first, zone));
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Midnight `daysAgo` days before today in `zone`, as a datetime-local value. */
export function zonedMidnightValue(zone: string, daysAgo: number, now = Date.now()): string {
  const today = wallParts(now, zone);
  const day = new Date(Date.UTC(today.year, today.month - 1, today.day - daysAgo));
  return `${day.getUTCFullYear()}-${pad(day.getUTCMonth() + 1)}-${pad(day.getUTCDate())}T00:00`;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** An instant as people read it in `zone` (the browser's when none is given). */
export function formatInZone(value: Date, zone?: string): string {
  const key = zone ?? "";
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(undefined, {
      dateStyle: "medium",
      timeStyle: "short",
      ...(zone ? { timeZone: zone } : {}),
    });
    formats.set(key, format);
  }
  return format.format(value);
}
