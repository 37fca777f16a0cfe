// Alert rules of a workspace: what to watch (a kind with its settings, on one DAG or every DAG),
// where to send (channels.ts), how often at most (throttleMinutes, per rule and DAG), and
// muting. At most the plan's maxAlertRules rules per workspace.
//
// Kinds: run_failed (a run failed; recovers when one succeeds), sla_miss (an SLA was missed;
// recovers when a run succeeds without a miss), consecutive_failures (the last `count` runs
// failed), task_long_running (a task has run longer than `factor` × the p95 of its last successful
// durations), webhook_refusing (a webhook endpoint refused at least `refusals` deliveries in the
// last `windowMinutes` and its latest delivery too).
import { z } from "zod";
import type { AlertRuleKind } from "@/prisma/generated/enums";
import { AppError, notFound, type Problem } from "@/server/errors";
import { keyset, type PageInput } from "@/server/pagination";
import { quotaReached } from "@/server/quotas/limits";
import { lockWorkspaceQuotas, type WorkspaceScope } from "@/server/tenancy/door";
import { type AlertChannel, connectionTypeOf } from "./channels";

export const alertRuleKinds = [
  "run_failed",
  "sla_miss",
  "consecutive_failures",
  "task_long_running",
  "webhook_refusing",
] as const satisfies readonly AlertRuleKind[];

/** The settings each kind takes, with their defaults. */
export const settingsOfKind = {
  run_failed: {},
  sla_miss: {},
  consecutive_failures: { count: 3 },
  task_long_running: { factor: 2, minSamples: 5 },
  webhook_refusing: { refusals: 5, windowMinutes: 15 },
} as const satisfies Record<AlertRuleKind, Record<string, number>>;

export const ruleSettingsSchema = z.strictObject({
  count: z
    .int("must be a whole number")
    .min(2, "must be at least 2")
    .max(100, "must be at most 100")
    .optional()
    .describe("consecutive_failures: failed runs in a row (default 3)"),
  factor: z
    .number()
    .min(1, "must be at least 1")
    .max(100, "must be at most 100")
    .optional()
    .describe(
      "task_long_running: alert past this many times the p95 of the task's recent durations (default 2)",
    ),
  minSamples: z
    .int("must be a whole number")
    .min(3, "must be at least 3")
    .max(100, "must be at most 100")
    .optional()
    .describe(
      "task_long_running: successful runs of the task needed before its usual duration counts (default 5)",
    ),
  refusals: z
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(10_000, "must be at most 10000")
    .optional()
    .describe("webhook_refusing: refused deliveries within the window (default 5)"),
  windowMinutes: z
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(1440, "must be at most 1440")
    .optional()
    .describe("webhook_refusing: the window, in minutes (default 15)"),
});
export type RuleSettingsInput = z.output<typeof ruleSettingsSchema>;

export interface RuleSettings {
  count?: number;
  factor?: number;
  minSamples?: number;
  refusals?: number;
  windowMinutes?: number;
}

/** The kind's settings, defaults filled in; a setting of another kind is a problem on its field. */
export function settingsFor(kind: AlertRuleKind, input: RuleSettingsInput = {}): RuleSettings {
  const defaults: RuleSettings = settingsOfKind[kind];
  const wrong = Object.keys(input).filter(
    (key) => input[key as keyof RuleSettingsInput] !== undefined && !(key in defaults),
  );
  if (wrong.length > 0) {
    throw new AppError(
      "BAD_REQUEST",
      `${kind} rules take ${Object.keys(defaults).join(", ") || "no settings"}`,
      wrong.map((key) => ({ path: `settings.${key}`, message: `is not a setting of ${kind} rules` })),
    );
  }
  return Object.fromEntries(
    Object.entries(defaults).map(([key, value]) => [key, input[key as keyof RuleSettingsInput] ?? value]),
  );
}

export const throttleMinutesSchema = z
  .int("must be a whole number of minutes")
  .min(1, "must be at least 1 minute")
  .max(10_080, "must be at most 10080 minutes (7 days)");

export interface AlertRuleInput {
  name: string;
  kind: AlertRuleKind;
  dagId?: string | null | undefined;
  settings?: RuleSettingsInput | undefined;
  channels: AlertChannel[];
  throttleMinutes: number;
  enabled: boolean;
}

const select = {
  id: true,
  name: true,
  kind: true,
  settings: true,
  channels: true,
  throttleMinutes: true,
  enabled: true,
  mutedUntil: true,
  createdAt: true,
  updatedAt: true,
  dag: { select: { key: true } },
} as const;

