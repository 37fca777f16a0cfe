// Twilio: `X-Twilio-Signature: <base64 HMAC-SHA1>` under the account's auth token, of the full URL
// Twilio requested followed by each form parameter's name and value, names sorted. A JSON body is
// not in the signature: its SHA-256 (hex) travels in the URL's `bodySHA256` parameter, which is.
// Behind a proxy the URL we see can differ from Twilio's: the endpoint's public URL is tried too,
// or the one set in the `url` option. `I-Twilio-Idempotency-Token` deduplicates retries.
import { createHash } from "node:crypto";
import { z } from "zod";
import { anySigned, fail, hmac, ok, type Provider, plainSecretProblem, randomSecret } from "./kit";

const options = z.strictObject({
  /** The exact URL configured in Twilio, when it differs from the endpoint's URL (a proxy, say). */
  url: z.url({ protocol: /^https?$/, error: "Give the http(s) URL configured in Twilio" }).optional(),
});

const isForm = (headers: Record<string, string>) =>
  headers["content-type"]?.split(";")[0]?.trim().toLowerCase() === "application/x-www-form-urlencoded";

/** The string Twilio signs: the URL, then name+value of each parameter, names sorted. */
export function twilioSigned(url: string, params: Array<[string, string]>): string {
  const sorted = [...params].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return url + sorted.map(([name, value]) => name + value).join("");
}

const signature = (secret: string, signed: string) =>
  hmac("sha1", secret, Buffer.from(signed, "utf8"), "base64");

export const twilio: Provider<z.output<typeof options>> = {
  options,
  newSecret: randomSecret,
  secretProblem: plainSecretProblem,
  verify({ headers, body, url, alsoUrls = [] }, secrets, settings) {
    const given = headers["x-twilio-signature"]?.trim();
    if (!given) return fail("no X-Twilio-Signature header");
    const urls = [...new Set([settings.url, url, ...alsoUrls].filter((u): u is string => Boolean(u)))];
    const params: Array<[string, string]> = isForm(headers)
      ? [...new URLSearchParams(body.toString("utf8"))]
      : [];
    const matches = urls.some((candidate) => {
      if (!isForm(headers)) {
        // JSON and other bodies: the URL carries the body's hash, and the signature covers the URL.
        const hash = new URL(candidate).searchParams.get("bodySHA256");
        if (hash !== createHash("sha256").update(body).digest("hex")) return false;
      }
      return anySigned(secrets, [given], (secret) => signature(secret, twilioSigned(candidate, params)));
    });
    return matches ? ok : fail("X-Twilio-Signature does not match the URL and parameters");
  },
  idempotencyKey: ({ headers }) => headers["i-twilio-idempotency-token"],
  sign(secret, { body, url = "" }) {
    const params: Array<[string, string]> = [...new URLSearchParams(Buffer.from(body).toString("utf8"))];
    return { "x-twilio-signature": signature(secret, twilioSigned(url, params)) };
  },
};
