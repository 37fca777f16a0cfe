// Baton's own signature: `X-Baton-Signature: t=<unix seconds>,v1=<hex>`, the hex HMAC-SHA256 of
// `<t>.<raw body>` (Stripe's scheme, in our header); several v1 may be sent. Refused when t is
// further than the tolerance from our clock, so a captured request cannot be replayed later.
import { z } from "zod";
import { type Provider, plainSecretProblem, randomSecret, toleranceOption } from "./kit";
import { timestampedHex, verifyTimestamped } from "./stripe";

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
  verify: ({ headers, body }, secrets, { toleranceSeconds }, nowMs) =>
    verifyTimestamped(
      "X-Baton-Signature",
      headers["x-baton-signature"],
      secrets,
      body,
      toleranceSeconds,
      nowMs,
    ),
  sign: (secret, { body, nowMs = Date.now() }) => ({
    "x-baton-signature": signBody(secret, body, Math.floor(nowMs / 1000)),
  }),
};
