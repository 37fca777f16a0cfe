// Incidents and throttling: the one place that decides whether an event becomes a message.
//
// An incident is a rule's condition holding for one subject (a DAG, or a webhook endpoint): the
// first event opens it, later ones are counted into it, and the recovery closes it. Concurrent
// events of one rule and subject meet on the open incident's unique index (INSERT … ON CONFLICT DO
// UPDATE locks its row), so they are decided one after the other: of a hundred runs failing at
// once, one sends and ninety-nine are counted.
//
// Throttling: at most one firing or reminder message per rule and subject per throttleMinutes,
// across incidents (a flapping DAG does not send one per flap). A message held back is counted in
// its incident; when the interval has passed and the condition still holds, the next event sends a
// reminder with the count. A recovery sends "resolved" only for an incident whose firing went out.
// While a rule is muted, its messages are recorded with state `muted` and not sent; they do not
// count for the throttle.
//
// A message is an Alert row and an `alerts:deliver` job, added in the same transaction.
import { env } from "@/server/config";
import { enqueue } from "@/server/jobs/catalog";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { type Sql, workspaceSql } from "@/server/tenancy/workspace-sql";
import { type AlertChannel, channelTarget } from "./channels";

export interface AlertingRule {
  id: string;
  name: string;
  kind: string;
  throttleMinutes: number;
  mutedUntil: Date | null;
  channels: unknown;
}

export interface AlertMessage {
  title: string;
  text: string;
  /** What triggered it, listed with the alert: run, tasks, SLA miss, endpoint… */
  trigger: Record<string, unknown>;
  runId?: string | null;
}

export interface AlertEvent extends AlertMessage {
  /** `dag:<id>` or `endpoint:<id>`: throttling and incidents are per rule and subject. */
  subject: string;
  dagId: string | null;
  dagKey: string | null;
  /**
   * When it happened, for ordering against the recovery (a run's queuedAt; a check's time): a
   * recovery older than the incident's latest event does not close it.
   */
  at: Date;
}

/** One entry per channel of the rule: where it goes and how it went. */
export interface Delivery {
  channel: AlertChannel;
  target: string;
  state: "pending" | "sent" | "failed" | "muted";
  error?: string;
  at?: string;
}

export type Outcome = "sent" | "muted" | "throttled";
/** firing (an incident opened), reminder (still firing after the throttle interval), resolved. */
export type AlertType = "firing" | "reminder" | "resolved";
/** How an alert's channels took it: all (sent), none for good (failed), some (partial). */
export type AlertState = "pending" | "sent" | "partial" | "failed" | "muted";

/** A link into the web app: absolute when the public URL is known (e-mails, Slack), else a path. */
export function appLink(path: string): string {
  const base = env.NEXTAUTH_URL?.replace(/\/$/, "");
  return base ? `${base}${path}` : path;
}

const isMuted = (rule: AlertingRule) => rule.mutedUntil !== null && rule.mutedUntil > new Date();

/** Counts an event of a rule, opening its incident if none is open; sends unless throttled. */
export async function fire(scope: WorkspaceScope, rule: AlertingRule, event: AlertEvent): Promise<Outcome> {
  return workspaceSql(scope).transaction(async (sql) => {
    const { rows } = await sql.query<{ id: string; events: number; notified: boolean; openedAt: Date }>(
      `INSERT INTO "AlertIncident" (id, "workspaceId", "ruleId", subject, "dagId", "lastEventAt")
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5)
       ON CONFLICT ("ruleId", subject) WHERE "resolvedAt" IS NULL DO UPDATE
         SET events = "AlertIncident".events + 1,
             "lastEventAt" = greatest("AlertIncident"."lastEventAt", excluded."lastEventAt")
       RETURNING id, events, notified, "openedAt"`,
      [scope.workspace.id, rule.id, event.subject, event.dagId, event.at],
    );
    const incident = rows[0]!;
    const { rows: recent } = await sql.query<{ throttled: boolean }>(
      `SELECT coalesce(now() - max("createdAt") < make_interval(mins => $4), false) AS throttled
       FROM "Alert" WHERE "workspaceId" = $1 AND "ruleId" = $2 AND subject = $3
         AND type <> 'resolved' AND state <> 'muted'`,
      [scope.workspace.id, rule.id, event.subject, rule.throttleMinutes],
    );
    if (recent[0]?.throttled) return "throttled";
    const muted = isMuted(rule);
    const reminder = incident.notified;
    const message = reminder
      ? {
          ...event,
          title: `${event.title} (still, ${incident.events} times)`,
          text: `${event.text}\n\n${incident.events} events since ${incident.openedAt.toISOString()}, when this first fired.`,
          trigger: { ...event.trigger, events: incident.events, since: incident.openedAt.toISOString() },
        }
      : event;
    await addAlert(sql, scope, rule, {
      ...message,
      incidentId: incident.id,
      type: reminder ? "reminder" : "firing",
      subject: event.subject,
      dagId: event.dagId,
      dagKey: event.dagKey,
      muted,
    });
    if (!muted)
      await sql.query(`UPDATE "AlertIncident" SET notified = true WHERE id = $1 AND "workspaceId" = $2`, [
        incident.id,
        scope.workspace.id,
      ]);
    return muted ? "muted" : "sent";
  });
}

