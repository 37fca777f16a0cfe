-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "shareWeight" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "workerPool" TEXT;

-- AlterTable
ALTER TABLE "TaskInstance" ADD COLUMN     "workerPool" TEXT;

-- AlterTable
ALTER TABLE "Pool" ADD COLUMN     "workerPool" TEXT;

-- AlterTable
ALTER TABLE "Plan" ADD COLUMN     "shareWeight" INTEGER NOT NULL DEFAULT 1;

-- CreateTable
CREATE TABLE "Worker" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "pools" TEXT[],
    "slots" INTEGER NOT NULL,
    "lockIds" TEXT[],
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lagMs" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "Worker_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PoolWait" (
    "workerPool" TEXT NOT NULL,
    "workspaceId" UUID NOT NULL,
    "since" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PoolWait_pkey" PRIMARY KEY ("workerPool","workspaceId")
);

-- CreateIndex
CREATE INDEX "PoolWait_workspaceId_idx" ON "PoolWait"("workspaceId");

-- AddForeignKey
ALTER TABLE "PoolWait" ADD CONSTRAINT "PoolWait_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- PoolWait is tenant data: the same row-level security as every tenant table (migration
-- 20261207130000_tenant_row_security). The worker registry is the installation's, not a tenant's:
-- the tenant role has no business there.
ALTER TABLE "PoolWait" ENABLE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON "PoolWait" TO baton_tenant
  USING ("workspaceId" = baton_current_workspace())
  WITH CHECK ("workspaceId" = baton_current_workspace());
REVOKE ALL ON "Worker" FROM baton_tenant;

-- ---------------------------------------------------------------------------------------------
-- Fair share of live capacity (server/engine/fair-share.ts, docs/architecture.md "Fair share").
-- Written by hand below: the held-slots index, the instances already holding a slot, and the
-- admission functions.

-- Instances holding a slot of a worker pool (scheduled or running, admitted to a pool): the
-- pool's load and each workspace's part of it are counted from here, reading only live work.
CREATE INDEX "TaskInstance_held_idx" ON "TaskInstance" ("workerPool", "workspaceId")
  WHERE state IN ('scheduled', 'running') AND "workerPool" IS NOT NULL;

-- Every instance holding a slot now was admitted to the only pool there was. (A mapped task's
-- parent is `running` while its children run, but holds no slot: it was never admitted.)
UPDATE "TaskInstance" SET "workerPool" = 'shared'
WHERE state IN ('scheduled', 'running') AND NOT ("mapIndex" = -1 AND "mapCount" IS NOT NULL);

-- Whether a worker counts as alive: its heartbeat is younger than the grace, which its reported
-- lateness lengthens (a worker whose heartbeats came late under load is given that much longer).
CREATE FUNCTION baton_worker_live(heartbeat_at timestamp, lag_ms int, live_seconds int) RETURNS bool
LANGUAGE sql STABLE AS $$
  SELECT heartbeat_at > now() - make_interval(secs => live_seconds + 3 * lag_ms / 1000.0)
$$;

-- A worker pool's capacity (the slots of its live workers) and load (instances holding a slot).
CREATE FUNCTION baton_pool_load(worker_pool text, live_seconds int, OUT capacity int, OUT busy int)
LANGUAGE sql STABLE AS $$
  SELECT (SELECT coalesce(sum(k.slots), 0)::int FROM "Worker" k
          WHERE worker_pool = ANY(k.pools) AND baton_worker_live(k."heartbeatAt", k."lagMs", live_seconds)),
         (SELECT count(*)::int FROM "TaskInstance" t
          WHERE t."workerPool" = worker_pool AND t.state IN ('scheduled', 'running'))
$$;

