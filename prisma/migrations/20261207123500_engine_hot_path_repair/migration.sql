-- Repair of 20261122063000_engine_hot_path, which was edited four times after databases had
-- applied it (the outcome type gained "runId", baton_claim arrived, baton_finish_attempts changed
-- its signature, the functions gained their planner settings). A database migrated in between
-- kept the older functions, and server/db/migrate.ts skips an applied migration. This migration
-- brings every database to the final definitions: it drops whichever versions of the functions
-- and of their row type exist (signatures differed, and CREATE OR REPLACE cannot change a
-- signature or a return type) and creates them again, exactly as the final version of
-- 20261122063000_engine_hot_path does. Its indexes and table settings never changed.
-- prisma/migrations/checksums.json lists the earlier checksums this repair accepts.
DO $$
DECLARE f regprocedure;
BEGIN
  FOR f IN
    SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = current_schema() AND p.proname IN ('baton_record_outcomes', 'baton_claim', 'baton_finish_attempts')
  LOOP
    EXECUTE 'DROP FUNCTION ' || f;
  END LOOP;
END
$$;
DROP TYPE IF EXISTS baton_outcome;

-- Recording attempts' outcomes (server/engine/complete.ts), in the database so that the common
-- completion costs one round trip. baton_record_outcomes is the guarded state change, the
-- attempts' records and the ends of their logs, for a batch of attempts (parallel arrays); an
-- instance no longer running that try is left alone and missing from the answer.
CREATE TYPE baton_outcome AS (id uuid, "workspaceId" uuid, "runId" uuid, "mapIndex" int, pool text, seconds float8);

CREATE OR REPLACE FUNCTION baton_record_outcomes(
  ids uuid[], workspace_ids uuid[], tries int[], states "TaskState"[], outputs jsonb[], errors text[],
  defer_states jsonb[], terminals bool[], attempt_ids uuid[], attempt_states text[], log_texts text[],
  log_bytes int[]
) RETURNS SETOF baton_outcome LANGUAGE plpgsql VOLATILE
-- Planned once per session: PL/pgSQL keeps the statement's plan (as a SQL function planning took
-- twice as long as running). Without sequential scans, so that a plan made while the tables were
-- small still finds the rows by id once they are large.
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
BEGIN
  RETURN QUERY WITH x AS (
    SELECT * FROM unnest(ids, workspace_ids, tries, states, outputs, errors, defer_states, terminals,
                         attempt_ids, attempt_states, log_texts, log_bytes)
      AS x(id, workspace_id, try, state, output, error, defer_state, terminal, attempt_id, attempt_state,
           log_text, log_bytes)),
  ti AS (
    UPDATE "TaskInstance" t SET state = x.state, output = x.output, error = x.error, "deferState" = x.defer_state,
      "endedAt" = CASE WHEN x.terminal THEN now() END
    -- State compared as text: no index on state may serve this, the rows are found by id.
    FROM x WHERE t.id = x.id AND t."workspaceId" = x.workspace_id AND t."tryNumber" = x.try
      AND t.state::text = 'running'
    RETURNING t.id, t."workspaceId", t."runId", t."mapIndex", t.pool),
  attempt AS (
    UPDATE "TaskAttempt" a SET state = x.attempt_state, "endedAt" = now(), error = x.error,
      "logBytes" = a."logBytes" + coalesce(x.log_bytes, 0)
    FROM x JOIN ti ON ti.id = x.id WHERE a.id = x.attempt_id
    RETURNING a."taskInstanceId" AS id, extract(epoch FROM now() - a."startedAt")::float8 AS seconds),
  log AS (
    INSERT INTO "TaskLog" ("workspaceId", "attemptId", text)
    SELECT x.workspace_id, x.attempt_id, x.log_text FROM x JOIN ti ON ti.id = x.id WHERE x.log_text IS NOT NULL)
  SELECT ti.id, ti."workspaceId", ti."runId", ti."mapIndex", ti.pool, attempt.seconds FROM ti LEFT JOIN attempt USING (id);
END
$$;

