// `sla:check`: one SLA of one run at its deadline (scheduled by arm.ts). It reads the run (and the
// task's instance), judges the SLA (plan.ts), and records a miss at most once per run and SLA (the
// unique key on SlaMiss), alerting the workspace's sla_miss rules only for the miss it inserted.
// A check that runs early (its deadline moved: a task retried or was cleared) schedules itself again.

import { onSlaMissed } from "@/server/alerts/evaluate";
import type { DagDefinition } from "@/server/dags/definition";
import { dagTimeZone } from "@/server/dags/definition";
import { enqueue } from "@/server/jobs/catalog";
import { log } from "@/server/observability/logger";
import { systemScope } from "@/server/tenancy/door";
import { workspaceSql } from "@/server/tenancy/workspace-sql";
import { slaJobKey } from "./arm";
import { judge, slaApplies, slaPlan } from "./plan";

export async function checkSla(input: { runId: string; workspaceId: string; sla: string }): Promise<void> {
  const scope = await systemScope(input.workspaceId);
  const run = await scope.db.dagRun.findUnique({
    where: { id: input.runId },
    select: {
      id: true,
      dagId: true,
      state: true,
      triggeredBy: true,
      logicalDate: true,
      dataIntervalEnd: true,
      queuedAt: true,
      startedAt: true,
      endedAt: true,
      dag: { select: { key: true } },
      dagVersion: { select: { definition: true } },
    },
  });
  if (!run || !slaApplies(run.triggeredBy)) return; // deleted by retention meanwhile
  const definition = run.dagVersion.definition as unknown as DagDefinition;
  // Clearing may move a run to a newer version that no longer has this SLA.
  const spec = slaPlan(definition).byKey.get(input.sla);
  if (!spec) return;
  const task = spec.taskId
    ? await scope.db.taskInstance.findUnique({
        where: { runId_taskId_mapIndex: { runId: run.id, taskId: spec.taskId, mapIndex: -1 } },
        select: { state: true, queuedAt: true, startedAt: true, endedAt: true },
      })
    : null;
  const timezone = dagTimeZone(definition);
  const verdict = judge(spec, { run, task }, timezone, new Date());
  if (verdict.status === "pending") {
    // Early (the deadline moved later), or not known yet (the hook that makes it known arms it).
    if (verdict.deadline && (run.state === "running" || run.state === "queued" || run.state === "failed")) {
      await enqueue(workspaceSql(scope), "sla:check", input, {
        runAt: verdict.deadline,
        jobKey: slaJobKey(run.id, spec.key),
        maxAttempts: 5,
      });
    }
    return;
  }
  if (verdict.status === "met") return;
  const [miss] = await scope.db.slaMiss.createManyAndReturn({
    data: [
      {
        workspaceId: scope.workspace.id,
        dagId: run.dagId,
        runId: run.id,
        taskId: spec.taskId,
        kind: spec.kind,
        slaKey: spec.key,
        deadline: verdict.deadline,
      },
    ],
    skipDuplicates: true,
  });
  if (!miss) return; // recorded by an earlier check of the same deadline
  log.info({ runId: run.id, sla: spec.key }, "SLA missed");
  await onSlaMissed(scope, {
    miss,
    spec,
    timezone,
    run: { ...run, dagKey: run.dag.key },
    subjectState: spec.taskId ? (task?.state ?? "none") : run.state,
  });
}