/**
 * Closes the rule's open incident for `subject` (unless an event newer than `at` holds it open),
 * sending "resolved" if its firing went out. Answers whether it closed one.
 */
export async function recover(
  scope: WorkspaceScope,
  rule: AlertingRule,
  recovery: { subject: string; dagKey: string | null; at: Date } & AlertMessage,
): Promise<boolean> {
  return workspaceSql(scope).transaction(async (sql) => {
    const { rows } = await sql.query<{
      id: string;
      notified: boolean;
      events: number;
      openedAt: Date;
      dagId: string | null;
    }>(
      `UPDATE "AlertIncident" SET "resolvedAt" = now()
       WHERE "workspaceId" = $1 AND "ruleId" = $2 AND subject = $3 AND "resolvedAt" IS NULL AND "lastEventAt" <= $4
       RETURNING id, notified, events, "openedAt", "dagId"`,
      [scope.workspace.id, rule.id, recovery.subject, recovery.at],
    );
    const incident = rows[0];
    if (!incident) return false;
    if (incident.notified) {
      await addAlert(sql, scope, rule, {
        ...recovery,
        trigger: { ...recovery.trigger, events: incident.events, since: incident.openedAt.toISOString() },
        incidentId: incident.id,
        type: "resolved",
        dagId: incident.dagId,
        muted: isMuted(rule),
      });
    }
    return true;
  });
}

/** Records one message and, unless muted, queues its delivery (same transaction). */
async function addAlert(
  sql: Sql,
  scope: WorkspaceScope,
  rule: AlertingRule,
  alert: AlertMessage & {
    incidentId: string;
    type: AlertType;
    subject: string;
    dagId: string | null;
    dagKey: string | null;
    muted: boolean;
  },
): Promise<void> {
  const deliveries: Delivery[] = (rule.channels as AlertChannel[]).map((channel) => ({
    channel,
    target: channelTarget(channel),
    state: alert.muted ? "muted" : "pending",
  }));
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO "Alert" (id, "workspaceId", "ruleId", "incidentId", "ruleName", "ruleKind", type, subject, "dagId",
       "dagKey", "runId", title, text, trigger, deliveries, state)
     VALUES (gen_random_uuid(), $1, $2, $3, $4, $5::"AlertRuleKind", $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14::jsonb, $15)
     RETURNING id`,
    [
      scope.workspace.id,
      rule.id,
      alert.incidentId,
      rule.name,
      rule.kind,
      alert.type,
      alert.subject,
      alert.dagId,
      alert.dagKey,
      alert.runId ?? null,
      alert.title,
      alert.text,
      JSON.stringify(alert.trigger),
      JSON.stringify(deliveries),
      alert.muted ? "muted" : "pending",
    ],
  );
  if (!alert.muted) {
    const alertId = rows[0]!.id;
    await enqueue(
      sql,
      "alerts:deliver",
      { alertId, workspaceId: scope.workspace.id },
      { jobKey: `alerts:deliver:${alertId}` },
    );
  }
}
