// Baton's own signature: `X-Baton-Signature: t=<unix seconds>,v1=<hex>`, the hex HMAC-SHA256 of
// `<t>.<raw body>` (Stripe's scheme, in our header); several v1 may be sent. Refused when t is
// further than the tolerance from our clock, so a captured request cannot be replayed later.
import { z } from "zod";
import {
  anySigned,
  fail,
  freshness,
  ok,
  type Provider,
  plainSecretProblem,
  randomSecret,
  toleranceOption,
} from "./kit";
import { signatureHeaderParts, timestampedHex } from "./stripe";

const options = z.strictObject({ toleranceSeconds: toleranceOption });

/** The X-Baton-Signature header for a body, as a sender computes it. */
export function signBody(
  secret: string,
  body: Buffer | string,
  timestamp = Math.floor(Date.now() / 1000),
): string {
  return `t=${timestamp},v1=${timestampedHex(secret, String(timestamp), body)}`;
}

export const batonHmac: Provider<z.output<typeof options>> = {
  options,
  newSecret: randomSecret,
  secretProblem: plainSecretProblem,
  verify({ headers, body }, secrets, { toleranceSeconds }, nowMs) {
    const header = headers["x-baton-signature"];
    if (!header) return fail("no X-Baton-Signature header");
    const parts = signatureHeaderParts(header);
    const t = parts.find(([key]) => key === "t")?.[1];
    const signatures = parts.filter(([key, value]) => key === "v1" && value).map(([, value]) => value);
    if (!t || signatures.length === 0) return fail("X-Baton-Signature is not t=<unix seconds>,v1=<hex>");
    const fresh = freshness(t, toleranceSeconds, nowMs, "signature timestamp");
    if (!fresh.ok) return fresh;
    return anySigned(secrets, signatures, (secret) => timestampedHex(secret, t, body))
      ? ok
      : fail("X-Baton-Signature does not match the body");
  },
  sign: (secret, { body, nowMs = Date.now() }) => ({
    "x-baton-signature": signBody(secret, body, Math.floor(nowMs / 1000)),
  }),
};
