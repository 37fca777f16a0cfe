// How a DAG is scheduled, in words.
import type { Schedule } from "@/server/dags/definition";

export function describeSchedule(schedule: Schedule | null | undefined): string {
  if (!schedule) return "Manual only";
  if (schedule.type === "cron")
    return `${schedule.cron}${schedule.timezone !== "UTC" ? ` (${schedule.timezone})` : " UTC"}`;
  return `Every ${schedule.every}`;
}

/** The time zone a schedule fires in (intervals count in UTC). */
export function scheduleTimezone(schedule: Schedule | null | undefined): string {
  return schedule?.type === "cron" ? (schedule.timezone ?? "UTC") : "UTC";
}
