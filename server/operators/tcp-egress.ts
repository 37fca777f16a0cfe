// The address policy of the guarded HTTP client (server/net/address-policy.ts), for the other
// connections tasks open: PostgreSQL (sql, sql_sensor) and SMTP (notify). A tenant's connection
// must not reach the platform's own network (its database on localhost, metadata endpoints,
// private ranges) any more than its HTTP requests may. The host is resolved once, every address
// is checked, and the caller connects to the checked address (so DNS cannot change in between).
// Server-only: executors import it lazily.
import dns from "node:dns/promises";
import ipaddr from "ipaddr.js";
import { env } from "@/server/config";
import { type AllowList, egressRefusal, hostnameRefusal, parseAllowList } from "@/server/net/address-policy";
import { NonRetryableError } from "./execution";

let allowList: { env: string; list: AllowList } | undefined;

/** The installation's allow-list: the same `BATON_HTTP_ALLOW` the guarded HTTP client uses. */
function installationAllowList(): AllowList {
  const raw = env.BATON_HTTP_ALLOW ?? "";
  if (allowList?.env !== raw) allowList = { env: raw, list: parseAllowList(raw.split(",")) };
  return allowList.list;
}

/**
 * Resolves `host` and returns the address to connect to, or throws a NonRetryableError
 * `refused: db.internal resolves to 10.0.0.5 (private address)` when any address is refused.
 */
export async function checkedTcpAddress(host: string, port: number, what: string): Promise<string> {
  const hostname = host.replace(/^\[(.*)\]$/, "$1");
  const refuse = (target: string, reason: string) =>
    new NonRetryableError(`refused: ${target} (${reason}); the ${what} connection may not reach it`);
  const nameRefusal = hostnameRefusal(hostname.toLowerCase());
  if (nameRefusal) throw refuse(hostname, nameRefusal);
  let answers: string[];
  try {
    answers = (await dns.lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);
  } catch (error) {
    throw new Error(`could not resolve ${hostname}: ${(error as Error).message}`);
  }
  if (answers.length === 0) throw new Error(`${hostname} has no addresses`);
  const allow = installationAllowList();
  for (const answer of answers) {
    const reason = egressRefusal({ hostname, port, address: ipaddr.parse(answer) }, allow);
    if (reason) throw refuse(answer === hostname ? hostname : `${hostname} resolves to ${answer}`, reason);
  }
  return answers[0]!;
}
