-- A trigger in one round trip (issue 26.2). triggerRun used to spend some twenty statements on a
-- run (the run gate, the run, its instances, the start, the roots, admission, the audit event),
-- each a round trip that costs milliseconds on a loaded machine: 25-85 ms a trigger. The run's
-- creation is now one call, in one statement's transaction: the run, every instance and the audit
-- event commit together or not at all, and when the run may plainly start (nothing else of the
-- workspace queued, under maxConcurrentRuns, its DAG under maxActiveRuns, the monthly quotas not
-- used up) it starts in the same call, its roots queued and admitted. Otherwise it stays queued and
-- the caller starts it the general way (advance.ts startQueuedRuns: reasons, refusals, order).

-- The month's use of the monthly quotas as admission sees it (server/engine/run-gate.ts
-- monthlyUse): flushed usage since `month`, and the task runs reserved by running runs, counted as
-- their unfinished top-level instances (one per task of the version: the same figure as the
-- version's task count less the finished ones, without reading any version's definition).
CREATE FUNCTION baton_monthly_use(workspace uuid, month date)
RETURNS TABLE ("taskRuns" int, "taskSeconds" float8, "reservedTaskRuns" int) LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT sum("taskRuns") FROM "UsageDay" WHERE "workspaceId" = workspace AND day >= month), 0)::int,
         coalesce((SELECT sum("taskSeconds") FROM "UsageDay" WHERE "workspaceId" = workspace AND day >= month), 0)::float8,
         (SELECT count(*) FROM "Dag" d
            JOIN "DagRun" r ON r."dagId" = d.id AND r.state = 'running'
            JOIN "TaskInstance" t ON t."runId" = r.id AND t."mapIndex" = -1
              AND t.state IN ('none', 'queued', 'scheduled', 'running', 'deferred', 'up_for_retry')
          WHERE d."workspaceId" = workspace)::int
$$;

CREATE TYPE baton_trigger_outcome AS (
  -- 'started', 'queued' (the caller starts it the general way), 'exists' (the run key was used),
  -- 'suspended', 'missing' (no such workspace)
  outcome text,
  "suspendedReason" text,
  wake text
);

-- The run `run_id` of version `version_id` with one instance per task (parallel arrays, from the
-- compiled version), and its audit event. `roots`: the tasks to queue when it starts here; null
-- when its start needs more than that (deadlines to arm, a timeout, mapped roots) and is left to
-- the caller. The last four parameters are admission's (baton_admit).
CREATE FUNCTION baton_trigger_run(
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

  INSERT INTO "DagRun" (id, "workspaceId", "dagId", "dagVersionId", "runKey", state, "triggeredBy", "triggeredByLabel",
    note, params, "logicalDate", "dataIntervalStart", "dataIntervalEnd", "queuedAt")
  VALUES (run_id, workspace, dag, version, run_key, 'queued', triggered_by, label, note, params, logical_date,
    interval_start, interval_end, now())
  ON CONFLICT ("dagId", "runKey") DO NOTHING;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'exists', NULL::text, NULL::text;
    RETURN;
  END IF;
  INSERT INTO "TaskInstance" (id, "workspaceId", "runId", "taskId", "maxTries", priority, pool, "upstreamTotal")
  SELECT gen_random_uuid(), workspace, run_id, x.task_id, x.max_tries, x.priority, x.pool, x.upstream
  FROM unnest(task_ids, max_tries, priorities, pools, upstream) AS x(task_id, max_tries, priority, pool, upstream);
  INSERT INTO "AuditEvent" ("workspaceId", actor, "actorLabel", action, target, metadata, ip)
  VALUES (workspace, audit_actor, label, 'run.trigger', audit_target,
    jsonb_build_object('runId', run_id, 'triggeredBy', triggered_by), audit_ip);

  IF roots IS NULL OR cardinality(task_ids) = 0
     OR gate.running >= gate."maxConcurrentRuns"
     OR (SELECT count(*) FROM "DagRun" r WHERE r."dagId" = dag AND r.state = 'running') >= max_active_runs
     -- Runs queued before it go first (startQueuedRuns keeps their order and says why they wait).
     OR EXISTS (SELECT 1 FROM "Dag" d JOIN "DagRun" q ON q."dagId" = d.id AND q.state = 'queued'
                WHERE d."workspaceId" = workspace AND q.id <> run_id) THEN
    RETURN QUERY SELECT 'queued', NULL::text, NULL::text;
    RETURN;
  END IF;
  SELECT * INTO use FROM baton_monthly_use(workspace, month);
  IF use."taskRuns" + use."reservedTaskRuns" >= gate."maxTaskRunsPerMonth"
     OR use."taskSeconds" >= gate."maxTaskSecondsPerMonth" THEN
    RETURN QUERY SELECT 'queued', NULL::text, NULL::text;
    RETURN;
  END IF;

  UPDATE "DagRun" SET state = 'running', "startedAt" = now() WHERE id = run_id;
  UPDATE "TaskInstance" SET state = 'queued', "queuedAt" = now()
  WHERE "runId" = run_id AND "workspaceId" = workspace AND "taskId" = ANY(roots) AND "mapIndex" = -1;
  RETURN QUERY SELECT 'started', NULL::text, a.wake
    FROM baton_admit(workspace, '{}', true, takers, taker_pools, reserve, live_seconds) a;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'started', NULL::text, NULL::text;
  END IF;
END
$$;
