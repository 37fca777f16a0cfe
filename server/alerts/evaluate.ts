// What the alert rules watch, turned into events and recoveries (incidents.ts decides what is sent):
//
// - a run's end (`alerts:run-ended`, queued by the engine when a rule may care): run_failed and
//   consecutive_failures fire on a failure and recover on a success; sla_miss recovers on a
//   success that missed no SLA;
// - an SLA miss (server/slas/check.ts): sla_miss fires;
// - the minute's check of a workspace (`alerts:check`, queued by the sweep): task_long_running and
//   webhook_refusing fire while their condition holds and recover when it no longer does.
//
// Runs' events are ordered by the run's queuedAt: a failure of an older run, processed after a
// newer run's success, neither opens an incident nor keeps one open.
import type { AlertRuleKind, SlaKind } from "@/prisma/generated/enums";
import { describeSla, type SlaSpec, slaSubjectLabel } from "@/server/slas/plan";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { workspaceSql } from "@/server/tenancy/workspace-sql";
import { type AlertingRule, appLink, fire, recover } from "./incidents";
import type { RuleSettings } from "./rules";

const ruleSelect = {
  id: true,
  name: true,
  kind: true,
  dagId: true,
  settings: true,
  throttleMinutes: true,
  mutedUntil: true,
  channels: true,
} as const;

/** The enabled rules of these kinds that watch `dagId` (or, without it, any DAG). */
async function rulesFor(scope: WorkspaceScope, kinds: AlertRuleKind[], dagId?: string) {
  const rules = await scope.db.alertRule.findMany({
    where: {
      enabled: true,
      kind: { in: kinds },
      ...(dagId ? { OR: [{ dagId: null }, { dagId }] } : {}),
    },
    select: ruleSelect,
    orderBy: { name: "asc" },
  });
  return rules.map((rule) => ({ ...rule, settings: rule.settings as RuleSettings }));
}

const dagSubject = (dagId: string) => `dag:${dagId}`;
const when = (date: Date) => date.toISOString().replace(".000Z", "Z");
const firstLine = (text: string | null, max = 300) => {
  const line = (text ?? "").split("\n", 1)[0] ?? "";
  return line.length > max ? `${line.slice(0, max)}…` : line;
};

// ---------------------------------------------------------------------------------------------
// Run ends

export async function onRunEnded(
  scope: WorkspaceScope,
  input: { runId: string; state: "success" | "failed" },
) {
  const run = await scope.db.dagRun.findUnique({
    where: { id: input.runId },
    select: {
      id: true,
      state: true,
      dagId: true,
      logicalDate: true,
      queuedAt: true,
      endedAt: true,
      dag: { select: { key: true } },
      taskInstances: {
        where: { mapIndex: -1, state: "failed" },
        select: { taskId: true, error: true },
        orderBy: { endedAt: "asc" },
        take: 10,
      },
    },
  });
  // Cleared and running again, or ended otherwise since: that end brings its own job.
  if (!run || run.state !== input.state) return;
  const rules = await rulesFor(scope, ["run_failed", "consecutive_failures", "sla_miss"], run.dagId);
  if (rules.length === 0) return;
  const subject = dagSubject(run.dagId);
  const dagKey = run.dag.key;
  const runLink = appLink(`/w/${scope.workspace.slug}/runs/${run.id}`);
  const about = { run: { id: run.id, logicalDate: run.logicalDate.toISOString(), state: run.state } };

  if (input.state === "success") {
    const missed = await scope.db.slaMiss.count({ where: { runId: run.id } });
    for (const rule of rules) {
      if (rule.kind === "sla_miss" && missed > 0) continue;
      const what = rule.kind === "sla_miss" ? "met its SLAs" : "succeeded";
      await recover(scope, rule, {
        subject,
        dagKey,
        at: run.queuedAt,
        runId: run.id,
        title: `[Baton] Resolved: ${dagKey}`,
        text: `The run of ${when(run.logicalDate)} ${what}.\n${runLink}`,
        trigger: { ...about, rule: rule.kind },
      });
    }
    return;
  }

  // A newer run already succeeded: this failure is old news.
  const newerSuccess = await scope.db.dagRun.count({
    where: { dagId: run.dagId, state: "success", queuedAt: { gt: run.queuedAt } },
  });
  if (newerSuccess > 0) return;
  const failedTasks = run.taskInstances.map((t) => ({ taskId: t.taskId, error: firstLine(t.error) }));
  const taskLines = failedTasks.map((t) => `- ${t.taskId}: ${t.error || "failed"}`).join("\n");
  for (const rule of rules) {
    if (rule.kind === "run_failed") {
      await fire(scope, rule, {
        subject,
        dagId: run.dagId,
        dagKey,
        at: run.queuedAt,
        runId: run.id,
        title: `[Baton] ${dagKey} failed`,
        text: `The run of ${when(run.logicalDate)} failed.${taskLines ? `\n${taskLines}` : ""}\n${runLink}`,
        trigger: { ...about, failedTasks },
      });
    } else if (rule.kind === "consecutive_failures") {
      const count = rule.settings.count ?? 3;
      const streak = await failureStreak(scope, run.dagId, run.queuedAt, count);
      if (streak.length < count) continue;
      await fire(scope, rule, {
        subject,
        dagId: run.dagId,
        dagKey,
        at: run.queuedAt,
        runId: run.id,
        title: `[Baton] ${dagKey} failed ${count} times in a row`,
        text: `The last ${count} runs of ${dagKey} failed, the latest of ${when(run.logicalDate)}.${taskLines ? `\n${taskLines}` : ""}\n${runLink}`,
        trigger: { ...about, failedTasks, failedRuns: streak },
      });
    }
  }
}

