-- The trigger's run written once (issue 26, DagVersion reads per task): baton_trigger_run inserted
-- the run queued and its instances waiting, then, starting it, updated the run to running and its
-- roots to queued. A row updated in the transaction that inserted it has its foreign keys checked
-- again even when they did not change, so every trigger read DagVersion twice for its run (and
-- Dag and Workspace; DagRun once more per root instance) and left a dead version of the run and of
-- each root behind: 2 of the 4 DagVersion scans per 3-task run (npm run bench -- tenants measured
-- 1.35 per task; the others are the trigger's and the worker's one read of a version each).
-- Whether the run starts is now decided first, and the run and its instances are inserted in the
-- state they start in. Otherwise as 20261207203000_trigger_run_function.

CREATE OR REPLACE FUNCTION baton_trigger_run(
  workspace uuid, run_id uuid, dag uuid, version uuid, run_key text, triggered_by text, label text,
  note text, params jsonb, logical_date timestamptz, interval_start timestamptz, interval_end timestamptz,
  task_ids text[], max_tries int[], priorities float8[], pools text[], upstream int[],
  roots text[], max_active_runs int, month date,
  audit_actor text, audit_target text, audit_ip text,
  takers text[], taker_pools text[], reserve int, live_seconds int
) RETURNS SETOF baton_trigger_outcome LANGUAGE plpgsql VOLATILE
-- Planned once per session without sequential scans, as the hot path's functions: a plan made while
-- the tables were small still finds rows by index once they are large; and without JIT, which those
-- prices would otherwise trigger (20261207202619_engine_functions_without_jit).
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET jit = off AS $$
DECLARE
  gate record;
  use record;
  starts bool;
BEGIN
  -- The workspace's run gate first (run-gate.ts lockRunGate: the lock order of run starts).
  SELECT w."suspendedAt" IS NOT NULL AS suspended, w."suspendedReason", w."maxConcurrentRuns",
         w."maxTaskRunsPerMonth", w."maxTaskSecondsPerMonth",
         (SELECT count(*)::int FROM "Dag" d JOIN "DagRun" r ON r."dagId" = d.id AND r.state = 'running'
          WHERE d."workspaceId" = w.id) AS running
    INTO gate FROM "Workspace" w WHERE w.id = workspace FOR NO KEY UPDATE OF w;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'missing', NULL::text, NULL::text;
    RETURN;
  END IF;
  IF gate.suspended THEN
    RETURN QUERY SELECT 'suspended', gate."suspendedReason", NULL::text;
    RETURN;
  END IF;

  -- Whether it starts here, decided before anything is written, so that the run and its instances
  -- are written once, as they start: a row updated in the transaction that inserted it has every
  -- foreign key checked again (DagVersion, Dag, Workspace; DagRun for each root instance).
  starts := roots IS NOT NULL AND cardinality(task_ids) > 0
    AND gate.running < gate."maxConcurrentRuns"
    AND NOT coalesce((SELECT count(*) FROM "DagRun" r WHERE r."dagId" = dag AND r.state = 'running') >= max_active_runs, false)
    -- Runs queued before it go first (startQueuedRuns keeps their order and says why they wait).
    AND NOT EXISTS (SELECT 1 FROM "Dag" d JOIN "DagRun" q ON q."dagId" = d.id AND q.state = 'queued'
                    WHERE d."workspaceId" = workspace);
  IF starts THEN
    SELECT * INTO use FROM baton_monthly_use(workspace, month);
    starts := use."taskRuns" + use."reservedTaskRuns" < gate."maxTaskRunsPerMonth"
              AND use."taskSeconds" < gate."maxTaskSecondsPerMonth";
  END IF;

  INSERT INTO "DagRun" (id, "workspaceId", "dagId", "dagVersionId", "runKey", state, "triggeredBy", "triggeredByLabel",
    note, params, "logicalDate", "dataIntervalStart", "dataIntervalEnd", "queuedAt", "startedAt")
  VALUES (run_id, workspace, dag, version, run_key, CASE WHEN starts THEN 'running' ELSE 'queued' END::"RunState",
    triggered_by, label, note, params, logical_date, interval_start, interval_end, now(),
    CASE WHEN starts THEN now() END)
  ON CONFLICT ("dagId", "runKey") DO NOTHING;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'exists', NULL::text, NULL::text;
    RETURN;
  END IF;
  INSERT INTO "TaskInstance" (id, "workspaceId", "runId", "taskId", "maxTries", priority, pool, "upstreamTotal", state,
    "queuedAt")
  SELECT gen_random_uuid(), workspace, run_id, x.task_id, x.max_tries, x.priority, x.pool, x.upstream,
         CASE WHEN starts AND x.task_id = ANY(roots) THEN 'queued' ELSE 'none' END::"TaskState",
         CASE WHEN starts AND x.task_id = ANY(roots) THEN now() END
  FROM unnest(task_ids, max_tries, priorities, pools, upstream) AS x(task_id, max_tries, priority, pool, upstream);
  INSERT INTO "AuditEvent" ("workspaceId", actor, "actorLabel", action, target, metadata, ip)
  VALUES (workspace, audit_actor, label, 'run.trigger', audit_target,
    jsonb_build_object('runId', run_id, 'triggeredBy', triggered_by), audit_ip);

  IF NOT starts THEN
    RETURN QUERY SELECT 'queued', NULL::text, NULL::text;
    RETURN;
  END IF;
  RETURN QUERY SELECT 'started', NULL::text, a.wake
    FROM baton_admit(workspace, '{}', true, takers, taker_pools, reserve, live_seconds) a;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'started', NULL::text, NULL::text;
  END IF;
END
$$;
