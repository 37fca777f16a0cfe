// Standard Webhooks (the spec Svix and many senders implement): `webhook-id`, `webhook-timestamp`
// and `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<raw body>">`, space
// separated when several (a sender rotating its key signs with both). The secret is `whsec_` and
// the base64 of the key bytes. Svix's branded `svix-id`/`svix-timestamp`/`svix-signature` headers
// are read too. The `webhook-id` deduplicates retries (it stays the same across them).
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { anySigned, fail, freshness, hmac, ok, type Provider, toleranceOption } from "./kit";

const options = z.strictObject({ toleranceSeconds: toleranceOption });

/** The key bytes of a `whsec_<base64>` secret (the prefix is optional, as in the reference libraries). */
export function standardKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
}

const signature = (secret: string, id: string, timestamp: string, body: Buffer | string) =>
  `v1,${hmac("sha256", standardKey(secret), Buffer.concat([Buffer.from(`${id}.${timestamp}.`), Buffer.from(body)]), "base64")}`;

const header = (headers: Record<string, string>, name: string) =>
  headers[`webhook-${name}`] ?? headers[`svix-${name}`];

export const standardWebhooks: Provider<z.output<typeof options>> = {
  options,
  newSecret: () => `whsec_${randomBytes(32).toString("base64")}`,
  secretProblem(secret) {
    const base64 = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return "must be whsec_ followed by base64";
    const bytes = standardKey(secret).length;
    if (bytes < 24 || bytes > 64) return `must hold 24 to 64 key bytes (this one holds ${bytes})`;
    return undefined;
  },
  verify({ headers, body }, secrets, { toleranceSeconds }, nowMs) {
    const id = header(headers, "id");
    const timestamp = header(headers, "timestamp");
    const given = header(headers, "signature");
    if (!id || !given) return fail("no webhook-id and webhook-signature headers");
    const fresh = freshness(timestamp, toleranceSeconds, nowMs, "webhook-timestamp");
    if (!fresh.ok) return fresh;
    const signatures = given.split(" ").filter((s) => s.startsWith("v1,"));
    if (signatures.length === 0) return fail("webhook-signature has no v1 signature");
    return anySigned(secrets, signatures, (secret) => signature(secret, id, timestamp!.trim(), body))
      ? ok
      : fail("webhook-signature does not match the body");
  },
  idempotencyKey: ({ headers }) => header(headers, "id"),
  sign(secret, { body, nowMs = Date.now(), id = `msg_${randomBytes(12).toString("hex")}` }) {
    const timestamp = String(Math.floor(nowMs / 1000));
    return {
      "webhook-id": id,
      "webhook-timestamp": timestamp,
      "webhook-signature": signature(secret, id, timestamp, Buffer.from(body)),
    };
  },
};
