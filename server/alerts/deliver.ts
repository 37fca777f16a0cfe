// `alerts:deliver`: sends one alert on each of its channels and records how each went on the Alert
// row. E-mail, Slack and webhooks go through the notify operator's own sending (guarded HTTP,
// SMTP under the egress policy, signed webhooks); in-app writes the members' notifications. A
// channel that fails in a way another try may cure is tried again later (only that channel), a few
// times; errors are recorded masked with every secret the channels reach.
import { z } from "zod";
import { reachableSecretValues } from "@/server/config/resolve";
import { enqueue, type JobPayload } from "@/server/jobs/catalog";
import { log } from "@/server/observability/logger";
import { sendNotification } from "@/server/operators/definitions/notify";
import { NonRetryableError } from "@/server/operators/execution";
import { SecretMask } from "@/server/secrets/mask";
import { systemScope, type WorkspaceScope } from "@/server/tenancy/door";
import { workspaceSql } from "@/server/tenancy/workspace-sql";
import { type AlertChannel, channelReach, notifyConfigOf } from "./channels";
import type { Delivery } from "./incidents";

const MAX_ROUNDS = 4;
const FIRST_RETRY_SECONDS = 30;
const SEND_TIMEOUT_MS = 60_000;
const MAX_ERROR_CHARS = 1000;
/** The body of an in-app notification is cut here (the alert itself keeps the whole text). */
const NOTIFICATION_BODY_CHARS = 2000;

export async function deliverAlert(payload: JobPayload<"alerts:deliver">): Promise<void> {
  const scope = await systemScope(payload.workspaceId);
  const alert = await scope.db.alert.findUnique({
    where: { id: payload.alertId },
    select: {
      id: true,
      type: true,
      ruleId: true,
      ruleName: true,
      ruleKind: true,
      dagKey: true,
      runId: true,
      title: true,
      text: true,
      trigger: true,
      deliveries: true,
      createdAt: true,
    },
  });
  if (!alert) return; // deleted with its workspace
  const deliveries = alert.deliveries as unknown as Delivery[];
  const indexes = (payload.only ?? deliveries.map((_, i) => i)).filter(
    (i) => deliveries[i] && deliveries[i].state !== "sent",
  );
  if (indexes.length === 0) return;
  const channels = indexes.map((i) => deliveries[i]!.channel);
  const mask = new SecretMask(await reachableSecretValues(scope, channelReach(channels)));
  const about = {
    event: `alert.${alert.type}`,
    alert: {
      id: alert.id,
      type: alert.type,
      rule: { id: alert.ruleId, name: alert.ruleName, kind: alert.ruleKind },
      dag: alert.dagKey ? { id: alert.dagKey } : null,
      runId: alert.runId,
      title: alert.title,
      trigger: alert.trigger,
      createdAt: alert.createdAt.toISOString(),
    },
  };

  const retry: number[] = [];
  for (const index of indexes) {
    const delivery = deliveries[index]!;
    try {
      await send(scope, delivery.channel, alert, about);
      deliveries[index] = { ...delivery, state: "sent", at: new Date().toISOString(), error: undefined };
    } catch (error) {
      const message = mask
        .text(error instanceof Error ? error.message : String(error))
        .slice(0, MAX_ERROR_CHARS);
      const permanent = error instanceof NonRetryableError || error instanceof z.ZodError;
      const again = !permanent && payload.round < MAX_ROUNDS;
      if (again) retry.push(index);
      deliveries[index] = {
        ...delivery,
        state: again ? "pending" : "failed",
        at: new Date().toISOString(),
        error: again ? `${message} (will try again)` : message,
      };
      log.warn({ alertId: alert.id, channel: delivery.channel.channel }, `alert delivery failed: ${message}`);
    }
  }
  await workspaceSql(scope).transaction(async (sql) => {
    await sql.query(
      `UPDATE "Alert" SET deliveries = $3::jsonb, state = $4 WHERE id = $1 AND "workspaceId" = $2`,
      [alert.id, scope.workspace.id, JSON.stringify(deliveries), stateOf(deliveries)],
    );
    if (retry.length > 0) {
      await enqueue(
        sql,
        "alerts:deliver",
        { ...payload, only: retry, round: payload.round + 1 },
        { runAt: new Date(Date.now() + FIRST_RETRY_SECONDS * 1000 * 2 ** payload.round), maxAttempts: 1 },
      );
    }
  });
}

/** sent (every channel took it), failed (none did, for good), partial, or pending (retries due). */
function stateOf(deliveries: Delivery[]): string {
  if (deliveries.every((d) => d.state === "sent")) return "sent";
  if (deliveries.some((d) => d.state === "pending")) return "pending";
  return deliveries.some((d) => d.state === "sent") ? "partial" : "failed";
}

async function send(
  scope: WorkspaceScope,
  channel: AlertChannel,
  alert: { title: string; text: string; runId: string | null; dagKey: string | null },
  about: Record<string, unknown>,
): Promise<void> {
  if (channel.channel === "in_app") {
    const members = await scope.db.membership.findMany({
      where: channel.roles ? { role: { in: channel.roles } } : {},
      select: { userId: true },
    });
    const link = alert.runId
      ? `/w/${scope.workspace.slug}/runs/${alert.runId}`
      : `/w/${scope.workspace.slug}/alerts`;
    await scope.db.notification.createMany({
      data: members.map((m) => ({
        workspaceId: scope.workspace.id,
        userId: m.userId,
        kind: "alert",
        title: alert.title.replace(/^\[Baton\] /, ""),
        body: alert.text.slice(0, NOTIFICATION_BODY_CHARS),
        link,
      })),
    });
    return;
  }
  const config = notifyConfigOf(channel, alert);
  await sendNotification(config, {
    workspaceId: scope.workspace.id,
    // A workspace alert serves no DAG: it reaches the root's connections and secrets only.
    runId: null,
    signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    log: { info: () => {}, warn: () => {}, error: () => {} },
    about,
  });
}
