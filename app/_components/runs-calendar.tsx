"use client";
// Runs per day, a month at a time: each day of the month with its runs counted by state (UTC days
// of the logical date, as the list's date filters). Picking a day lists its runs. Shown on the
// workspace's Runs page and on a DAG's page (with its dagId).
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { ChevronLeft, ChevronRight } from "lucide-react";
import { useState } from "react";
import { Button } from "@/app/_components/button";
import { useWorkspace } from "@/app/_components/shell";
import { stateLook } from "@/app/_components/state-badge";
import { useTRPC } from "@/app/_lib/trpc";
import type { RunTrigger } from "@/server/engine/run-triggers";

/** The start of a UTC day typed as yyyy-mm-dd, plus `days`. */
export const utcDay = (day: string, days = 0) => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000);

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** yyyy-mm of a date's UTC month, `shift` months on. */
const monthOf = (date: Date, shift = 0) =>
  new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + shift, 1)).toISOString().slice(0, 7);

export function RunsCalendar({
  dagId,
  triggeredBy,
  onPickDay,
}: {
  dagId: string;
  triggeredBy: RunTrigger | "";
  /** A day (yyyy-mm-dd) whose runs to list. */
  onPickDay: (day: string) => void;
}) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const [month, setMonth] = useState(() => monthOf(new Date()));
  const calendar = useQuery({
    ...trpc.runs.calendar.queryOptions({
      workspace: slug,
      month,
      ...(dagId ? { dagId } : {}),
      ...(triggeredBy ? { triggeredBy } : {}),
    }),
    placeholderData: keepPreviousData,
    // Runs move on (queued, running, done) while the month is on screen.
    refetchInterval: 10_000,
  });
  const first = new Date(`${month}-01T00:00:00Z`);
  const length = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  // Weeks start on Monday: blanks before the first.
  const blanks = (first.getUTCDay() + 6) % 7;
  const byDay = new Map(calendar.data?.month === month ? calendar.data.days.map((d) => [d.day, d]) : []);
  const title = first.toLocaleDateString("en-GB", { month: "long", year: "numeric", timeZone: "UTC" });
  return (
    <section aria-label="Runs calendar" aria-busy={calendar.isFetching} className="space-y-3">
      <div className="flex items-center gap-2">
        <Button variant="secondary" aria-label="Previous month" onClick={() => setMonth(monthOf(first, -1))}>
          <ChevronLeft className="size-4" aria-hidden />
        </Button>
        <h2 className="min-w-40 text-center text-sm font-semibold text-slate-900">{title}</h2>
        <Button variant="secondary" aria-label="Next month" onClick={() => setMonth(monthOf(first, 1))}>
          <ChevronRight className="size-4" aria-hidden />
        </Button>
        <span className="text-xs text-slate-500">Days of the logical date, UTC</span>
      </div>
      {calendar.error && (
        <p role="alert" className="text-sm text-red-700">
          Could not load the calendar: {calendar.error.message}
        </p>
      )}
      <div className="overflow-x-auto">
        <ol className="grid min-w-[36rem] grid-cols-7 gap-1">
          {WEEKDAYS.map((weekday) => (
            <li key={weekday} aria-hidden className="px-1 text-xs font-medium text-slate-500">
              {weekday}
            </li>
          ))}
          {Array.from({ length: blanks }, (_, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: blanks have nothing else to tell them apart
            <li key={`blank-${i}`} aria-hidden />
          ))}
          {Array.from({ length }, (_, i) => {
            const day = `${month}-${String(i + 1).padStart(2, "0")}`;
            const runs = byDay.get(day);
            const summary = runs
              ? runs.states.map((s) => `${s.count} ${stateLook(s.state).label.toLowerCase()}`).join(", ")
              : "no runs";
            return (
              <li key={day} aria-label={`${day}: ${summary}`}>
                <button
                  type="button"
                  disabled={!runs}
                  onClick={() => onPickDay(day)}
                  className="flex h-20 w-full flex-col items-start gap-0.5 rounded-md bg-white p-1.5 text-left ring-1 ring-slate-200 enabled:hover:ring-indigo-400 disabled:bg-slate-50"
                >
                  <span className="text-xs font-medium text-slate-700">{i + 1}</span>
                  {runs?.states.map((s) => (
                    <span key={s.state} className="flex items-center gap-1 text-[11px] text-slate-700">
                      <span aria-hidden className={`size-2 rounded-full ${stateLook(s.state).fill}`} />
                      {s.count} {stateLook(s.state).label.toLowerCase()}
                    </span>
                  ))}
                </button>
              </li>
            );
          })}
        </ol>
      </div>
    </section>
  );
}
