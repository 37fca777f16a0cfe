import { z } from "zod";
import { defineOperator, resourceName } from "../types";

const email = z.strictObject({
  channel: z.literal("email"),
  /** An SMTP connection; the platform's mailer when absent. */
  connection: resourceName.optional(),
  to: z.array(z.string().min(1)).min(1),
  subject: z.string().min(1),
  text: z.string().min(1),
});

const slack = z.strictObject({
  channel: z.literal("slack"),
  /** A Slack connection (its incoming-webhook URL stays in the connection, not in the DAG). */
  connection: resourceName,
  text: z.string().min(1),
});

const webhook = z.strictObject({
  channel: z.literal("webhook"),
  url: z.string().min(1),
  /** An HTTP connection whose credentials are added as headers. */
  connection: resourceName.optional(),
  text: z.string().optional(),
  /** A secret whose value signs the body (HMAC-SHA256), so the receiver can verify the sender. */
  hmacSecretName: resourceName.optional(),
});

export const notifyConfigSchema = z.discriminatedUnion("channel", [email, slack, webhook]);

export type NotifyConfig = z.output<typeof notifyConfigSchema>;

export const notifyOperator = defineOperator({
  name: "notify",
  title: "Notify",
  description: "Sends an e-mail, a Slack message or a webhook.",
  icon: "📣",
  docs:
    "Sends one notification on `channel`: an e-mail (`to`, `subject`, `text`), a Slack message " +
    "through a Slack connection (`text`), or a webhook: a JSON POST to `url` describing the run, " +
    "with `text`, signed with the secret named by `hmacSecretName` when given. The same config " +
    "serves a DAG's onSuccess and onFailure callbacks. Texts are templated.",
  configSchema: notifyConfigSchema,
  templatedFields: ["to", "subject", "text", "url"],
  connectionFields: { connection: ["smtp", "slack", "http"] },
  defaults: { channel: "email", to: ["team@example.com"], subject: "{{ dag.id }}", text: "Done." },
});
