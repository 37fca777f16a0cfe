// Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the raw body>` under the app's client
// secret (or the store's webhook signing secret); `X-Shopify-Webhook-Id` deduplicates retries.
import { z } from "zod";
import { anySigned, fail, hmac, ok, type Provider, plainSecretProblem, randomSecret } from "./kit";

const signature = (secret: string, body: Buffer | string) => hmac("sha256", secret, body, "base64");

export const shopify: Provider<Record<string, never>> = {
  options: z.strictObject({}),
  newSecret: randomSecret,
  secretProblem: plainSecretProblem,
  verify({ headers, body }, secrets) {
    const given = headers["x-shopify-hmac-sha256"]?.trim();
    if (!given) return fail("no X-Shopify-Hmac-Sha256 header");
    return anySigned(secrets, [given], (secret) => signature(secret, body))
      ? ok
      : fail("X-Shopify-Hmac-Sha256 does not match the body");
  },
  idempotencyKey: ({ headers }) => headers["x-shopify-webhook-id"],
  sign: (secret, { body }) => ({ "x-shopify-hmac-sha256": signature(secret, Buffer.from(body)) }),
};
