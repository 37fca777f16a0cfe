-- The slots a workspace holds (its scheduled and running task instances), counted at every
-- admission. A partial index keeps the count to the few rows it covers whatever the plan: the
-- engine's statements are prepared, and a generic plan chose the (runId, state) index and read
-- every run's instances. Prisma's schema cannot express a partial index; it lives here only.
CREATE INDEX "TaskInstance_held_slots_idx" ON "TaskInstance" ("workspaceId") WHERE state IN ('scheduled', 'running');