type Row = {
  id: string;
  name: string;
  kind: AlertRuleKind;
  settings: unknown;
  channels: unknown;
  throttleMinutes: number;
  enabled: boolean;
  mutedUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
  dag: { key: string } | null;
};

function present(row: Row, openIncidents: number) {
  const { dag, settings, channels, ...rest } = row;
  return {
    ...rest,
    dagId: dag?.key ?? null,
    settings: settings as RuleSettings,
    channels: channels as AlertChannel[],
    muted: row.mutedUntil !== null && row.mutedUntil > new Date(),
    openIncidents,
  };
}

export type AlertRuleView = ReturnType<typeof present>;

async function openIncidentCounts(scope: WorkspaceScope, ruleIds: string[]) {
  if (ruleIds.length === 0) return new Map<string, number>();
  const groups = await scope.db.alertIncident.groupBy({
    by: ["ruleId"],
    where: { ruleId: { in: ruleIds }, resolvedAt: null },
    _count: { _all: true },
  });
  return new Map(groups.map((g) => [g.ruleId, g._count._all]));
}

const rulesOrder = keyset([["name", "asc"]]);

export async function listAlertRules(
  scope: WorkspaceScope,
  input: PageInput & { dagKey?: string | undefined },
) {
  if (input.dagKey && !(await scope.db.dag.count({ where: { key: input.dagKey } }))) throw notFound("DAG");
  const page = await rulesOrder.page(input, ({ where, ...query }) =>
    scope.db.alertRule.findMany({
      ...query,
      where: { ...(input.dagKey ? { dag: { key: input.dagKey } } : {}), ...where },
      select,
    }),
  );
  const open = await openIncidentCounts(
    scope,
    page.items.map((r) => r.id),
  );
  return { items: page.items.map((row) => present(row, open.get(row.id) ?? 0)), nextCursor: page.nextCursor };
}

export async function getAlertRule(scope: WorkspaceScope, ruleId: string): Promise<AlertRuleView> {
  const row = await scope.db.alertRule.findFirst({ where: { id: ruleId }, select });
  if (!row) throw notFound("Alert rule");
  return present(row, (await openIncidentCounts(scope, [row.id])).get(row.id) ?? 0);
}

/** The DAG a rule watches, by key (null: every DAG); an unknown key is NOT_FOUND, naming dagId. */
async function dagOf(scope: WorkspaceScope, key: string | null | undefined): Promise<string | null> {
  if (!key) return null;
  const dag = await scope.db.dag.findFirst({ where: { key }, select: { id: true } });
  if (!dag) {
    throw new AppError("NOT_FOUND", `There is no DAG "${key}" in this workspace`, [
      { path: "dagId", message: `no DAG "${key}" in this workspace` },
    ]);
  }
  return dag.id;
}

/** Connections of the right type and signing secrets that exist, or a problem naming each field. */
async function checkChannels(scope: WorkspaceScope, channels: AlertChannel[]): Promise<void> {
  const names = channels.flatMap((c) => ("connection" in c && c.connection ? [c.connection] : []));
  const secretNames = channels.flatMap((c) =>
    c.channel === "webhook" && c.hmacSecretName ? [c.hmacSecretName] : [],
  );
  const [connections, secrets] = await Promise.all([
    names.length > 0
      ? scope.db.connection.findMany({ where: { name: { in: names } }, select: { name: true, type: true } })
      : [],
    secretNames.length > 0
      ? scope.db.secret.findMany({ where: { name: { in: secretNames } }, select: { name: true } })
      : [],
  ]);
  const typeOf = new Map(connections.map((c) => [c.name, c.type as string]));
  const problems: Problem[] = [];
  channels.forEach((channel, i) => {
    if (channel.channel === "in_app") return;
    if (channel.connection) {
      const wanted = connectionTypeOf[channel.channel];
      const type = typeOf.get(channel.connection);
      if (!type)
        problems.push({ path: `channels.${i}.connection`, message: `no connection "${channel.connection}"` });
      else if (type !== wanted)
        problems.push({
          path: `channels.${i}.connection`,
          message: `"${channel.connection}" is a ${type} connection; ${channel.channel} needs ${wanted}`,
        });
    }
    if (
      channel.channel === "webhook" &&
      channel.hmacSecretName &&
      !secrets.some((s) => s.name === channel.hmacSecretName)
    ) {
      problems.push({
        path: `channels.${i}.hmacSecretName`,
        message: `no secret "${channel.hmacSecretName}"`,
      });
    }
    if (channel.channel === "webhook" && !channel.connection && !URL.canParse(channel.url)) {
      problems.push({
        path: `channels.${i}.url`,
        message: "must be an absolute URL (or a path with a connection)",
      });
    }
  });
  if (problems.length > 0)
    throw new AppError("BAD_REQUEST", "A channel names something that does not fit", problems);
}

