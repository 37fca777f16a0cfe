// Webhook authentication: GitHub's published example vector, HMAC with a five-minute window,
// tokens, rotation, and generic failures with a reason only for the log.

import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type AuthMode,
  providers,
  redactHeaders,
  signBody,
  verifyDelivery,
} from "@/server/webhooks/signature";

const SIGNATURE_TOLERANCE_SECONDS = 300;
const hmacHex = (secret: string, payload: string | Buffer) =>
  createHmac("sha256", secret).update(payload).digest("hex");
const githubSignature = (secret: string, body: Buffer) =>
  providers.github.sign(secret, { body }, {})["x-hub-signature-256"];

/** A delivery checked with the preset's default options. */
const check = (
  mode: AuthMode,
  secrets: string[],
  headers: Record<string, string>,
  body: Buffer,
  nowMs?: number,
) =>
  verifyDelivery(mode, secrets, { headers, body, url: "https://baton.example.com/api/hooks/x" }, {}, nowMs);

const body = Buffer.from('{"ref":"main"}');
const now = Date.parse("2025-06-01T12:00:00Z");
const seconds = Math.floor(now / 1000);

describe("GitHub X-Hub-Signature-256", () => {
  // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
  const secret = "It's a Secret to Everybody";
  const payload = Buffer.from("Hello, World!");
  const expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

  it("matches GitHub's published example", () => {
    expect(hmacHex(secret, payload)).toBe(expected.slice(7));
    expect(githubSignature(secret, payload)).toBe(expected);
    expect(check("github", [secret], { "x-hub-signature-256": expected }, payload)).toEqual({
      ok: true,
    });
  });

  it("refuses another body, another secret, or no header", () => {
    expect(
      check("github", [secret], { "x-hub-signature-256": expected }, Buffer.from("Hello, World?")).ok,
    ).toBe(false);
    expect(check("github", ["nope"], { "x-hub-signature-256": expected }, payload).ok).toBe(false);
    expect(check("github", [secret], {}, payload)).toEqual({
      ok: false,
      reason: "no X-Hub-Signature-256 header",
    });
  });
});

describe("X-Baton-Signature (t=…,v1=…)", () => {
  const secret = "whsec_test";

  it("accepts a fresh signature over t.body", () => {
    const header = signBody(secret, body, seconds);
    expect(header).toBe(`t=${seconds},v1=${hmacHex(secret, `${seconds}.${body}`)}`);
    expect(check("hmac", [secret], { "x-baton-signature": header }, body, now)).toEqual({
      ok: true,
    });
  });

  it("accepts up to the window's edge, either way", () => {
    for (const skew of [-SIGNATURE_TOLERANCE_SECONDS, SIGNATURE_TOLERANCE_SECONDS]) {
      const header = signBody(secret, body, seconds + skew);
      expect(check("hmac", [secret], { "x-baton-signature": header }, body, now).ok).toBe(true);
    }
  });

  it("refuses a replayed signature older than five minutes, and one from too far ahead", () => {
    const old = signBody(secret, body, seconds - SIGNATURE_TOLERANCE_SECONDS - 1);
    const verdict = check("hmac", [secret], { "x-baton-signature": old }, body, now);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toMatch(/more than 300 s/);
    const ahead = signBody(secret, body, seconds + 3600);
    expect(check("hmac", [secret], { "x-baton-signature": ahead }, body, now).ok).toBe(false);
  });

  it("refuses a wrong signature, a changed body, a changed timestamp", () => {
    const header = signBody(secret, body, seconds);
    expect(check("hmac", ["other"], { "x-baton-signature": header }, body, now).ok).toBe(false);
    expect(check("hmac", [secret], { "x-baton-signature": header }, Buffer.from("{}"), now).ok).toBe(false);
    const moved = header.replace(`t=${seconds}`, `t=${seconds + 1}`);
    expect(check("hmac", [secret], { "x-baton-signature": moved }, body, now).ok).toBe(false);
  });

  it("accepts any of several v1 values (a sender rotating its secret)", () => {
    const good = signBody(secret, body, seconds).split("v1=")[1];
    const header = `t=${seconds},v1=${"0".repeat(64)},v1=${good}`;
    expect(check("hmac", [secret], { "x-baton-signature": header }, body, now).ok).toBe(true);
  });

  it("refuses malformed headers", () => {
    for (const header of ["", "v1=abc", `t=${seconds}`, "t=soon,v1=abc", `t=${seconds},v0=abc`]) {
      expect(check("hmac", [secret], { "x-baton-signature": header }, body, now).ok, header).toBe(false);
    }
  });
});

describe("tokens and rotation", () => {
  it("reads X-Baton-Token or Authorization: Bearer", () => {
    expect(check("token", ["s3cret"], { "x-baton-token": "s3cret" }, body).ok).toBe(true);
    expect(check("token", ["s3cret"], { authorization: "Bearer s3cret" }, body).ok).toBe(true);
    expect(check("token", ["s3cret"], { "x-baton-token": "s3cre" }, body)).toEqual({
      ok: false,
      reason: "wrong token",
    });
    expect(check("token", ["s3cret"], {}, body).ok).toBe(false);
  });

  it("accepts the previous secret while it is in its grace period", () => {
    expect(check("token", ["new", "old"], { "x-baton-token": "old" }, body).ok).toBe(true);
    const header = signBody("old", body, seconds);
    expect(check("hmac", ["new", "old"], { "x-baton-signature": header }, body, now).ok).toBe(true);
  });
});

it("redacts credentials and signatures from logged headers", () => {
  expect(
    redactHeaders({
      authorization: "Bearer x",
      "x-baton-token": "t",
      "x-baton-signature": "t=1,v1=2",
      "x-hub-signature-256": "sha256=…",
      "x-api-key": "k",
      cookie: "a=b",
      "content-type": "application/json",
      "x-github-event": "push",
    }),
  ).toEqual({
    authorization: "[redacted]",
    "x-baton-token": "[redacted]",
    "x-baton-signature": "[redacted]",
    "x-hub-signature-256": "[redacted]",
    "x-api-key": "[redacted]",
    cookie: "[redacted]",
    "content-type": "application/json",
    "x-github-event": "push",
  });
});
