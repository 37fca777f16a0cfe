// Where an alert rule's messages go. E-mail, Slack and webhook are the notify operator's channels,
// sent by its own code (sendNotification: SMTP connections under the egress policy, HTTP through the
// guarded client, webhooks signed with a secret); in-app is a notification for the workspace's
// members (the bell), by role. What a rule names is checked when the rule is saved, and again
// when a message is sent (a connection deleted since fails that channel with a clear reason).
import { z } from "zod";
import { roles } from "@/server/tenancy/roles";
import type { NotifyConfig } from "../operators/definitions/notify";
import { resourceName } from "../operators/types";

const emailChannel = z.strictObject({
  channel: z.literal("email"),
  to: z
    .array(z.email({ error: "must be an e-mail address" }))
    .min(1, "name at least one address")
    .max(20, "at most 20 addresses"),
  /** An SMTP connection; the platform's mailer when absent. */
  connection: resourceName.optional(),
});

const slackChannel = z.strictObject({
  channel: z.literal("slack"),
  /** A Slack connection (its incoming-webhook URL stays in the connection). */
  connection: resourceName,
});

const webhookChannel = z.strictObject({
  channel: z.literal("webhook"),
  /** An absolute URL, or a path under the HTTP connection's base URL. */
  url: z.string().min(1, "is required").max(2000),
  connection: resourceName.optional(),
  /** A secret whose value signs the body (X-Baton-Signature: sha256=<hex>). */
  hmacSecretName: resourceName.optional(),
});

const inAppChannel = z.strictObject({
  channel: z.literal("in_app"),
  /** Members of these roles are notified (every member when absent). */
  roles: z.array(z.enum(roles)).min(1).optional(),
});

export const alertChannelSchema = z.discriminatedUnion("channel", [
  emailChannel,
  slackChannel,
  webhookChannel,
  inAppChannel,
]);
export type AlertChannel = z.output<typeof alertChannelSchema>;

export const alertChannelsSchema = z
  .array(alertChannelSchema)
  .min(1, "add at least one channel")
  .max(10, "at most 10 channels");

/** Who or what a channel reaches, for the list of alerts sent (never a credential). */
export function channelTarget(channel: AlertChannel): string {
  switch (channel.channel) {
    case "email":
      return channel.to.join(", ");
    case "slack":
      return `Slack (${channel.connection})`;
    case "webhook":
      return channel.connection ? `${channel.connection}: ${channel.url}` : channel.url;
    case "in_app":
      return channel.roles ? `members (${channel.roles.map((r) => r.toLowerCase()).join(", ")})` : "members";
  }
}

/** The connection type each channel may name. */
export const connectionTypeOf = { email: "smtp", slack: "slack", webhook: "http" } as const;

/** The notify operator's config sending `message` on an external channel. */
export function notifyConfigOf(
  channel: Exclude<AlertChannel, { channel: "in_app" }>,
  message: { title: string; text: string },
): NotifyConfig {
  switch (channel.channel) {
    case "email":
      return {
        channel: "email",
        to: channel.to,
        connection: channel.connection,
        subject: message.title,
        text: message.text,
      };
    case "slack":
      return {
        channel: "slack",
        connection: channel.connection,
        text: `*${message.title}*\n${message.text}`,
      };
    case "webhook":
      return {
        channel: "webhook",
        url: channel.url,
        connection: channel.connection,
        hmacSecretName: channel.hmacSecretName,
        text: `${message.title}\n${message.text}`,
      };
  }
}

/** The secrets and connections a rule's channels reach, to mask what their sending reports. */
export function channelReach(channels: AlertChannel[]) {
  const secrets = new Set<string>();
  const connections = new Set<string>();
  for (const channel of channels) {
    if ("connection" in channel && channel.connection) connections.add(channel.connection);
    if (channel.channel === "webhook" && channel.hmacSecretName) secrets.add(channel.hmacSecretName);
  }
  return { secrets: [...secrets], connections: [...connections] };
}
