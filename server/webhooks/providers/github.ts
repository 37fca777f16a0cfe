// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` under the webhook's
// secret; `X-GitHub-Delivery` identifies a delivery (a redelivery keeps it).
import { z } from "zod";
import { anySigned, fail, hmac, ok, type Provider, plainSecretProblem, randomSecret } from "./kit";

const signature = (secret: string, body: Buffer | string) => `sha256=${hmac("sha256", secret, body, "hex")}`;

export const github: Provider<Record<string, never>> = {
  options: z.strictObject({}),
  newSecret: randomSecret,
  secretProblem: plainSecretProblem,
  verify({ headers, body }, secrets) {
    const given = headers["x-hub-signature-256"]?.trim();
    if (!given) return fail("no X-Hub-Signature-256 header");
    return anySigned(secrets, [given], (secret) => signature(secret, body))
      ? ok
      : fail("X-Hub-Signature-256 does not match the body");
  },
  idempotencyKey: ({ headers }) => headers["x-github-delivery"],
  sign: (secret, { body }) => ({ "x-hub-signature-256": signature(secret, Buffer.from(body)) }),
};