/** The ids of the DAG's latest ended runs (up to `count`, queued no later) while they failed. */
async function failureStreak(scope: WorkspaceScope, dagId: string, queuedAt: Date, count: number) {
  const runs = await scope.db.dagRun.findMany({
    where: { dagId, state: { in: ["success", "failed"] }, queuedAt: { lte: queuedAt } },
    orderBy: [{ queuedAt: "desc" }, { id: "desc" }],
    take: count,
    select: { id: true, state: true },
  });
  const streak: string[] = [];
  for (const run of runs) {
    if (run.state !== "failed") break;
    streak.push(run.id);
  }
  return streak;
}

// ---------------------------------------------------------------------------------------------
// SLA misses

const missWords: Record<SlaKind, string> = {
  finish_by: "did not succeed by",
  max_duration: "did not succeed by",
  start_within: "had not started by",
};

export async function onSlaMissed(
  scope: WorkspaceScope,
  input: {
    miss: { id: string; kind: SlaKind; taskId: string | null; deadline: Date };
    spec: SlaSpec;
    timezone: string;
    run: { id: string; dagId: string; dagKey: string; state: string; logicalDate: Date; queuedAt: Date };
    subjectState: string;
  },
): Promise<void> {
  const { miss, run } = input;
  const rules = await rulesFor(scope, ["sla_miss"], run.dagId);
  const who = slaSubjectLabel(miss.taskId);
  const text =
    `SLA missed: in the run of ${when(run.logicalDate)}, ${who} ${missWords[miss.kind]} ${when(miss.deadline)} ` +
    `(it had to ${describeSla(input.spec, input.timezone)}); it is ${input.subjectState} now.\n` +
    appLink(`/w/${scope.workspace.slug}/runs/${run.id}`);
  for (const rule of rules) {
    await fire(scope, rule, {
      subject: dagSubject(run.dagId),
      dagId: run.dagId,
      dagKey: run.dagKey,
      at: run.queuedAt,
      runId: run.id,
      title: `[Baton] ${run.dagKey} missed its SLA${miss.taskId ? ` (task ${miss.taskId})` : ""}`,
      text,
      trigger: {
        run: { id: run.id, logicalDate: run.logicalDate.toISOString(), state: run.state },
        slaMiss: { id: miss.id, kind: miss.kind, taskId: miss.taskId, deadline: miss.deadline.toISOString() },
      },
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The minute's check: tasks running long, webhook endpoints refusing

/** Recent successful durations a task's usual duration is read from (more if a rule asks for more samples). */
const DURATION_SAMPLES = 20;

interface LongTask {
  instanceId: string;
  taskId: string;
  runId: string;
  dagId: string;
  dagKey: string;
  logicalDate: Date;
  runningSeconds: number;
  p95: number | null;
  samples: number;
}

export async function checkWorkspaceAlerts(scope: WorkspaceScope, now: Date = new Date()): Promise<void> {
  const rules = await rulesFor(scope, ["task_long_running", "webhook_refusing"]);
  const longRunning = rules.filter((r) => r.kind === "task_long_running");
  const refusing = rules.filter((r) => r.kind === "webhook_refusing");
  if (longRunning.length > 0) await checkLongTasks(scope, longRunning, now);
  for (const rule of refusing) await checkRefusingEndpoints(scope, rule, now);
}

type Rule = Awaited<ReturnType<typeof rulesFor>>[number];

async function openSubjects(scope: WorkspaceScope, rule: AlertingRule) {
  const open = await scope.db.alertIncident.findMany({
    where: { ruleId: rule.id, resolvedAt: null },
    select: { subject: true, dagId: true, dag: { select: { key: true } } },
  });
  return open;
}

async function checkLongTasks(scope: WorkspaceScope, rules: Rule[], now: Date) {
  const samples = Math.max(DURATION_SAMPLES, ...rules.map((r) => r.settings.minSamples ?? 5));
  // Running (or waiting between pokes) top-level instances, each with the p95 of its task's latest
  // successful durations in other runs of its DAG (newest runs first, through DagRun's
  // (dagId, queuedAt) index).
  const { rows } = await workspaceSql(scope).query<LongTask>(
    `SELECT t.id AS "instanceId", t."taskId", r.id AS "runId", r."dagId", d.key AS "dagKey", r."logicalDate",
            extract(epoch FROM ($2::timestamptz - t."startedAt"))::float8 AS "runningSeconds",
            s.p95, s.samples
     FROM "TaskInstance" t
     JOIN "DagRun" r ON r.id = t."runId" AND r."workspaceId" = $1
     JOIN "Dag" d ON d.id = r."dagId" AND d."workspaceId" = $1
     CROSS JOIN LATERAL (
       SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY x.seconds)::float8 AS p95, count(*)::int AS samples
       FROM (SELECT extract(epoch FROM (p."endedAt" - p."startedAt")) AS seconds
             FROM "DagRun" pr
             JOIN "TaskInstance" p ON p."runId" = pr.id AND p."taskId" = t."taskId" AND p."mapIndex" = -1
               AND p."workspaceId" = $1
             WHERE pr."dagId" = r."dagId" AND pr."workspaceId" = $1 AND pr.id <> r.id
               AND p.state = 'success' AND p."startedAt" IS NOT NULL AND p."endedAt" IS NOT NULL
             ORDER BY pr."queuedAt" DESC
             LIMIT $3) x
     ) s
     WHERE t."workspaceId" = $1 AND t."mapIndex" = -1 AND t.state IN ('running', 'deferred') AND t."startedAt" IS NOT NULL
     ORDER BY t."startedAt"`,
    [scope.workspace.id, now, samples],
  );
  for (const rule of rules) {
    const factor = rule.settings.factor ?? 2;
    const minSamples = rule.settings.minSamples ?? 5;
    const long = rows.filter(
      (row) =>
        (!rule.dagId || row.dagId === rule.dagId) &&
        row.p95 !== null &&
        row.samples >= minSamples &&
        row.runningSeconds > row.p95 * factor,
    );
    const byDag = new Map<string, LongTask[]>();
    for (const row of long) byDag.set(row.dagId, [...(byDag.get(row.dagId) ?? []), row]);
    for (const [dagId, tasks] of byDag) {
      const first = tasks[0]!;
      const lines = tasks
        .slice(0, 10)
        .map(
          (t) =>
            `- ${t.taskId} (run of ${when(t.logicalDate)}): running ${minutes(t.runningSeconds)}, usually ${minutes(t.p95!)} (p95 of ${t.samples})`,
        )
        .join("\n");
      await fire(scope, rule, {
        subject: dagSubject(dagId),
        dagId,
        dagKey: first.dagKey,
        at: now,
        runId: first.runId,
        title: `[Baton] ${first.dagKey}: ${tasks.length === 1 ? `task ${first.taskId} is` : `${tasks.length} tasks are`} running longer than usual`,
        text: `Running past ${factor}× their usual duration:\n${lines}\n${appLink(`/w/${scope.workspace.slug}/runs/${first.runId}`)}`,
        trigger: {
          factor,
          tasks: tasks.slice(0, 10).map((t) => ({
            taskId: t.taskId,
            runId: t.runId,
            runningSeconds: Math.round(t.runningSeconds),
            p95Seconds: Math.round(t.p95!),
            samples: t.samples,
          })),
        },
      });
    }
    for (const open of await openSubjects(scope, rule)) {
      if (!open.dagId || byDag.has(open.dagId)) continue;
      await recover(scope, rule, {
        subject: open.subject,
        dagKey: open.dag?.key ?? null,
        at: now,
        title: `[Baton] Resolved: ${open.dag?.key ?? "a DAG"}`,
        text: "No task of it is running longer than usual any more.",
        trigger: { factor },
      });
    }
  }
}

const minutes = (seconds: number) =>
  seconds < 120 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;

interface EndpointWindow {
  id: string;
  name: string;
  dagId: string;
  dagKey: string;
  refused: number;
  total: number;
  latestStatus: number;
  latestResult: string;
  latestMessage: string;
}

async function checkRefusingEndpoints(scope: WorkspaceScope, rule: Rule, now: Date) {
  const refusals = rule.settings.refusals ?? 5;
  const windowMinutes = rule.settings.windowMinutes ?? 15;
  // Each endpoint's deliveries within the window (its (endpointId, receivedAt) index).
  const { rows } = await workspaceSql(scope).query<EndpointWindow>(
    `SELECT e.id, e.name, e."dagId", d.key AS "dagKey",
            count(*) FILTER (WHERE w."statusCode" >= 400)::int AS refused, count(*)::int AS total,
            (array_agg(w."statusCode" ORDER BY w."receivedAt" DESC))[1] AS "latestStatus",
            (array_agg(w.result ORDER BY w."receivedAt" DESC))[1] AS "latestResult",
            (array_agg(w.message ORDER BY w."receivedAt" DESC))[1] AS "latestMessage"
     FROM "WebhookEndpoint" e
     JOIN "Dag" d ON d.id = e."dagId" AND d."workspaceId" = $1
     JOIN "WebhookDelivery" w ON w."endpointId" = e.id AND w."workspaceId" = $1
       AND w."receivedAt" > $2::timestamptz - make_interval(mins => $3)
     WHERE e."workspaceId" = $1 AND ($4::uuid IS NULL OR e."dagId" = $4::uuid)
     GROUP BY e.id, e.name, e."dagId", d.key`,
    [scope.workspace.id, now, windowMinutes, rule.dagId],
  );
  const refusing = new Set<string>();
  for (const endpoint of rows) {
    if (endpoint.refused < refusals || endpoint.latestStatus < 400) continue;
    refusing.add(`endpoint:${endpoint.id}`);
    await fire(scope, rule, {
      subject: `endpoint:${endpoint.id}`,
      dagId: endpoint.dagId,
      dagKey: endpoint.dagKey,
      at: now,
      title: `[Baton] Webhook ${endpoint.name} of ${endpoint.dagKey} is refusing deliveries`,
      text:
        `${endpoint.refused} of ${endpoint.total} deliveries in the last ${windowMinutes} min were refused; ` +
        `the latest answered ${endpoint.latestStatus} (${endpoint.latestResult}${endpoint.latestMessage ? `: ${firstLine(endpoint.latestMessage)}` : ""}).\n` +
        appLink(`/w/${scope.workspace.slug}/webhooks`),
      trigger: {
        endpoint: { id: endpoint.id, name: endpoint.name },
        refused: endpoint.refused,
        deliveries: endpoint.total,
        windowMinutes,
        latest: { status: endpoint.latestStatus, result: endpoint.latestResult },
      },
    });
  }
  for (const open of await openSubjects(scope, rule)) {
    if (refusing.has(open.subject)) continue;
    await recover(scope, rule, {
      subject: open.subject,
      dagKey: open.dag?.key ?? null,
      at: now,
      title: `[Baton] Resolved: webhook of ${open.dag?.key ?? "a DAG"} accepts deliveries again`,
      text: `Its latest delivery was accepted, or fewer than ${refusals} were refused in the last ${windowMinutes} min.`,
      trigger: { windowMinutes },
    });
  }
}
