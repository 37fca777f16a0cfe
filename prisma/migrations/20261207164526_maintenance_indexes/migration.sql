-- Maintenance that stays cheap whatever the history (issue 26). Every worker runs the reaper and
-- repairRuns (server/engine/reaper.ts) every ~10 s; they, the run gate's count of running runs and
-- the start of queued runs look for runs by state, which only the ("dagId", state) index answered:
-- its size grows with every run ever kept (~2 ms at 500k runs), and with stale statistics the
-- planner walked finished work instead. Partial indexes hold only live runs, as the task instance
-- indexes of 20261122063000_engine_hot_path do: a run writes an entry when it starts running and
-- none once it has ended.

-- Running runs by DAG: the counts against maxActiveRuns and maxConcurrentRuns, and repair's runs
-- left running (by start time, carried in the index).
CREATE INDEX "DagRun_running_idx" ON "DagRun" ("dagId") INCLUDE ("startedAt") WHERE state = 'running';

-- Queued runs by age: repair's look for workspaces whose start-runs job was lost.
CREATE INDEX "DagRun_queued_idx" ON "DagRun" ("queuedAt") WHERE state = 'queued';

-- A run changes state two or three times (queued, running, ended), leaving dead row versions:
-- vacuum and analyze after 2% of the table changed rather than the default 20%, as TaskInstance.
ALTER TABLE "DagRun" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE "TaskAttempt" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