-- Claiming (server/engine/claim.ts): scheduled instances become running and their attempts open,
-- for the worker slots asking (parallel arrays). An instance no longer scheduled (cancelled, or a
-- duplicate delivery of a job already handled) is left alone and missing from the answer.
CREATE OR REPLACE FUNCTION baton_claim(ids uuid[], workspace_ids uuid[], worker_ids text[])
RETURNS TABLE (
  id uuid, "workspaceId" uuid, "runId" uuid, "taskId" text, "mapIndex" int, "mapItem" jsonb, "tryNumber" int,
  "maxTries" int, pool text, "deferState" jsonb, "attemptId" uuid, "workerId" text, "dagId" uuid,
  "dagVersionId" uuid, params jsonb, "logicalDate" timestamp(3), "dataIntervalStart" timestamp(3),
  "dataIntervalEnd" timestamp(3), "maxOutputBytes" int, "maxLogBytesPerAttempt" int
) LANGUAGE plpgsql VOLATILE
-- Planned once per session, without sequential scans (as baton_record_outcomes).
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY WITH x AS (
    SELECT * FROM unnest(ids, workspace_ids, worker_ids) AS x(id, workspace_id, worker_id)),
  ti AS (
    UPDATE "TaskInstance" t SET state = 'running',
      "tryNumber" = CASE WHEN t."deferState" IS NULL THEN t."tryNumber" + 1 ELSE t."tryNumber" END,
      "startedAt" = coalesce(t."startedAt", now())
    -- State compared as text: no index on state may serve this, the rows are found by id.
    FROM x WHERE t.id = x.id AND t."workspaceId" = x.workspace_id AND t.state::text = 'scheduled'
    RETURNING t.id, t."workspaceId", t."runId", t."taskId", t."mapIndex", t."mapItem", t."tryNumber",
              t."maxTries", t.pool, t."deferState", x.worker_id),
  attempt AS (
    INSERT INTO "TaskAttempt" (id, "workspaceId", "taskInstanceId", number, state, "workerId")
    SELECT gen_random_uuid(), ti."workspaceId", ti.id, ti."tryNumber", 'running', ti.worker_id FROM ti
    ON CONFLICT ("taskInstanceId", number)
      DO UPDATE SET state = 'running', "heartbeatAt" = now(), "workerId" = EXCLUDED."workerId"
    RETURNING "TaskAttempt".id, "TaskAttempt"."taskInstanceId")
  SELECT ti.id, ti."workspaceId", ti."runId", ti."taskId", ti."mapIndex", ti."mapItem", ti."tryNumber",
         ti."maxTries", ti.pool, ti."deferState", attempt.id, ti.worker_id, r."dagId", r."dagVersionId", r.params,
         r."logicalDate", r."dataIntervalStart", r."dataIntervalEnd", w."maxOutputBytes", w."maxLogBytesPerAttempt"
  FROM ti JOIN attempt ON attempt."taskInstanceId" = ti.id
  JOIN "DagRun" r ON r.id = ti."runId" JOIN "Workspace" w ON w.id = ti."workspaceId";
END
$$;

-- The same, for attempts whose instances end without anything downstream to advance, and giving
-- their slots back, all in one call. Giving back follows server/engine/dispatch.ts: each
-- workspace's dispatch row FOR SHARE, then a new look (a new statement, so a new snapshot) that
-- nothing is queued. When something is queued, an admission is due, which takes a transaction of
-- its own: the call then fails with SQLSTATE BA001 having changed nothing, and the caller
-- completes these attempts the long way.
--
-- Then the slots that finished (`takers`: a worker id, or null for a caller that will not run
-- more) take their next task without the job queue's round trips: while the first available job
-- of graphile-worker's queue, in its own order (priority, run_at, id), is a run-task job of the
-- same workspace, exactly the job graphile-worker would hand such a slot next, the call deletes it
-- and claims its instance. Any other job first in line (another workspace's, another kind) stops
-- it, so the queue's order, and with it fairness between workspaces, holds. This reads
-- graphile-worker's private jobs table (version 0.18.0, pinned exactly in package.json).
--
-- Answers one row per recorded outcome (`outcome`), then one per task taken (`taken`, a claimed
-- attempt, with the worker id that took it), both as JSON since their shapes differ.
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

  SELECT t.id INTO run_task FROM graphile_worker._private_tasks t WHERE t.identifier = 'engine:run-task';
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
      EXIT WHEN job.task_id IS DISTINCT FROM run_task OR job.payload->>'w' IS DISTINCT FROM workspace::text;
      DELETE FROM graphile_worker._private_jobs j WHERE j.id = job.id;
      next_tasks := next_tasks || (job.payload->>'ti')::uuid;
    END LOOP;
    IF cardinality(next_tasks) > 0 THEN
      RETURN QUERY SELECT NULL::jsonb, to_jsonb(c)
      FROM baton_claim(next_tasks, array_fill(workspace, ARRAY[cardinality(next_tasks)]),
                       wanted[1:cardinality(next_tasks)]) c;
    END IF;
  END LOOP;
END
$$;
