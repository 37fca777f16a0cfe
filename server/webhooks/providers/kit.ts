// What every provider's verifier is made of: the request as signed, the verdict, constant-time
// comparison, HMACs, timestamp windows, and the Provider interface each module implements.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";

/** The request as the sender signed it. */
export interface SignedRequest {
  /** Lower-case names. */
  headers: Record<string, string>;
  /** The raw body, byte for byte. */
  body: Buffer;
  /** The URL the sender called, with its query (Twilio signs it): the endpoint's published URL. */
  url: string;
  /** Other spellings of it: the URL as this request reached the server (behind a proxy they differ). */
  alsoUrls?: string[];
}

/** A failure carries a reason for the delivery log; the sender only ever gets a generic 401. */
export type Verdict = { ok: true } | { ok: false; reason: string };

export const ok: Verdict = { ok: true };
export const fail = (reason: string): Verdict => ({ ok: false, reason });

export type HmacAlgorithm = "sha1" | "sha256" | "sha512";
export type Encoding = "hex" | "base64";

export function hmac(
  algorithm: HmacAlgorithm,
  key: string | Buffer,
  data: string | Buffer,
  encoding: Encoding,
): string {
  return createHmac(algorithm, key).update(data).digest(encoding);
}

const digest = (value: string | Buffer) => createHash("sha256").update(value).digest();

/** Constant-time equality of two strings, whatever their lengths (their digests are compared). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Like Array.some, but always tries every element (no early exit to time). */
export function anyMatch<T>(items: readonly T[], test: (item: T) => boolean): boolean {
  let found = false;
  for (const item of items) if (test(item)) found = true;
  return found;
}

/** Whether any of `given` equals the signature of any secret. */
export function anySigned(
  secrets: readonly string[],
  given: readonly string[],
  sign: (secret: string) => string,
) {
  return anyMatch(secrets, (secret) => {
    const expected = sign(secret);
    return anyMatch(given, (candidate) => safeEqual(candidate, expected));
  });
}

/** Unix seconds within `toleranceSeconds` of now, either way; else why not. */
export function freshness(value: string | undefined, toleranceSeconds: number, nowMs: number, what: string) {
  if (!value || !/^\d{1,12}$/.test(value.trim())) return fail(`${what} is not a Unix timestamp in seconds`);
  const skew = Math.abs(nowMs / 1000 - Number(value));
  if (skew > toleranceSeconds) {
    return fail(
      `${what} is ${Math.round(skew)} s from now (more than ${toleranceSeconds} s): a replay, or a clock off`,
    );
  }
  return ok;
}

/** The replay window option shared by the timestamped schemes (Stripe's default: 300 s). */
export const toleranceOption = z
  .int("Give whole seconds")
  .min(10, "At least 10 seconds")
  .max(86_400, "At most one day (86400)")
  .default(300);

/** 32 random bytes, URL-safe, with a prefix that says what it is. */
export const randomSecret = () => `whsec_${randomBytes(32).toString("base64url")}`;

/** Any printable secret of 8 to 512 characters without spaces (what providers hand out). */
export function plainSecretProblem(secret: string): string | undefined {
  if (secret.length < 8) return "must be at least 8 characters";
  if (secret.length > 512) return "must be at most 512 characters";
  if (/[\s\p{Cc}]/u.test(secret)) return "must not contain spaces or control characters";
  return undefined;
}

/** A preset's verifier; what the product says about it is in catalog.ts. */
export interface Provider<Options = Record<string, unknown>> {
  /** The endpoint's options for this provider (a strict object: unknown fields are refused). */
  options: z.ZodType<Options, Record<string, unknown>>;
  /** A secret Baton generates when the user pastes none. */
  newSecret(): string;
  /** Why a pasted secret cannot be this provider's, or undefined. */
  secretProblem(secret: string): string | undefined;
  /** Checks a delivery against the current secret and, during a rotation's grace, the previous one. */
  verify(request: SignedRequest, secrets: string[], options: Options, nowMs: number): Verdict;
  /** The provider's own id of a delivery, used as idempotency key when no Idempotency-Key is sent. */
  idempotencyKey?(request: SignedRequest, document: unknown): string | undefined;
  /** An answer that replaces starting a run (Slack's URL verification), once authenticated. */
  challenge?(document: unknown): { status: number; body: unknown } | undefined;
  /** The headers a sender adds to a body: for tests, examples and the bench. */
  sign(
    secret: string,
    request: { body: Buffer | string; url?: string; nowMs?: number; id?: string },
    options: Options,
  ): Record<string, string>;
}

/** A string field of a JSON document at a top-level key, if it is one. */
export function stringField(document: unknown, key: string): string | undefined {
  if (document === null || typeof document !== "object" || Array.isArray(document)) return undefined;
  const value = (document as Record<string, unknown>)[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}
