// Authenticating webhook deliveries, three ways (one per endpoint):
//
//  token   `X-Baton-Token: <secret>` (or `Authorization: Bearer <secret>`);
//  hmac    `X-Baton-Signature: t=<unix seconds>,v1=<hex>`, the hex HMAC-SHA256 of `<t>.<raw body>`
//          under the secret (Stripe's scheme); refused when t is more than five minutes away from
//          our clock, so a captured request cannot be replayed later. Several v1 may be sent;
//  github  `X-Hub-Signature-256: sha256=<hex>`, the hex HMAC-SHA256 of the raw body.
//
// Every comparison is constant-time (SHA-256 digests of both sides through timingSafeEqual, so
// lengths do not leak either). A failure carries a reason for the delivery log; the sender only
// ever gets a generic 401.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export type AuthMode = "token" | "hmac" | "github";

/** How far a signature's timestamp may be from now, either way. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type Verdict = { ok: true } | { ok: false; reason: string };

const digest = (value: string | Buffer) => createHash("sha256").update(value).digest();

/** Constant-time equality of two strings, whatever their lengths. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export function hmacHex(secret: string, payload: Buffer | string): string {
  return createHmac("sha256", secret).update(payload).digest("hex");
}

/** The X-Baton-Signature header for a body, as a sender computes it. */
export function signBody(
  secret: string,
  body: Buffer | string,
  timestamp = Math.floor(Date.now() / 1000),
): string {
  const payload = Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.from(body)]);
  return `t=${timestamp},v1=${hmacHex(secret, payload)}`;
}

/** GitHub's X-Hub-Signature-256 for a body. */
export function githubSignature(secret: string, body: Buffer | string): string {
  return `sha256=${hmacHex(secret, Buffer.from(body))}`;
}

/**
 * Checks a delivery against one or more secrets (the current one, and the previous one during a
 * rotation's grace period). `headers` has lower-case names.
 */
export function verifyDelivery(
  mode: AuthMode,
  secrets: string[],
  headers: Record<string, string>,
  body: Buffer,
  nowMs = Date.now(),
): Verdict {
  switch (mode) {
    case "token": {
      const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? "")?.[1]?.trim();
      const given = headers["x-baton-token"] ?? bearer;
      if (!given) return { ok: false, reason: "no X-Baton-Token (or Authorization: Bearer) header" };
      return anyMatch(secrets, (secret) => safeEqual(given, secret))
        ? { ok: true }
        : { ok: false, reason: "wrong token" };
    }
    case "github": {
      const given = headers["x-hub-signature-256"];
      if (!given) return { ok: false, reason: "no X-Hub-Signature-256 header" };
      return anyMatch(secrets, (secret) => safeEqual(given.trim(), githubSignature(secret, body)))
        ? { ok: true }
        : { ok: false, reason: "X-Hub-Signature-256 does not match the body" };
    }
    case "hmac": {
      const header = headers["x-baton-signature"];
      if (!header) return { ok: false, reason: "no X-Baton-Signature header" };
      const parts = header.split(",").map((part) => part.trim().split("=", 2) as [string, string?]);
      const t = parts.find(([k]) => k === "t")?.[1];
      const signatures = parts.filter(([k, v]) => k === "v1" && v).map(([, v]) => v!);
      if (!t || !/^\d{1,12}$/.test(t) || signatures.length === 0) {
        return { ok: false, reason: "X-Baton-Signature is not t=<unix seconds>,v1=<hex>" };
      }
      const skew = Math.abs(nowMs / 1000 - Number(t));
      if (skew > SIGNATURE_TOLERANCE_SECONDS) {
        return {
          ok: false,
          reason: `signature timestamp is ${Math.round(skew)} s from now (more than ${SIGNATURE_TOLERANCE_SECONDS} s): a replay, or a clock off`,
        };
      }
      const payload = Buffer.concat([Buffer.from(`${t}.`), body]);
      const matched = anyMatch(secrets, (secret) => {
        const expected = hmacHex(secret, payload);
        return anyMatch(signatures, (given) => safeEqual(given, expected));
      });
      return matched ? { ok: true } : { ok: false, reason: "X-Baton-Signature does not match the body" };
    }
  }
}

/** Like Array.some, but always tries every element (no early exit to time). */
function anyMatch<T>(items: T[], test: (item: T) => boolean): boolean {
  let found = false;
  for (const item of items) if (test(item)) found = true;
  return found;
}

/** Headers whose values are credentials or signatures: logged as "[redacted]". */
const sensitiveHeader =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-baton-token|x-baton-signature|x-hub-signature(-256)?|stripe-signature)$|token|secret|password|signature|api[-_]?key|auth/i;

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, sensitiveHeader.test(name) ? "[redacted]" : value]),
  );
}
