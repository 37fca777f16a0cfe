-- One database call per chain hop (issue 24, point 1). A completion whose downstream tasks are
-- plain (top-level, not mapped, trigger rule all_success, no start_within SLA: server/engine/
-- complete.ts decides) used to be a transaction of six round trips: BEGIN, baton_record_outcomes,
-- the downstream counters (advance.ts propagate), the ready update (makeReady), baton_admit,
-- COMMIT. baton_complete_attempts does all of it in one call, in one statement's transaction:
-- it records the outcomes (baton_record_outcomes), adds one success per edge to the downstream
-- instances' counters and queues those whose upstream tasks all succeeded, then per workspace, in
-- id order, gives the slots back and admits (baton_admit, which hands what it admits to the
-- finishing slots, `takers`: the successor runs on the same worker slot without the job queue),
-- and lets a slot that got nothing take its next job from the queue as baton_finish_attempts did
-- (migration 20261207150000_fair_share explains that part).
--
-- `edge_from` / `edge_to`: one pair per edge to advance, the finished instance's id and the
-- downstream task's id (in the same run); only edges of outcomes recorded here count, and only a
-- success may be given (a failure or skip needs the trigger rules, in TypeScript). Locks follow
-- advance.ts: the finished instances, then the downstream instances in (run, task id) order, then
-- the workspace's dispatch row.
CREATE OR REPLACE FUNCTION baton_complete_attempts(
  ids uuid[], workspace_ids uuid[], tries int[], states "TaskState"[], outputs jsonb[], errors text[],
  defer_states jsonb[], terminals bool[], attempt_ids uuid[], attempt_states text[], log_texts text[],
  log_bytes int[], edge_from uuid[], edge_to text[], takers text[], taker_pools text[], reserve int,
  live_seconds int
) RETURNS TABLE (outcome jsonb, taken jsonb, wake text) LANGUAGE plpgsql VOLATILE
-- Planned once per session, without sequential scans, without JIT (as the other engine functions).
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET jit = off AS $$
DECLARE
  recorded baton_outcome[];
  down_ids uuid[];
  down_n int[];
  down_ready bool[];
  queued_in uuid[] := '{}';
  workspace uuid;
  wanted text[];
  got int;
  admitted record;
  run_tasks int[];
  other_pools int[];
  job record;
  next_tasks uuid[];
