// Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>">` under the app's
// signing secret, `X-Slack-Request-Timestamp` within the tolerance (Slack: five minutes). Events
// API subscriptions start with a `url_verification` request whose `challenge` must be answered;
// the event's `event_id` deduplicates Slack's retries.
import { z } from "zod";
import {
  anySigned,
  fail,
  freshness,
  hmac,
  ok,
  type Provider,
  plainSecretProblem,
  randomSecret,
  stringField,
  toleranceOption,
} from "./kit";

const options = z.strictObject({ toleranceSeconds: toleranceOption });

const signature = (secret: string, timestamp: string, body: Buffer | string) =>
  `v0=${hmac("sha256", secret, Buffer.concat([Buffer.from(`v0:${timestamp}:`), Buffer.from(body)]), "hex")}`;

export const slack: Provider<z.output<typeof options>> = {
  options,
  newSecret: randomSecret,
  secretProblem: plainSecretProblem,
  verify({ headers, body }, secrets, { toleranceSeconds }, nowMs) {
    const given = headers["x-slack-signature"]?.trim();
    const timestamp = headers["x-slack-request-timestamp"]?.trim();
    if (!given) return fail("no X-Slack-Signature header");
    const fresh = freshness(timestamp, toleranceSeconds, nowMs, "X-Slack-Request-Timestamp");
    if (!fresh.ok) return fresh;
    return anySigned(secrets, [given], (secret) => signature(secret, timestamp!, body))
      ? ok
      : fail("X-Slack-Signature does not match the body");
  },
  idempotencyKey: (_request, document) => stringField(document, "event_id"),
  challenge(document) {
    if (stringField(document, "type") !== "url_verification") return undefined;
    const challenge = stringField(document, "challenge");
    return challenge ? { status: 200, body: { challenge } } : undefined;
  },
  sign(secret, { body, nowMs = Date.now() }) {
    const timestamp = String(Math.floor(nowMs / 1000));
    return {
      "x-slack-request-timestamp": timestamp,
      "x-slack-signature": signature(secret, timestamp, Buffer.from(body)),
    };
  },
};
