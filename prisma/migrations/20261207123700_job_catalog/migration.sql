-- The job catalog (server/jobs/catalog.ts): payloads with readable field names, and the task
-- instances' jobs named after their worker pool (`engine:run-task@<pool>`; every pool is `shared`
-- so far). Jobs already queued are rewritten to the new names here, so a worker of this version
-- never meets a payload of the old shape (graphile-worker's schema exists only once a worker has
-- migrated it: on a fresh database there is nothing to rewrite).
DO $$
DECLARE
  run_task int;
BEGIN
  IF to_regclass('graphile_worker._private_jobs') IS NULL THEN
    RETURN;
  END IF;
  INSERT INTO graphile_worker._private_tasks (identifier) VALUES ('engine:run-task@shared')
    ON CONFLICT (identifier) DO NOTHING;
  SELECT id INTO run_task FROM graphile_worker._private_tasks WHERE identifier = 'engine:run-task@shared';
  UPDATE graphile_worker._private_jobs j
  SET task_id = run_task,
      payload = json_build_object('taskInstanceId', j.payload->>'ti', 'workspaceId', j.payload->>'w')
  FROM graphile_worker._private_tasks t
  WHERE t.id = j.task_id AND t.identifier = 'engine:run-task';
  UPDATE graphile_worker._private_jobs j
  SET payload = CASE t.identifier
      WHEN 'engine:requeue-task' THEN json_build_object(
        'taskInstanceId', j.payload->>'ti', 'workspaceId', j.payload->>'w', 'tryNumber', (j.payload->>'n')::int)
      WHEN 'engine:timeout-run' THEN json_build_object('runId', j.payload->>'run', 'workspaceId', j.payload->>'w')
      WHEN 'engine:start-runs' THEN json_build_object('workspaceId', j.payload->>'w')
      WHEN 'engine:run-callbacks' THEN (jsonb_build_object(
        'runId', j.payload->>'run', 'workspaceId', j.payload->>'w', 'state', j.payload->>'state',
        'round', coalesce((j.payload->>'round')::int, 0))
        || CASE WHEN j.payload->'only' IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('only', (j.payload->'only')::jsonb) END)::json
      WHEN 'schedule:create-runs' THEN json_build_object(
        'workspaceId', j.payload->>'w', 'dagId', j.payload->>'dag', 'ticks', j.payload->'ticks')
      WHEN 'backfill:step' THEN json_build_object('workspaceId', j.payload->>'w', 'backfillId', j.payload->>'id')
      WHEN 'triggers:dag-outcome' THEN json_build_object(
        'runId', j.payload->>'run', 'workspaceId', j.payload->>'w', 'state', j.payload->>'state')
    END
  FROM graphile_worker._private_tasks t
  WHERE t.id = j.task_id AND j.payload->>'w' IS NOT NULL
    AND t.identifier IN ('engine:requeue-task', 'engine:timeout-run', 'engine:start-runs', 'engine:run-callbacks',
                         'schedule:create-runs', 'backfill:step', 'triggers:dag-outcome');
END
$$;

-- The finishing call (migration 20261122063000_engine_hot_path) reads the new names: a slot takes
-- its next task from the `engine:run-task@shared` jobs, payload fields `taskInstanceId` and
-- `workspaceId`. Otherwise unchanged.
CREATE OR REPLACE FUNCTION baton_finish_attempts(
  ids uuid[], workspace_ids uuid[], tries int[], states "TaskState"[], outputs jsonb[], errors text[],
  defer_states jsonb[], terminals bool[], attempt_ids uuid[], attempt_states text[], log_texts text[],
  log_bytes int[], takers text[]
) RETURNS TABLE (outcome jsonb, taken jsonb) LANGUAGE plpgsql VOLATILE
-- Planned once per session (re-planning the statements inside took as long as running them),
-- without sequential scans (as baton_record_outcomes).
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
DECLARE
  recorded baton_outcome[];
  workspace uuid;
  wanted text[];
  run_task int;
  job record;
  next_tasks uuid[];
BEGIN
  SELECT coalesce(array_agg(o), '{}') INTO recorded
  FROM baton_record_outcomes(ids, workspace_ids, tries, states, outputs, errors, defer_states, terminals,
                             attempt_ids, attempt_states, log_texts, log_bytes) o;
  FOR workspace IN SELECT DISTINCT o."workspaceId" FROM unnest(recorded) o ORDER BY 1 LOOP
    PERFORM 1 FROM "WorkspaceDispatch" d WHERE d."workspaceId" = workspace
      AND NOT EXISTS (SELECT 1 FROM "TaskInstance" t WHERE t."workspaceId" = workspace AND t.state = 'queued')
      FOR SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'work is queued in workspace %: admit it in a transaction', workspace USING ERRCODE = 'BA001';
    END IF;
    UPDATE "Pool" p SET admitted = GREATEST(p.admitted - x.n, 0)
    FROM (SELECT o.pool AS name, count(*)::int AS n FROM unnest(recorded) o
          WHERE o."workspaceId" = workspace GROUP BY o.pool) x
    WHERE p."workspaceId" = workspace AND p.name = x.name;
    IF EXISTS (SELECT 1 FROM "TaskInstance" t WHERE t."workspaceId" = workspace AND t.state = 'queued') THEN
      RAISE EXCEPTION 'work is queued in workspace %: admit it in a transaction', workspace USING ERRCODE = 'BA001';
    END IF;
  END LOOP;
  RETURN QUERY SELECT to_jsonb(o), NULL::jsonb FROM unnest(recorded) o;

  SELECT t.id INTO run_task FROM graphile_worker._private_tasks t WHERE t.identifier = 'engine:run-task@shared';
  FOR workspace, wanted IN
    SELECT o."workspaceId", array_agg(x.taker ORDER BY x.n)
    FROM unnest(recorded) o JOIN unnest(ids, takers) WITH ORDINALITY AS x(id, taker, n) ON x.id = o.id
    WHERE x.taker IS NOT NULL GROUP BY o."workspaceId" ORDER BY 1
  LOOP
    next_tasks := '{}';
    FOR job IN
      SELECT j.id, j.task_id, j.payload FROM graphile_worker._private_jobs j
      WHERE j.is_available AND j.job_queue_id IS NULL AND j.run_at <= now()
      ORDER BY j.priority, j.run_at, j.id
      LIMIT cardinality(wanted) FOR UPDATE SKIP LOCKED
    LOOP
      EXIT WHEN job.task_id IS DISTINCT FROM run_task OR job.payload->>'workspaceId' IS DISTINCT FROM workspace::text;
      DELETE FROM graphile_worker._private_jobs j WHERE j.id = job.id;
      next_tasks := next_tasks || (job.payload->>'taskInstanceId')::uuid;
    END LOOP;
    IF cardinality(next_tasks) > 0 THEN
      RETURN QUERY SELECT NULL::jsonb, to_jsonb(c)
      FROM baton_claim(next_tasks, array_fill(workspace, ARRAY[cardinality(next_tasks)]),
                       wanted[1:cardinality(next_tasks)]) c;
    END IF;
  END LOOP;
END
$$;