BEGIN
  SELECT coalesce(array_agg(o), '{}') INTO recorded
  FROM baton_record_outcomes(ids, workspace_ids, tries, states, outputs, errors, defer_states, terminals,
                             attempt_ids, attempt_states, log_texts, log_bytes) o;
  RETURN QUERY SELECT to_jsonb(o), NULL::jsonb, NULL::text FROM unnest(recorded) o;

  IF cardinality(edge_from) > 0 THEN
    -- The downstream instances, locked in (run, task id) order, with what the successes make of them.
    SELECT array_agg(d.id ORDER BY d.run_id, d.task_id), array_agg(d.n ORDER BY d.run_id, d.task_id),
           array_agg(d.ready ORDER BY d.run_id, d.task_id)
      INTO down_ids, down_n, down_ready
    FROM (
      SELECT t.id, t."runId" AS run_id, t."taskId" AS task_id, x.n,
             t.state::text = 'none' AND t."upstreamSuccess" + x.n >= t."upstreamTotal" AS ready
      FROM (SELECT o."runId" AS run_id, o."workspaceId" AS workspace_id, e.task_id, count(*)::int AS n
            FROM unnest(edge_from, edge_to) AS e(from_id, task_id)
            JOIN unnest(recorded) o ON o.id = e.from_id
            GROUP BY 1, 2, 3) x
      JOIN "TaskInstance" t ON t."runId" = x.run_id AND t."workspaceId" = x.workspace_id
        AND t."taskId" = x.task_id AND t."mapIndex" = -1
      ORDER BY t."runId", t."taskId"
      FOR UPDATE OF t) d;
    IF down_ids IS NOT NULL THEN
      UPDATE "TaskInstance" t SET
        "upstreamDone" = t."upstreamDone" + x.n, "upstreamSuccess" = t."upstreamSuccess" + x.n,
        state = CASE WHEN x.ready THEN 'queued'::"TaskState" ELSE t.state END,
        "queuedAt" = CASE WHEN x.ready THEN now() ELSE t."queuedAt" END
      FROM unnest(down_ids, down_n, down_ready) AS x(id, n, ready)
      WHERE t.id = x.id;
      SELECT coalesce(array_agg(DISTINCT t."workspaceId"), '{}') INTO queued_in
      FROM unnest(down_ids, down_ready) AS x(id, ready) JOIN "TaskInstance" t ON t.id = x.id
      WHERE x.ready;
    END IF;
  END IF;

  -- The task instances' jobs of the pools the slots serve, and of the pools they do not (never
  -- in their queue).
  SELECT coalesce(array_agg(t.id) FILTER (WHERE t.identifier = ANY(ARRAY(SELECT 'engine:run-task@' || p FROM unnest(taker_pools) p))), '{}'),
         coalesce(array_agg(t.id) FILTER (WHERE NOT t.identifier = ANY(ARRAY(SELECT 'engine:run-task@' || p FROM unnest(taker_pools) p))), '{}')
    INTO run_tasks, other_pools
  FROM graphile_worker._private_tasks t WHERE t.identifier LIKE 'engine:run-task@%';

  FOR workspace, wanted IN
    SELECT o."workspaceId", coalesce(array_agg(x.taker ORDER BY x.n) FILTER (WHERE x.taker IS NOT NULL), '{}')
    FROM unnest(recorded) o JOIN unnest(ids, takers) WITH ORDINALITY AS x(id, taker, n) ON x.id = o.id
    GROUP BY o."workspaceId" ORDER BY 1
  LOOP
    got := 0;
    FOR admitted IN
      SELECT * FROM baton_admit(workspace, ARRAY(SELECT o.pool FROM unnest(recorded) o WHERE o."workspaceId" = workspace),
                                workspace = ANY(queued_in), wanted, taker_pools, reserve, live_seconds)
    LOOP
      IF admitted.claimed IS NOT NULL THEN
        got := got + 1;
      END IF;
      outcome := NULL;
      taken := admitted.claimed;
      wake := admitted.wake;
      RETURN NEXT;
    END LOOP;
    CONTINUE WHEN got >= cardinality(wanted);
    next_tasks := '{}';
    FOR job IN
      SELECT j.id, j.task_id, j.payload FROM graphile_worker._private_jobs j
      WHERE j.is_available AND j.job_queue_id IS NULL AND j.run_at <= now() AND NOT j.task_id = ANY(other_pools)
      ORDER BY j.priority, j.run_at, j.id
      LIMIT cardinality(wanted) - got FOR UPDATE SKIP LOCKED
    LOOP
      EXIT WHEN NOT job.task_id = ANY(run_tasks) OR job.payload->>'workspaceId' IS DISTINCT FROM workspace::text;
      DELETE FROM graphile_worker._private_jobs j WHERE j.id = job.id;
      next_tasks := next_tasks || (job.payload->>'taskInstanceId')::uuid;
    END LOOP;
    IF cardinality(next_tasks) > 0 THEN
      RETURN QUERY SELECT NULL::jsonb, to_jsonb(c), NULL::text
      FROM baton_claim(next_tasks, array_fill(workspace, ARRAY[cardinality(next_tasks)]),
                       wanted[got + 1:got + cardinality(next_tasks)]) c;
    END IF;
  END LOOP;
END
$$;

-- The finishing call for completions with nothing downstream, as before: now the same call with
-- no edges. Kept under its name and signature for workers of the previous version still running
-- during an upgrade.
CREATE OR REPLACE FUNCTION baton_finish_attempts(
  ids uuid[], workspace_ids uuid[], tries int[], states "TaskState"[], outputs jsonb[], errors text[],
  defer_states jsonb[], terminals bool[], attempt_ids uuid[], attempt_states text[], log_texts text[],
  log_bytes int[], takers text[], taker_pools text[], reserve int, live_seconds int
) RETURNS TABLE (outcome jsonb, taken jsonb, wake text) LANGUAGE sql VOLATILE
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET jit = off AS $$
  SELECT * FROM baton_complete_attempts(ids, workspace_ids, tries, states, outputs, errors, defer_states,
    terminals, attempt_ids, attempt_states, log_texts, log_bytes, '{}', '{}', takers, taker_pools, reserve,
    live_seconds)
$$;
