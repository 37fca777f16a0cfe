// Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, the hex HMAC-SHA256 of
// `<t>.<raw body>` under the endpoint's signing secret (whsec_…); several v1 while Stripe rolls a
// secret; v0 (test mode's fake) is ignored. Refused when t is further than the tolerance from our
// clock (Stripe's libraries: 300 s). The event's `id` deduplicates retries.
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
  type Verdict,
} from "./kit";

const options = z.strictObject({ toleranceSeconds: toleranceOption });

/** `t=…,v1=…` as a list of [key, value]. */
export function signatureHeaderParts(header: string): Array<[string, string]> {
  return header.split(",").flatMap((part) => {
    const at = part.indexOf("=");
    return at > 0 ? [[part.slice(0, at).trim(), part.slice(at + 1).trim()] as [string, string]] : [];
  });
}

export const timestampedHex = (secret: string, t: string, body: Buffer | string) =>
  hmac("sha256", secret, Buffer.concat([Buffer.from(`${t}.`), Buffer.from(body)]), "hex");

/** Checks a `t=…,v1=…[,v1=…]` header (Stripe's scheme; Baton's own uses it in X-Baton-Signature). */
export function verifyTimestamped(
  name: string,
  header: string | undefined,
  secrets: string[],
  body: Buffer,
  toleranceSeconds: number,
  nowMs: number,
): Verdict {
  if (!header) return fail(`no ${name} header`);
  const parts = signatureHeaderParts(header);
  const t = parts.find(([key]) => key === "t")?.[1];
  const signatures = parts.filter(([key, value]) => key === "v1" && value).map(([, value]) => value);
  if (!t || signatures.length === 0) return fail(`${name} is not t=<unix seconds>,v1=<hex>`);
  const fresh = freshness(t, toleranceSeconds, nowMs, `${name}'s timestamp`);
  if (!fresh.ok) return fresh;
  return anySigned(secrets, signatures, (secret) => timestampedHex(secret, t, body))
    ? ok
    : fail(`${name} does not match the body`);
}

export const stripe: Provider<z.output<typeof options>> = {
  options,
  newSecret: randomSecret,
  secretProblem: plainSecretProblem,
  verify: ({ headers, body }, secrets, { toleranceSeconds }, nowMs) =>
    verifyTimestamped(
      "Stripe-Signature",
      headers["stripe-signature"],
      secrets,
      body,
      toleranceSeconds,
      nowMs,
    ),
  idempotencyKey: (_request, document) => stringField(document, "id"),
  sign(secret, { body, nowMs = Date.now() }) {
    const t = String(Math.floor(nowMs / 1000));
    return { "stripe-signature": `t=${t},v1=${timestampedHex(secret, t, body)}` };
  },
};
