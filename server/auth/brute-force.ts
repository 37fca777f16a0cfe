// Sign-in brute-force protection by progressive delay, not a lock anyone could trigger. Failed
// sign-ins are counted in PostgreSQL (rate-limiter-flexible's store, table `rate_limits`, shared
// by every web process) for three keys:
//  - one account from one address: 5 free failures, then each further one makes that pair wait
//    twice as long as the last (1 s, 2 s, 4 s … at most 15 minutes);
//  - one account from any address: 10 free failures, then the same doubling, at most a minute,
//    and not for an address the account signed in from lately, so its owner is never kept out
//    by someone else's guessing;
//  - one address, any account: 50 failures in 15 minutes, then that address waits out the window.
// While a wait lasts, sign-in answers 429 with Retry-After and does not check the password.
// A success clears the account's counters.
import type { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { env } from "@/server/config";
import { db } from "@/server/db/client";
import { RetryLater } from "@/server/errors";
import { pgLimiter } from "./limiters";
import { signedInFromLately } from "./sessions";

const limits = {
  pair: { free: 5, maxWaitSeconds: 15 * 60 },
  account: {
    get free() {
      return env.BATON_SIGNIN_ACCOUNT_LIMIT;
    },
    maxWaitSeconds: 60,
  },
  ip: {
    get points() {
      return env.BATON_SIGNIN_IP_LIMIT;
    },
    duration: 15 * 60,
  },
};
/** Failures are remembered this long after the first of a series. */
const FAILURE_WINDOW_SECONDS = 24 * 3600;

const failures = pgLimiter({
  keyPrefix: "signin:failures",
  points: Number.MAX_SAFE_INTEGER,
  duration: FAILURE_WINDOW_SECONDS,
});
// Only ever blocked (block() for the wait), never consumed.
const waits = pgLimiter({ keyPrefix: "signin:wait", points: 1, duration: 1 });
let byIp: (() => RateLimiterPostgres) | undefined;
const addresses = () => {
  byIp ??= pgLimiter({ keyPrefix: "signin:ip", points: limits.ip.points, duration: limits.ip.duration });
  return byIp();
};
const get = () => ({ failures: failures(), waits: waits(), ip: addresses() });

const keys = (email: string, ip: string) => {
  const account = email.trim().toLowerCase();
  return { pair: `pair:${account}|${ip}`, account: `account:${account}` };
};
const blockedFor = (res: RateLimiterRes | null, points: number) =>
  res && res.consumedPoints > points ? res.msBeforeNext : 0;

/** Seconds this address must wait before trying this account again (0: go ahead). */
export async function signInWait(email: string, ip: string): Promise<number> {
  const { waits, ip: byIp } = get();
  const key = keys(email, ip);
  const [pair, account, address] = await Promise.all([
    waits.get(key.pair),
    waits.get(key.account),
    byIp.get(ip),
  ]);
  let ms = Math.max(blockedFor(pair, 1), blockedFor(address, limits.ip.points - 1));
  const accountMs = blockedFor(account, 1);
  if (accountMs > ms) {
    const user = await db.user.findUnique({
      where: { email: email.trim().toLowerCase() },
      select: { id: true },
    });
    if (!user || !(await signedInFromLately(user.id, ip))) ms = accountMs;
  }
  return Math.ceil(ms / 1000);
}

export function tooManySignIns(seconds: number): RetryLater {
  const wait =
    seconds < 90 ? `${seconds} second${seconds === 1 ? "" : "s"}` : `${Math.ceil(seconds / 60)} minutes`;
  return new RetryLater(`Too many failed sign-ins. Try again in ${wait}.`, seconds);
}

/** Throws RetryLater (429) while a wait lasts. */
export async function assertSignInAllowed(email: string, ip: string): Promise<void> {
  const seconds = await signInWait(email, ip);
  if (seconds > 0) throw tooManySignIns(seconds);
}

const doubling = (failuresBeyondFree: number, max: number) => Math.min(2 ** (failuresBeyondFree - 1), max);

export async function recordFailedSignIn(email: string, ip: string): Promise<void> {
  const { failures, waits, ip: byIp } = get();
  const key = keys(email, ip);
  const [pair, account] = await Promise.all([
    failures.consume(key.pair),
    failures.consume(key.account),
    // consume() rejects once the address's allowance is spent; that is the point.
    byIp.consume(ip).catch(() => undefined),
  ]);
  const waiting: Promise<unknown>[] = [];
  if (pair.consumedPoints > limits.pair.free) {
    waiting.push(
      waits.block(key.pair, doubling(pair.consumedPoints - limits.pair.free, limits.pair.maxWaitSeconds)),
    );
  }
  if (account.consumedPoints > limits.account.free) {
    const seconds = doubling(account.consumedPoints - limits.account.free, limits.account.maxWaitSeconds);
    waiting.push(waits.block(key.account, seconds));
  }
  await Promise.all(waiting);
}

export async function recordSuccessfulSignIn(email: string, ip: string): Promise<void> {
  const { failures, waits } = get();
  const key = keys(email, ip);
  await Promise.all([key.pair, key.account].flatMap((k) => [failures.delete(k), waits.delete(k)]));
}

/** Forgets an account's failures (a password reset proves who holds it). */
export async function clearSignInFailures(email: string): Promise<void> {
  const account = email.trim().toLowerCase();
  await db.rateLimit.deleteMany({
    where: {
      OR: [
        { key: { startsWith: `signin:failures:pair:${account}|` } },
        { key: { startsWith: `signin:wait:pair:${account}|` } },
        { key: { in: [`signin:failures:account:${account}`, `signin:wait:account:${account}`] } },
      ],
    },
  });
}
