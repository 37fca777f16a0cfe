-- Fair hand-offs in a burst (issue 26.4). A slot that finished a run's task was handed that run's
-- next task at once (baton_admit's `takers`), ahead of the first tasks of workspaces waiting for
-- the pool: with N workspaces each triggering a 3-task chain together, a workspace's chain ran
-- through before later workspaces started, and the start p99 of a run was about twice N divided by
-- tasks/s (npm run bench -- tenants, 20:48 UTC run in docs/benchmarks.md).
--
-- Now a workspace waits behind any workspace that waits for the same worker pool holding none of
-- its slots, and waited first (or at all, when this one holds slots there): its ready tasks are
-- held back, it waits in turn (a PoolWait row, `since` now), and the slot freed goes to the first
-- in line (server/engine/fair-share.ts admits waiting workspaces fewest slots held first, then
-- longest waiting). A newcomer that holds nothing can always take a free slot (baton_allowance),
-- so waiting behind it never leaves a slot idle. With nobody waiting, nothing changes: the slot
-- asking is still handed the next task without the job queue's round trips.
--
-- Waiting workspaces are found in turn by an index on (pool, since), and the pools with a waiting
-- workspace by a skip scan of the primary key, not by reading every waiting row (10,000 in a burst
-- of 10,000 workspaces) at every admission.

CREATE INDEX "PoolWait_workerPool_since_idx" ON "PoolWait"("workerPool", "since");

-- Whether `workspace` must let another workspace have a free slot of `worker_pool` first: one that
-- waits for the pool, holds none of its slots, and has waited longer than `workspace` (which waits
-- since its row's `since`, or from now), or at all when `workspace` holds slots there.
CREATE FUNCTION baton_waits_behind(workspace uuid, worker_pool text) RETURNS bool
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM "PoolWait" w
    WHERE w."workerPool" = worker_pool AND w."workspaceId" <> workspace
      AND NOT EXISTS (SELECT 1 FROM "TaskInstance" t WHERE t."workerPool" = worker_pool
                        AND t."workspaceId" = w."workspaceId" AND t.state IN ('scheduled', 'running'))
      AND (w.since < coalesce((SELECT m.since FROM "PoolWait" m
                               WHERE m."workerPool" = worker_pool AND m."workspaceId" = workspace), LOCALTIMESTAMP)
           OR EXISTS (SELECT 1 FROM "TaskInstance" t WHERE t."workerPool" = worker_pool
                        AND t."workspaceId" = workspace AND t.state IN ('scheduled', 'running'))))
$$;

-- As before (20261207150000_fair_share), but the pools waited for are found by skipping through the
-- primary key (one probe per pool) instead of reading every waiting row.
CREATE OR REPLACE FUNCTION baton_pools_to_wake(workspace uuid, reserve int, live_seconds int) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE waited(pool) AS (
    SELECT min(x."workerPool") FROM "PoolWait" x
    UNION ALL
    SELECT (SELECT min(x."workerPool") FROM "PoolWait" x WHERE x."workerPool" > w.pool) FROM waited w
    WHERE w.pool IS NOT NULL)
  SELECT w.pool FROM waited w
  CROSS JOIN LATERAL baton_pool_load(w.pool, live_seconds) l
  WHERE w.pool IS NOT NULL
    AND EXISTS (SELECT 1 FROM "PoolWait" x WHERE x."workerPool" = w.pool AND x."workspaceId" <> workspace)
    AND (l.capacity - l.busy > baton_pool_reserve(w.pool, l.capacity, reserve)
     OR (l.capacity > l.busy AND EXISTS (
           SELECT 1 FROM "PoolWait" x WHERE x."workerPool" = w.pool AND x."workspaceId" <> workspace
             AND NOT EXISTS (SELECT 1 FROM "TaskInstance" t WHERE t."workerPool" = w.pool
                             AND t."workspaceId" = x."workspaceId" AND t.state IN ('scheduled', 'running')))))
$$;

-- Admission (20261207150000_fair_share, without JIT since 20261207202619), now waiting in turn
-- behind workspaces that waited first for a pool and hold none of its slots (baton_waits_behind).
CREATE OR REPLACE FUNCTION baton_admit(
  workspace uuid, released text[], queued_here bool, takers text[], taker_pools text[], reserve int,
  live_seconds int
) RETURNS TABLE (claimed jsonb, wake text) LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET jit = off AS $$
DECLARE
  cap int;
  weight int;
  home text;
  held int;
  room int;
  candidate record;
  i int;
  -- Worker pools looked at: how many more may be admitted there, whether something was held back.
  pools text[] := '{}';
  allowed int[] := '{}';
  blocked bool[] := '{}';
  -- Named pools with a limit: slots left.
  limited text[] := '{}';
  limited_left int[] := '{}';
  ids uuid[] := '{}';
  id_pools text[] := '{}';
  id_named text[] := '{}';
  handed uuid[] := '{}';
  waits text[];
  newly text[];
BEGIN
  IF NOT queued_here THEN
    PERFORM 1 FROM "WorkspaceDispatch" d WHERE d."workspaceId" = workspace
      AND NOT EXISTS (SELECT 1 FROM "TaskInstance" t WHERE t."workspaceId" = workspace AND t.state = 'queued')
      FOR SHARE;
    IF FOUND THEN
      UPDATE "Pool" p SET admitted = GREATEST(p.admitted - x.n, 0)
      FROM (SELECT r AS name, count(*)::int AS n FROM unnest(released) r GROUP BY r) x
      WHERE p."workspaceId" = workspace AND p.name = x.name;
      IF NOT EXISTS (SELECT 1 FROM "TaskInstance" t WHERE t."workspaceId" = workspace AND t.state = 'queued') THEN
        DELETE FROM "PoolWait" w WHERE w."workspaceId" = workspace;
        RETURN QUERY SELECT NULL::jsonb, p FROM baton_pools_to_wake(workspace, reserve, live_seconds) p;
        RETURN;
      END IF;
      -- Rare: an admission committed queued work meanwhile. Admit it (a deadlock with another
      -- completion doing the same makes the statement run again).
      released := '{}';
    END IF;
  END IF;

  SELECT CASE WHEN w."suspendedAt" IS NULL THEN w."maxConcurrentTasks" ELSE 0 END, w."shareWeight",
         coalesce(w."workerPool", 'shared')
    INTO cap, weight, home
  FROM "WorkspaceDispatch" d JOIN "Workspace" w ON w.id = d."workspaceId"
  WHERE d."workspaceId" = workspace FOR UPDATE OF d;
  IF NOT FOUND THEN
    INSERT INTO "WorkspaceDispatch" ("workspaceId")
    SELECT workspace WHERE EXISTS (SELECT 1 FROM "Workspace" w WHERE w.id = workspace) ON CONFLICT DO NOTHING;
    SELECT CASE WHEN w."suspendedAt" IS NULL THEN w."maxConcurrentTasks" ELSE 0 END, w."shareWeight",
           coalesce(w."workerPool", 'shared')
      INTO cap, weight, home
    FROM "WorkspaceDispatch" d JOIN "Workspace" w ON w.id = d."workspaceId"
    WHERE d."workspaceId" = workspace FOR UPDATE OF d;
    IF NOT FOUND THEN
      RETURN; -- the workspace is gone
    END IF;
  END IF;
  IF cardinality(released) > 0 THEN
    UPDATE "Pool" p SET admitted = GREATEST(p.admitted - x.n, 0)
    FROM (SELECT r AS name, count(*)::int AS n FROM unnest(released) r GROUP BY r) x
    WHERE p."workspaceId" = workspace AND p.name = x.name;
  END IF;

  -- Statements of their own, after the lock: their snapshots see every slot given back before.
  SELECT count(*)::int INTO held FROM "TaskInstance" t
  WHERE t."workspaceId" = workspace AND t.state IN ('scheduled', 'running') AND t."workerPool" IS NOT NULL;
  IF cap > held THEN
    -- The worker pools the workspace's tasks may run in, and its allowance in each.
    FOR candidate IN
      SELECT home AS pool UNION
      SELECT DISTINCT p."workerPool" FROM "Pool" p WHERE p."workspaceId" = workspace AND p."workerPool" IS NOT NULL
    LOOP
      pools := pools || candidate.pool;
      -- Behind a workspace that waited first for a slot of the pool and holds none there: none
      -- now (it waits in turn, fair-share.ts wakes the first in line).
      allowed := allowed || CASE WHEN baton_waits_behind(workspace, candidate.pool) THEN 0
                                 ELSE baton_allowance(workspace, weight, candidate.pool, reserve, live_seconds) END;
      blocked := blocked || false;
    END LOOP;
    room := LEAST(cap - held, (SELECT sum(a)::int FROM unnest(allowed) a));
    -- A few candidates more than there is room for, so that tasks held back (a full named pool,
    -- another worker pool) do not hold back the others, and so that waiting is noticed.
    FOR candidate IN
      SELECT t.id, t.pool AS named, coalesce(p."workerPool", home) AS pool, p.slots - p.admitted AS named_free
      FROM (SELECT q.id, q.pool, q.priority, q."queuedAt" FROM "TaskInstance" q
            WHERE q."workspaceId" = workspace AND q.state = 'queued'
            ORDER BY q.priority DESC, q."queuedAt" ASC
            LIMIT room + 16 FOR UPDATE SKIP LOCKED) t
      LEFT JOIN "Pool" p ON p."workspaceId" = workspace AND p.name = t.pool
      ORDER BY t.priority DESC, t."queuedAt" ASC
    LOOP
      EXIT WHEN cardinality(ids) >= cap - held;
      IF candidate.named_free IS NOT NULL THEN
        i := array_position(limited, candidate.named);
        IF i IS NULL THEN
          limited := limited || candidate.named;
          limited_left := limited_left || candidate.named_free;
          i := cardinality(limited);
        END IF;
        CONTINUE WHEN limited_left[i] <= 0;
      END IF;
      i := array_position(pools, candidate.pool);
      IF allowed[i] <= 0 THEN
        blocked[i] := true;
        CONTINUE;
      END IF;
      allowed[i] := allowed[i] - 1;
      IF candidate.named_free IS NOT NULL THEN
        limited_left[array_position(limited, candidate.named)] := limited_left[array_position(limited, candidate.named)] - 1;
      END IF;
      ids := ids || candidate.id;
      id_pools := id_pools || candidate.pool;
      id_named := id_named || candidate.named;
    END LOOP;
  END IF;

  IF cardinality(ids) > 0 THEN
    UPDATE "TaskInstance" t SET state = 'scheduled', "workerPool" = x.pool
    FROM unnest(ids, id_pools) AS x(id, pool) WHERE t.id = x.id;
    UPDATE "Pool" p SET admitted = p.admitted + x.n
    FROM (SELECT n.name, count(*)::int AS n FROM unnest(id_named) AS n(name) GROUP BY n.name) x
    WHERE p."workspaceId" = workspace AND p.name = x.name;
    -- The slots held, for operators to read (admission counts them).
    UPDATE "WorkspaceDispatch" d SET admitted = held + cardinality(ids) WHERE d."workspaceId" = workspace;
    -- Hand-offs: the first admitted instances of a pool the asking slots serve.
    handed := ARRAY(SELECT x.id FROM unnest(ids, id_pools) WITH ORDINALITY AS x(id, pool, n)
                    WHERE x.pool = ANY(taker_pools) ORDER BY x.n LIMIT cardinality(takers));
    -- The others get their jobs, with priority = the slots the workspace held, so that jobs of
    -- workspaces admitted together interleave. add_jobs wakes every idle worker even for no
    -- jobs: not called then.
    IF cardinality(ids) > cardinality(handed) THEN
      PERFORM graphile_worker.add_jobs(ARRAY(
        SELECT ROW('engine:run-task@' || x.pool, json_build_object('taskInstanceId', x.id, 'workspaceId', workspace),
                   NULL, NULL, 10, NULL, LEAST(held + x.n - 1, 32767), NULL)::graphile_worker.job_spec
        FROM unnest(ids, id_pools) WITH ORDINALITY AS x(id, pool, n) WHERE NOT x.id = ANY(handed) ORDER BY x.n));
    END IF;
    IF cardinality(handed) > 0 THEN
      RETURN QUERY SELECT to_jsonb(c), NULL::text
      FROM baton_claim(handed, array_fill(workspace, ARRAY[cardinality(handed)]), takers[1:cardinality(handed)]) c;
    END IF;
  END IF;

  -- Waiting: for the pools where ready instances were held back, and no others.
  waits := ARRAY(SELECT x.pool FROM unnest(pools, blocked) AS x(pool, b) WHERE x.b);
  DELETE FROM "PoolWait" w WHERE w."workspaceId" = workspace AND NOT w."workerPool" = ANY(waits);
  WITH added AS (
    INSERT INTO "PoolWait" ("workerPool", "workspaceId") SELECT x, workspace FROM unnest(waits) x
    ON CONFLICT DO NOTHING RETURNING "workerPool")
  SELECT array_agg("workerPool") INTO newly FROM added;
  RETURN QUERY SELECT NULL::jsonb, p FROM baton_pools_to_wake(workspace, reserve, live_seconds) p
               UNION SELECT NULL::jsonb, x FROM unnest(newly) x;
END
$$;