-- The slots of a pool kept free for a workspace holding none of them: BATON_POOL_RESERVE, never
-- the whole pool, and none in a pool dedicated to one tenant.
CREATE FUNCTION baton_pool_reserve(worker_pool text, capacity int, reserve int) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN worker_pool LIKE 'dedicated:%' THEN 0 ELSE LEAST(reserve, GREATEST(capacity - 1, 0)) END
$$;

-- How many more of a workspace's instances may be admitted to a worker pool now:
--  - never more than the pool's free slots (capacity - load): admitted work starts at once;
--  - a workspace already holding slots there leaves the reserve free (its first slot may be one);
--  - while another workspace waits for the pool, no more than its fair share: the pool's slots
--    but its reserve, less those held by workspaces content with what they hold (not waiting),
--    times its weight over the weights of the waiting workspaces and its own, rounded up, and at
--    least one (max-min fairness).
CREATE FUNCTION baton_allowance(workspace uuid, weight int, worker_pool text, reserve int, live_seconds int) RETURNS int
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
DECLARE
  capacity int;
  busy int;
  held int;
  free int;
  kept int;
  allow int;
  satisfied int;
  weights bigint;
BEGIN
  SELECT l.capacity, l.busy INTO capacity, busy FROM baton_pool_load(worker_pool, live_seconds) l;
  SELECT count(*)::int INTO held FROM "TaskInstance" t
  WHERE t."workerPool" = worker_pool AND t."workspaceId" = workspace AND t.state IN ('scheduled', 'running');
  free := capacity - busy;
  kept := baton_pool_reserve(worker_pool, capacity, reserve);
  allow := free - kept;
  IF held = 0 AND free > 0 THEN
    allow := GREATEST(allow, 1);
  END IF;
  IF EXISTS (SELECT 1 FROM "PoolWait" w WHERE w."workerPool" = worker_pool AND w."workspaceId" <> workspace) THEN
    -- Slots held by workspaces that do not wait for the pool are what they asked for; the rest is
    -- shared by the waiting workspaces and this one, by weight (max-min fairness). The reserve is
    -- nobody's share: only a workspace's first slot may be one of it.
    SELECT count(*)::int INTO satisfied FROM "TaskInstance" t
    WHERE t."workerPool" = worker_pool AND t.state IN ('scheduled', 'running') AND t."workspaceId" <> workspace
      AND NOT EXISTS (SELECT 1 FROM "PoolWait" w WHERE w."workerPool" = worker_pool AND w."workspaceId" = t."workspaceId");
    SELECT sum(s."shareWeight") INTO weights FROM "Workspace" s WHERE s.id IN (
      SELECT w."workspaceId" FROM "PoolWait" w WHERE w."workerPool" = worker_pool UNION SELECT workspace);
    allow := LEAST(allow, GREATEST(ceil((capacity - kept - satisfied)::numeric * weight / GREATEST(weights, 1))::int, 1) - held);
  END IF;
  RETURN GREATEST(allow, 0);
END
$$;

-- The pools (other than for `workspace`) where a waiting workspace could be admitted now: their
-- free slots exceed the reserve, or some waiting workspace holds none of their slots.
CREATE FUNCTION baton_pools_to_wake(workspace uuid, reserve int, live_seconds int) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
  SELECT w.pool FROM (SELECT DISTINCT x."workerPool" AS pool FROM "PoolWait" x WHERE x."workspaceId" <> workspace) w
  CROSS JOIN LATERAL baton_pool_load(w.pool, live_seconds) l
  WHERE l.capacity - l.busy > baton_pool_reserve(w.pool, l.capacity, reserve)
     OR (l.capacity > l.busy AND EXISTS (
           SELECT 1 FROM "PoolWait" x WHERE x."workerPool" = w.pool AND x."workspaceId" <> workspace
             AND NOT EXISTS (SELECT 1 FROM "TaskInstance" t WHERE t."workerPool" = w.pool
                             AND t."workspaceId" = x."workspaceId" AND t.state IN ('scheduled', 'running'))))
$$;

