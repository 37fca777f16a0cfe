-- CreateIndex
CREATE INDEX "TaskInstance_runId_state_idx" ON "TaskInstance"("runId", "state");

