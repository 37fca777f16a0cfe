// How often the public account forms may send mail: per address (nobody's inbox is flooded, and a
// reset link cannot be requested over and over) and per client address (one client cannot cycle
// through addresses). Counted in PostgreSQL like sign-in failures; beyond a limit the form answers
// 429 with Retry-After, the same for every address, so the answer says nothing about accounts.
import type { RateLimiterRes } from "rate-limiter-flexible";
import { RetryLater } from "@/server/errors";
import { pgLimiter } from "./limiters";

export type MailForm = "signup" | "reset" | "verify";

const HOUR = 3600;
const limits = { address: { points: 5, duration: HOUR }, ip: { points: 30, duration: HOUR } };

const byAddress = pgLimiter({ keyPrefix: "mail:address", ...limits.address });
const byIp = pgLimiter({ keyPrefix: "mail:ip", ...limits.ip });

/** Counts one use of `form` for this address and client, or throws RetryLater when either is spent. */
export async function takeMailAllowance(form: MailForm, email: string, ip: string): Promise<void> {
  const refused: RateLimiterRes[] = [];
  await Promise.all([
    byAddress()
      .consume(`${form}:${email.toLowerCase()}`)
      .catch((res: RateLimiterRes) => refused.push(res)),
    byIp()
      .consume(`${form}:${ip}`)
      .catch((res: RateLimiterRes) => refused.push(res)),
  ]);
  if (refused.length > 0) {
    const seconds = Math.ceil(Math.max(...refused.map((r) => r.msBeforeNext ?? 60_000)) / 1000);
    throw new RetryLater(
      `Too many requests for this form. Try again in ${Math.ceil(seconds / 60)} minutes.`,
      seconds,
    );
  }
}