-- Admission (server/engine/dispatch.ts): gives back the named-pool slots of instances that stopped
-- holding one (`released`: their pools' names; the caller already moved them out of scheduled and
-- running), then admits the workspace's queued instances, by priority, as far as its quota
-- (maxConcurrentTasks; 0 while suspended), its named pools' slots and its allowance in each worker
-- pool (baton_allowance) let it. Each admitted instance gets the worker pool it runs in (its named
-- pool's assignment, else its workspace's, else `shared`) and a job `engine:run-task@<pool>`; the
-- slots asking (`takers`, worker ids of the calling process, which serves `taker_pools`) instead
-- get the first of them claimed for them (a hand-off: no job).
--
-- A workspace with ready instances held back for lack of room in a worker pool waits for it
-- (a PoolWait row); it no longer waits once nothing is held back. Answers the attempts claimed for
-- the takers (`claimed`, in takers' order), then the pools where a waiting workspace could be
-- admitted now (`wake`: this workspace's own waits included when new, for the caller to look
-- again once committed, when a slot freed meanwhile may be there).
--
-- Locks: the workspace's dispatch row FOR UPDATE while admitting; giving back with nothing queued
-- takes it FOR SHARE instead (completions of a workspace do not wait for one another), and looks
-- again once it holds it (a new statement, so a new snapshot), so an admission that ran
-- meanwhile cannot leave queued work behind.
CREATE FUNCTION baton_admit(
  workspace uuid, released text[], queued_here bool, takers text[], taker_pools text[], reserve int,
  live_seconds int
) RETURNS TABLE (claimed jsonb, wake text) LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
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
      allowed := allowed || baton_allowance(workspace, weight, candidate.pool, reserve, live_seconds);
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

-- The finishing call (server/engine/complete.ts) for attempts whose instances end with nothing
-- downstream to advance: their outcomes (baton_record_outcomes), then per workspace, in id order,
-- their slots given back and an admission, all in this one call (baton_admit: the slots asking,
-- `takers`, get the instances it admits in their pools, as a hand-off). It no longer declines
-- when work is queued. A slot that got nothing there takes its next task without the job
-- queue's round trips: while the first available job of graphile-worker's queue, in its own order
-- (priority, run_at, id) among the jobs the worker fetches (no other pool's task instances), is a
-- run-task job of the same workspace, exactly the job graphile-worker would hand such a slot next,
-- the call deletes it and claims its instance. Any other job first in line (another workspace's,
-- another kind) stops it, so the queue's order, and with it fairness between workspaces, holds.
-- This reads graphile-worker's private jobs table (version 0.18, pinned by the lockfile).
--
-- Answers one row per recorded outcome (`outcome`), one per task claimed for a slot (`taken`, a
-- claimed attempt, with the worker id that took it), and the worker pools where a waiting
-- workspace could be admitted now (`wake`). A new signature (the pools the slots serve, the
-- reserve, the liveness of workers, and `wake`): the old function is dropped.
DROP FUNCTION baton_finish_attempts(uuid[], uuid[], int[], "TaskState"[], jsonb[], text[], jsonb[], bool[], uuid[],
                                    text[], text[], int[], text[]);
CREATE FUNCTION baton_finish_attempts(
  ids uuid[], workspace_ids uuid[], tries int[], states "TaskState"[], outputs jsonb[], errors text[],
  defer_states jsonb[], terminals bool[], attempt_ids uuid[], attempt_states text[], log_texts text[],
  log_bytes int[], takers text[], taker_pools text[], reserve int, live_seconds int
) RETURNS TABLE (outcome jsonb, taken jsonb, wake text) LANGUAGE plpgsql VOLATILE
-- Planned once per session (re-planning the statements inside took as long as running them),
-- without sequential scans (as baton_record_outcomes).
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
DECLARE
  recorded baton_outcome[];
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
                                false, wanted, taker_pools, reserve, live_seconds)
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