const nameTaken = (name: string) =>
  new AppError("CONFLICT", `An alert rule named "${name}" already exists`, [
    { path: "name", message: "Already exists; choose another name or edit that rule" },
  ]);

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === "P2002";

export async function createAlertRule(scope: WorkspaceScope, input: AlertRuleInput): Promise<AlertRuleView> {
  const settings = settingsFor(input.kind, input.settings);
  const dagId = await dagOf(scope, input.dagId);
  await checkChannels(scope, input.channels);
  const id = await scope.db
    .$transaction(async (tx) => {
      // Counted under the Workspace row's lock: concurrent creations cannot pass the quota together.
      const { maxAlertRules } = await lockWorkspaceQuotas(tx, scope.workspace.id);
      const used = await tx.alertRule.count();
      if (used >= maxAlertRules) {
        throw quotaReached(
          "maxAlertRules",
          { used, limit: maxAlertRules, noun: "alert rules" },
          "Delete a rule it no longer needs, or ask for a larger plan.",
        );
      }
      const rule = await tx.alertRule.create({
        data: {
          workspaceId: scope.workspace.id,
          name: input.name,
          kind: input.kind,
          dagId,
          settings: settings as object,
          channels: input.channels as object[],
          throttleMinutes: input.throttleMinutes,
          enabled: input.enabled,
        },
        select: { id: true },
      });
      return rule.id;
    })
    .catch((error: unknown) => {
      throw isUniqueViolation(error) ? nameTaken(input.name) : error;
    });
  await scope.audit("alert_rule.create", input.name, { kind: input.kind, dagId: input.dagId ?? null });
  return getAlertRule(scope, id);
}

export async function updateAlertRule(
  scope: WorkspaceScope,
  input: Partial<Omit<AlertRuleInput, "kind">> & { ruleId: string },
): Promise<AlertRuleView> {
  const rule = await scope.db.alertRule.findFirst({
    where: { id: input.ruleId },
    select: { kind: true, name: true },
  });
  if (!rule) throw notFound("Alert rule");
  const settings = input.settings !== undefined ? settingsFor(rule.kind, input.settings) : undefined;
  const dagId = input.dagId !== undefined ? await dagOf(scope, input.dagId) : undefined;
  if (input.channels) await checkChannels(scope, input.channels);
  await scope.db.alertRule
    .updateMany({
      where: { id: input.ruleId },
      data: {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(dagId !== undefined ? { dagId } : {}),
        ...(settings !== undefined ? { settings: settings as object } : {}),
        ...(input.channels !== undefined ? { channels: input.channels as object[] } : {}),
        ...(input.throttleMinutes !== undefined ? { throttleMinutes: input.throttleMinutes } : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
      },
    })
    .catch((error: unknown) => {
      throw isUniqueViolation(error) ? nameTaken(input.name ?? rule.name) : error;
    });
  const fields = Object.keys(input).filter((key) => key !== "ruleId");
  await scope.audit("alert_rule.update", input.name ?? rule.name, { fields });
  return getAlertRule(scope, input.ruleId);
}

/** Deletes a rule and its open incidents; the alerts it sent stay listed, under its name. */
export async function deleteAlertRule(scope: WorkspaceScope, ruleId: string): Promise<void> {
  const rule = await scope.db.alertRule.findFirst({ where: { id: ruleId }, select: { name: true } });
  if (!rule) throw notFound("Alert rule");
  await scope.db.alertRule.deleteMany({ where: { id: ruleId } });
  await scope.audit("alert_rule.delete", rule.name);
}

/**
 * Mutes a rule for `minutes` (or unmutes it with null): while muted it keeps watching, and what it
 * would have sent is listed as muted instead of sent.
 */
export async function muteAlertRule(
  scope: WorkspaceScope,
  input: { ruleId: string; minutes: number | null },
): Promise<AlertRuleView> {
  const mutedUntil = input.minutes === null ? null : new Date(Date.now() + input.minutes * 60_000);
  const { count } = await scope.db.alertRule.updateMany({
    where: { id: input.ruleId },
    data: { mutedUntil },
  });
  if (count === 0) throw notFound("Alert rule");
  const rule = await getAlertRule(scope, input.ruleId);
  await scope.audit(input.minutes === null ? "alert_rule.unmute" : "alert_rule.mute", rule.name, {
    mutedUntil: mutedUntil?.toISOString() ?? null,
  });
  return rule;
}
