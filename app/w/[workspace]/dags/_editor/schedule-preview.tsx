"use client";
// The next fire times of the schedule being written, from the server's preview (the same
// timetable the scheduler uses), in the schedule's time zone and the browser's.
//
// It follows the editor's live validation rather than every keystroke: the preview is asked for
// the schedule of the last validated document, and only when validation found nothing wrong with
// its schedule and dates; otherwise validation's own words for them are shown. So typing is
// debounced once, and a half-typed cron never reaches the preview as a failing request.
import { keepPreviousData, skipToken, useQuery } from "@tanstack/react-query";
import { useWorkspace } from "@/app/_components/shell";
import { useTRPC } from "@/app/_lib/trpc";
import type { Schedule } from "@/server/dags/definition";
import { formatInZone } from "../_components/zoned-time";
import type { Validation } from "./use-validation";

const COUNT = 5;
/** Document fields the preview depends on. */
const scheduleFields = new Set(["schedule", "startDate", "endDate"]);

const asText = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);

export function SchedulePreview({
  schedule,
  validation,
}: {
  /** The schedule being edited now (the preview hides without one). */
  schedule: unknown;
  validation: Validation | null;
}) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const checked = validation?.document;
  const problems = (validation?.problems ?? []).filter((p) => scheduleFields.has(p.path.split(/[.[]/)[0]!));
  const ask =
    checked?.schedule && problems.length === 0
      ? {
          workspace: slug,
          schedule: checked.schedule as Schedule,
          ...(asText(checked.startDate) ? { startDate: asText(checked.startDate) } : {}),
          ...(asText(checked.endDate) ? { endDate: asText(checked.endDate) } : {}),
          count: COUNT,
        }
      : undefined;
  const preview = useQuery({
    ...trpc.schedules.preview.queryOptions(ask ?? skipToken),
    placeholderData: keepPreviousData,
  });
  if (!schedule) return null;
  const problem =
    problems.length > 0
      ? problems.map((p) => `${p.path}: ${p.message}`).join("; ")
      : preview.error
        ? (preview.error.message ?? "Could not preview the schedule")
        : undefined;
  const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  return (
    <section
      aria-label="Next runs"
      aria-busy={preview.isFetching || checked?.schedule !== schedule}
      className="space-y-1.5"
    >
      <h3 className="text-sm font-medium text-slate-800">Next {COUNT} runs: start times</h3>
      {problem ? (
        <p role="alert" className="text-sm text-red-700">
          {problem}
        </p>
      ) : !preview.data ? (
        <p role="status" className="text-xs text-slate-500">
          Working out the next runs…
        </p>
      ) : preview.data.runs.length === 0 ? (
        <p className="text-xs text-slate-600">No runs: the schedule ends before the next fire time.</p>
      ) : (
        <>
          <ol className="space-y-1 text-xs text-slate-700">
            {preview.data.runs.map((run) => (
              <li key={run.runAt.toISOString()} className="rounded bg-slate-50 px-2 py-1">
                <span className="text-slate-500">Starts </span>
                <time dateTime={run.runAt.toISOString()} className="font-medium text-slate-900">
                  {formatInZone(run.runAt, preview.data.timezone)}
                </time>{" "}
                <span className="text-slate-500">{preview.data.timezone}</span>
                {localZone !== preview.data.timezone && (
                  <span className="block text-slate-500">
                    {formatInZone(run.runAt)} your time ({localZone})
                  </span>
                )}
                <span className="block text-slate-500">
                  Logical date{" "}
                  <time dateTime={run.logicalDate.toISOString()}>
                    {formatInZone(run.logicalDate, preview.data.timezone)}
                  </time>
                </span>
              </li>
            ))}
          </ol>
          <p className="text-xs text-slate-500">
            Each time is when the run starts, at the end of its data interval; its logical date (the date its
            data is for, shown in the run list) is the interval’s start.
          </p>
        </>
      )}
    </section>
  );
}
