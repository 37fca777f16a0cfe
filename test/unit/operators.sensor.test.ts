// The sensor loop's arithmetic (deferrals, backoff, timeout) and approval link tokens, without a
// database: the run-level behaviour is in test/integration/operators.*.
import { afterEach, describe, expect, it } from "vitest";
import { signApprovalToken, verifyApprovalToken } from "@/server/approvals/links";
import { sqlTruthy } from "@/server/operators/definitions/sql-sensor";
import { NonRetryableError } from "@/server/operators/execution";
import { poke, pokeDelaySeconds, type SensorSettings } from "@/server/operators/sensor";

const settings = (extra: Partial<SensorSettings> = {}): SensorSettings => ({
  pokeIntervalSeconds: 10,
  timeoutSeconds: 100,
  exponentialBackoff: false,
  softFail: false,
  ...extra,
});
const log = { info() {}, warn() {}, error() {} };
const notYet = async () => ({ done: false as const, reason: "not yet" });

describe("poke", () => {
  it("defers by the interval, keeping the first check's time and counting checks", async () => {
    const first = await poke({ config: settings(), deferState: null, log }, notYet);
    expect(first).toMatchObject({ defer: { state: { pokes: 1 } } });
    const { until, state } = (first as { defer: { until: Date; state: { firstPokeAt: string } } }).defer;
    expect(until.getTime() - Date.now()).toBeGreaterThan(9_000);
    expect(until.getTime() - Date.now()).toBeLessThanOrEqual(10_000);
    const second = await poke({ config: settings(), deferState: { ...state, pokes: 1 }, log }, notYet);
    expect(second).toMatchObject({ defer: { state: { firstPokeAt: state.firstPokeAt, pokes: 2 } } });
  });

  it("doubles the wait with exponential backoff and never waits past the timeout", () => {
    const exp = settings({ exponentialBackoff: true });
    expect([1, 2, 3, 4].map((n) => pokeDelaySeconds(exp, n))).toEqual([10, 20, 40, 80]);
    expect(pokeDelaySeconds(settings(), 4)).toBe(10);
    expect(Number.isFinite(pokeDelaySeconds(exp, 10_000))).toBe(true);
  });

  it("succeeds with the check's output, fails at the timeout, or skips with softFail", async () => {
    expect(
      await poke({ config: settings(), deferState: null, log }, async () => ({ done: true, output: 7 })),
    ).toEqual({ output: 7 });
    const old = { firstPokeAt: new Date(Date.now() - 101_000).toISOString(), pokes: 9 };
    await expect(poke({ config: settings(), deferState: old, log }, notYet)).rejects.toThrow(
      NonRetryableError,
    );
    await expect(poke({ config: settings(), deferState: old, log }, notYet)).rejects.toThrow(
      "The condition was not met within 100 s (10 checks; last: not yet)",
    );
    expect(await poke({ config: settings({ softFail: true }), deferState: old, log }, notYet)).toEqual({
      skip: "The condition was not met within 100 s (10 checks; last: not yet)",
    });
  });

  it("reads SQL answers as truthy the way a count or an exists reads", () => {
    expect([null, false, 0, "", "0", "0.0"].map(sqlTruthy)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect([true, 1, "3", "yes", { a: 1 }].map(sqlTruthy)).toEqual([true, true, true, true, true]);
  });
});

describe("approval link tokens", () => {
  const original = process.env.NEXTAUTH_SECRET;
  afterEach(() => {
    process.env.NEXTAUTH_SECRET = original;
  });
  const claims = {
    w: "11111111-1111-4111-8111-111111111111",
    r: "22222222-2222-4222-8222-222222222222",
    t: "sign_off",
    m: -1,
    d: "approve" as const,
    e: Math.floor(Date.now() / 1000) + 3600,
    n: "nonce",
  };

  it("verify their own signature and expiry", () => {
    process.env.NEXTAUTH_SECRET = "unit-secret";
    const token = signApprovalToken(claims);
    expect(verifyApprovalToken(token)).toEqual({ ok: true, claims });
    expect(verifyApprovalToken(signApprovalToken({ ...claims, e: claims.e - 7200 }))).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("refuse tampered claims, other secrets and junk", () => {
    process.env.NEXTAUTH_SECRET = "unit-secret";
    const token = signApprovalToken(claims);
    const [, signature] = token.split(".");
    const rejecting = Buffer.from(JSON.stringify({ ...claims, d: "reject" })).toString("base64url");
    expect(verifyApprovalToken(`${rejecting}.${signature}`)).toEqual({ ok: false, reason: "invalid" });
    for (const junk of ["", "a", "a.b", "a.b.c", `${token}x`]) {
      expect(verifyApprovalToken(junk), junk).toEqual({ ok: false, reason: "invalid" });
    }
    process.env.NEXTAUTH_SECRET = "another-secret";
    expect(verifyApprovalToken(token)).toEqual({ ok: false, reason: "invalid" });
  });
});
