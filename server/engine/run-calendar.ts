// The runs calendar: how many runs each day of a month holds, by state, counted by PostgreSQL
// (a month of a minutely schedule is 44,640 runs: counted there, never sent to the page).
// Days are UTC days of the logical date, as the runs page's date filters are.
import { notFound } from "@/server/errors";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { workspaceSql } from "@/server/tenancy/workspace-sql";
import type { RunTrigger } from "./run-triggers";
import type { RunState } from "./states";

export interface CalendarDay {
  /** yyyy-mm-dd (UTC). */
  day: string;
  runs: number;
  states: { state: RunState; count: number }[];
}

/** Each day of `month` (yyyy-mm) that has runs, in order, with its runs counted by state. */
export async function runCalendar(
  scope: WorkspaceScope,
  input: { month: string; dagKey?: string | undefined; triggeredBy?: RunTrigger | undefined },
): Promise<{ month: string; days: CalendarDay[] }> {
  let dagId: string | null = null;
  if (input.dagKey) {
    const dag = await scope.db.dag.findFirst({ where: { key: input.dagKey }, select: { id: true } });
    if (!dag) throw notFound("DAG");
    dagId = dag.id;
  }
  const from = new Date(`${input.month}-01T00:00:00Z`);
  const before = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
  const { rows } = await workspaceSql(scope).query<{ day: string; state: RunState; count: number }>(
    `SELECT to_char("logicalDate", 'YYYY-MM-DD') AS day, state::text AS state, count(*)::int AS count
       FROM "DagRun"
      WHERE "workspaceId" = $1 AND "logicalDate" >= $2 AND "logicalDate" < $3
        AND ($4::uuid IS NULL OR "dagId" = $4::uuid)
        AND ($5::text IS NULL OR "triggeredBy" = $5::text)
      GROUP BY 1, 2
      ORDER BY 1, 2`,
    [scope.workspace.id, from, before, dagId, input.triggeredBy ?? null],
  );
  const days = new Map<string, CalendarDay>();
  for (const row of rows) {
    const day = days.get(row.day) ?? { day: row.day, runs: 0, states: [] };
    day.runs += row.count;
    day.states.push({ state: row.state, count: row.count });
    days.set(row.day, day);
  }
  return { month: input.month, days: [...days.values()] };
}
