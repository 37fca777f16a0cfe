import { z } from "zod";
import type { RunReach } from "../../tenancy/folders";
import { NonRetryableError, type TaskLogger } from "../execution";
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

/** The header carrying a webhook's signature: `sha256=<hex HMAC-SHA256 of the body>`. */
export const SIGNATURE_HEADER = "X-Baton-Signature";

export interface NotificationContext extends RunReach {
  signal: AbortSignal;
  log: TaskLogger;
  /**
   * What the notification is about (event, run, task…): the JSON body of a webhook, with `text`.
   * E-mail and Slack send the text alone.
   */
  about: Record<string, unknown>;
}

/**
 * Sends one notification. All HTTP goes through the guarded client and SMTP connections obey the
 * same address policy. Refusals, missing connections and permanent SMTP errors fail without retry.
 */
export async function sendNotification(config: NotifyConfig, context: NotificationContext): Promise<unknown> {
  const { signal, log } = context;
  const runtime = await import("../runtime");
  if (config.channel === "email") {
    const to = config.to.join(", ");
    if (!config.connection) {
      const { sendMail } = await import("../../mail/send");
      const sent = await sendMail({ to, subject: config.subject, text: config.text });
      if (!sent) {
        throw new NonRetryableError(
          "No SMTP connection is given and this installation has no mailer (BATON_SMTP_URL); name an SMTP connection",
        );
      }
      log.info(`e-mail "${config.subject}" sent to ${to} through the platform's mailer`);
      return { channel: "email", to: config.to };
    }
    const connection = await runtime.loadTaskConnection(context, config.connection, ["smtp"]);
    const info = await sendSmtp(connection, { to, subject: config.subject, text: config.text }, signal);
    log.info(`e-mail "${config.subject}" sent to ${to} through ${config.connection}`);
    return { channel: "email", to: config.to, messageId: info.messageId };
  }

  let request: Awaited<ReturnType<typeof runtime.prepareRequest>>;
  let body: string;
  if (config.channel === "slack") {
    const connection = await runtime.loadTaskConnection(context, config.connection, ["slack"]);
    request = {
      url: new URL(String(connection.fields.webhookUrl)),
      method: "POST",
      headers: new Headers(),
      secretValues: connection.secretValues,
    };
    body = JSON.stringify({ text: config.text });
  } else {
    request = await runtime.prepareRequest(context, {
      method: "POST",
      url: config.url,
      connection: config.connection,
      headers: {},
      query: {},
    });
    body = JSON.stringify({ ...context.about, text: config.text ?? null });
    if (config.hmacSecretName) {
      request.headers.set(SIGNATURE_HEADER, await signature(context, config.hmacSecretName, body));
    }
  }
  request.headers.set("content-type", "application/json");
  const response = await runtime.sendRequest(request, {
    body,
    signal,
    timeoutMs: 30_000,
    maxResponseBytes: 65_536,
  });
  // The Slack webhook URL is a credential: name the host only.
  const target =
    config.channel === "slack" ? request.url.host : `${request.url.origin}${request.url.pathname}`;
  if (!response.ok) {
    const message = `${config.channel} notification to ${target} answered HTTP ${response.status}: ${runtime.snippet(await response.text(), request.secretValues)}`;
    throw runtime.retryableStatus(response.status) ? new Error(message) : new NonRetryableError(message);
  }
  log.info(`${config.channel} notification sent to ${target} (HTTP ${response.status})`);
  return { channel: config.channel, status: response.status };
}

/** `sha256=<hex>`: HMAC-SHA256 of the body under the secret's value. */
async function signature(from: RunReach, secretName: string, body: string): Promise<string> {
  const [{ createHmac }, { resolveForExecution }, { systemScope }, { folderOfRun }] = await Promise.all([
    import("node:crypto"),
    import("../../config/resolve"),
    import("../../tenancy/door"),
    import("../../tenancy/folders"),
  ]);
  const resolved = await resolveForExecution(
    await systemScope(from.workspaceId),
    [{ root: "secrets", path: [secretName] }],
    { folderId: await folderOfRun(from.workspaceId, from.runId) },
  );
  const key = resolved.secrets[secretName];
  if (key === undefined)
    throw new NonRetryableError(`Secret "${secretName}" (hmacSecretName) does not exist`);
  return `sha256=${createHmac("sha256", key).update(body).digest("hex")}`;
}

/** Sends through a tenant's SMTP connection, to the address the egress policy checked. */
async function sendSmtp(
  connection: { fields: Record<string, unknown>; secretValues: string[] },
  message: { to: string; subject: string; text: string },
  signal: AbortSignal,
): Promise<{ messageId: string }> {
  const [{ default: nodemailer }, { isIP }, { checkedTcpAddress }, { maskSecrets }] = await Promise.all([
    import("nodemailer"),
    import("node:net"),
    import("../tcp-egress"),
    import("../../templating/template"),
  ]);
  const fields = connection.fields as {
    host: string;
    port?: number;
    secure?: boolean;
    user?: string;
    password?: string;
    from: string;
  };
  const port = fields.port ?? 587;
  const address = await checkedTcpAddress(fields.host, port, "SMTP");
  const transport = nodemailer.createTransport({
    host: address,
    port,
    secure: fields.secure ?? false,
    auth: fields.user ? { user: fields.user, pass: fields.password ?? "" } : undefined,
    // Connected by checked address; TLS still verifies the certificate against the host name.
    tls: isIP(fields.host) ? {} : { servername: fields.host },
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  const close = () => transport.close();
  signal.addEventListener("abort", close, { once: true });
  try {
    const info = await transport.sendMail({ from: fields.from, ...message });
    return { messageId: String(info.messageId) };
  } catch (error) {
    signal.throwIfAborted();
    const { responseCode, message: text } = error as { responseCode?: number; message?: string };
    const masked = maskSecrets(`SMTP: ${text ?? String(error)}`, connection.secretValues);
    // 5xx answers (unknown recipient, refused credentials) would be refused again.
    throw responseCode !== undefined && responseCode >= 500
      ? new NonRetryableError(masked)
      : new Error(masked);
  } finally {
    signal.removeEventListener("abort", close);
    transport.close();
  }
}

export const notifyOperator = defineOperator({
  name: "notify",
  title: "Notify",
  description: "Sends an e-mail, a Slack message or a webhook.",
  icon: "megaphone",
  docs:
    "Sends one notification on `channel`: an e-mail (`to`, `subject`, `text`) through an SMTP " +
    "connection (or the platform's mailer), a Slack message through a Slack connection (`text`), " +
    "or a webhook: a JSON POST to `url` describing the run, with `text`, signed with the secret " +
    "named by `hmacSecretName` when given (header `X-Baton-Signature: sha256=<hex>`). The same " +
    "config serves a DAG's onSuccess and onFailure callbacks. Texts are templated.",
  configSchema: notifyConfigSchema,
  templatedFields: ["to", "subject", "text", "url"],
  connectionFields: { connection: ["smtp", "slack", "http"] },
  defaults: { channel: "email", to: ["team@example.com"], subject: "{{ dag.id }}", text: "Done." },
  async execute({ config, signal, log, workspaceId, run, task }) {
    const about = {
      event: "task",
      run: { id: run.id, logicalDate: run.logicalDate.toISOString() },
      task: { id: task.id, mapIndex: task.mapIndex },
    };
    return { output: await sendNotification(config, { workspaceId, runId: run.id, signal, log, about }) };
  },
});
