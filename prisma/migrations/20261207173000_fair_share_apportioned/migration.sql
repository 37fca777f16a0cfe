-- Fair shares that add up (issue 13): a workspace's share of a worker pool was its weighted part of
-- the shared slots rounded up, and the rounded parts could add up to more than the slots (weights
-- 1, 1, 2, 2, 4 on 9 slots: 1 + 1 + 2 + 2 + 4 = 10). Since a workspace at its share re-takes the
-- slot it frees, whichever workspace was short stayed short (npm run bench -- isolation measured
-- Jain's index by weight at 0.938, one weight-2 workspace holding 1 slot for the whole window).
-- Shares are now apportioned by largest remainder: each waiting workspace gets the whole part of
-- its exact share, and the slots left over go to the largest fractions (ties by workspace id), so
-- the shares add up to the slots shared (1, 1, 2, 2, 3 there). At least 1 still.
CREATE OR REPLACE FUNCTION baton_allowance(workspace uuid, weight int, worker_pool text, reserve int, live_seconds int) RETURNS int
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
  shared int;
  portion int;
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
    -- shared by the waiting workspaces and this one, by weight, apportioned by largest remainder.
    -- The reserve is nobody's share: only a workspace's first slot may be one of it.
    SELECT count(*)::int INTO satisfied FROM "TaskInstance" t
    WHERE t."workerPool" = worker_pool AND t.state IN ('scheduled', 'running') AND t."workspaceId" <> workspace
      AND NOT EXISTS (SELECT 1 FROM "PoolWait" w WHERE w."workerPool" = worker_pool AND w."workspaceId" = t."workspaceId");
    shared := GREATEST(capacity - kept - satisfied, 0);
    WITH sharers AS (
      SELECT s.id, CASE WHEN s.id = workspace THEN weight ELSE s."shareWeight" END::numeric AS w
      FROM "Workspace" s WHERE s.id IN (
        SELECT w."workspaceId" FROM "PoolWait" w WHERE w."workerPool" = worker_pool UNION SELECT workspace)
    ), exact AS (
      SELECT x.id, shared * x.w / GREATEST(sum(x.w) OVER (), 1) AS part FROM sharers x
    ), apportioned AS (
      SELECT e.id, floor(e.part)::int AS whole,
             row_number() OVER (ORDER BY e.part - floor(e.part) DESC, e.id) AS place,
             shared - (sum(floor(e.part)) OVER ())::int AS leftover
      FROM exact e
    )
    SELECT a.whole + CASE WHEN a.place <= a.leftover THEN 1 ELSE 0 END INTO portion
    FROM apportioned a WHERE a.id = workspace;
    allow := LEAST(allow, GREATEST(coalesce(portion, 0), 1) - held);
  END IF;
  RETURN GREATEST(allow, 0);
END
$$;
