// A check at worker start that the database vacuums the engine's tables. Every task leaves dead row
// versions behind (an instance changes state four or five times, a run two or three): without
// autovacuum, or with it too lazy, they pile up and every engine statement slows down with history.
// Some servers ship with autovacuum off; this says so in the worker's log, with what to set
// (docs/operations.md, "PostgreSQL settings").
import type pg from "pg";

/** The tables whose rows change on every task hop. */
const engineTables = ["TaskInstance", "TaskAttempt", "DagRun", "WorkspaceDispatch"];

/** What keeps autovacuum from keeping up with the engine's tables; empty when nothing does. */
export async function autovacuumProblems(pool: pg.Pool): Promise<string[]> {
  const problems: string[] = [];
  const { rows: settings } = await pool.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings
     WHERE name IN ('autovacuum', 'track_counts', 'autovacuum_naptime', 'autovacuum_vacuum_cost_delay')`,
  );
  const setting = new Map(settings.map((s) => [s.name, s.setting]));
  if (setting.get("autovacuum") !== "on") problems.push("autovacuum is off: set autovacuum = on");
  if (setting.get("track_counts") !== "on")
    problems.push("track_counts is off, so autovacuum cannot tell what to vacuum: set track_counts = on");
  if (Number(setting.get("autovacuum_naptime")) > 60)
    problems.push(`autovacuum_naptime is ${setting.get("autovacuum_naptime")} s: set it to 60 s or less`);
  if (Number(setting.get("autovacuum_vacuum_cost_delay")) > 2)
    problems.push(
      `autovacuum_vacuum_cost_delay is ${setting.get("autovacuum_vacuum_cost_delay")} ms: set it to 2 ms (the default since PostgreSQL 12) or less`,
    );
  // Table settings: autovacuum turned off for a table, or a scale factor above the migrations' 2%.
  const { rows: tables } = await pool.query<{ table: string; options: string[] }>(
    `SELECT c.relname AS table, c.reloptions AS options FROM pg_class c
     WHERE c.relname = ANY($1) AND c.relkind = 'r' AND c.relnamespace = to_regnamespace(current_schema())`,
    [engineTables],
  );
  for (const { table, options } of tables) {
    const option = new Map((options ?? []).map((o) => o.split("=") as [string, string]));
    if (option.get("autovacuum_enabled") === "false")
      problems.push(`autovacuum is off for "${table}": ALTER TABLE "${table}" RESET (autovacuum_enabled)`);
    const scale = option.get("autovacuum_vacuum_scale_factor");
    if (scale !== undefined && Number(scale) > 0.05)
      problems.push(
        `"${table}" is vacuumed only after ${Number(scale) * 100}% of it changed: ALTER TABLE "${table}" SET (autovacuum_vacuum_scale_factor = 0.02)`,
      );
  }
  return problems;
}
