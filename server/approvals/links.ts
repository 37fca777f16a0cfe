// Signed single-use approval links: `<base>/api/approvals/<token>`, where the token is the claims
// (workspace, run, task, map index, decision, expiry, nonce) as base64url JSON, a dot, and their
// HMAC-SHA256 under a key derived from NEXTAUTH_SECRET. The signature makes a link unforgeable and
// the expiry bounds it; single use is enforced by the approval's deferState (the nonce must be one
// the wait issued and not yet used), see service.ts.
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { env } from "@/server/config";

export interface ApprovalLinkClaims {
  /** Workspace id. */
  w: string;
  /** Run id. */
  r: string;
  /** Task id. */
  t: string;
  /** Map index (-1 when not mapped). */
  m: number;
  d: "approve" | "reject";
  /** Expiry, in seconds since the epoch. */
  e: number;
  /** Names the link pair of one wait; used once. */
  n: string;
}

let derived: { secret: string; key: Buffer } | undefined;

/** A key of its own for links, so a link signature can never be confused with a session's. */
function linkKey(): Buffer {
  const secret = env.NEXTAUTH_SECRET;
  if (!secret) throw new Error("NEXTAUTH_SECRET is not set; approval links cannot be signed or checked");
  if (derived?.secret !== secret) {
    derived = { secret, key: Buffer.from(hkdfSync("sha256", secret, "baton", "approval-links-v1", 32)) };
  }
  return derived.key;
}

const mac = (payload: string) => createHmac("sha256", linkKey()).update(payload).digest();

export function signApprovalToken(claims: ApprovalLinkClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  return `${payload}.${mac(payload).toString("base64url")}`;
}

export function approvalLinkUrl(base: string, claims: ApprovalLinkClaims): string {
  return `${base.replace(/\/+$/, "")}/api/approvals/${signApprovalToken(claims)}`;
}

export type TokenCheck =
  | { ok: true; claims: ApprovalLinkClaims }
  | { ok: false; reason: "invalid" | "expired" };

/** Checks a token's signature and expiry; claims are only trusted after this. */
export function verifyApprovalToken(token: string, now = Date.now()): TokenCheck {
  const [payload, signature, extra] = token.split(".");
  if (!payload || !signature || extra !== undefined) return { ok: false, reason: "invalid" };
  const expected = mac(payload);
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: "invalid" };
  let claims: ApprovalLinkClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as ApprovalLinkClaims;
  } catch {
    return { ok: false, reason: "invalid" };
  }
  if (claims.d !== "approve" && claims.d !== "reject") return { ok: false, reason: "invalid" };
  if (!(claims.e * 1000 > now)) return { ok: false, reason: "expired" };
  return { ok: true, claims };
}
