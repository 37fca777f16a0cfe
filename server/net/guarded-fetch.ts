/**
 * The one HTTP client for traffic that user tasks cause: the HTTP operator, sensors, notifications
 * and `fetch` inside sandboxed code. Each hop of a request, redirects included, is checked against
 * address-policy.ts after DNS resolution, and the socket is pinned to the addresses that were checked
 * so a DNS answer that changes between check and connect (rebinding) cannot redirect it.
 */
import dns from "node:dns/promises";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { addAbortSignal } from "node:stream";
import ipaddr from "ipaddr.js";
import { env } from "@/server/config";
import {
  type AllowList,
  egressRefusal,
  hostnameRefusal,
  type IPAddress,
  parseAllowList,
  parseHostAddress,
} from "./address-policy";

export interface GuardedFetchOptions {
  /** Allow-list entries exempt from the address policy (see `AllowList`). Default: none. */
  allow?: readonly string[];
  /** Redirects followed before giving up. Default: 5. */
  maxRedirects?: number;
  /** Deadline for the whole exchange: DNS, every hop and the body. Default: 30 000 ms. */
  timeoutMs?: number;
  /** Largest response body read. Default: 10 MiB. */
  maxResponseBytes?: number;
  /** Resolves a host name to all its addresses. Default: the system resolver (`dns.lookup`). */
  resolve?: (hostname: string) => Promise<string[]>;
}

export interface GuardedRequestInit {
  /** Default: GET. */
  method?: string;
  headers?: HeadersInit;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  /** Overrides `GuardedFetchOptions.timeoutMs` for this request. */
  timeoutMs?: number;
  /** Overrides `GuardedFetchOptions.maxResponseBytes` for this request. */
  maxResponseBytes?: number;
  /** `manual` returns a redirect response as is instead of following it. Default: follow. */
  redirect?: "follow" | "manual";
}

/** A response whose body has already been read in full (up to the size cap). */
export interface GuardedResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: Headers;
  /** The URL of the last hop. */
  readonly url: string;
  readonly redirected: boolean;
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export type GuardedFetch = (url: string | URL, init?: GuardedRequestInit) => Promise<GuardedResponse>;

export type GuardedFetchErrorCode =
  | "egress_blocked"
  | "timeout"
  | "response_too_large"
  | "too_many_redirects"
  | "bad_redirect"
  | "unresolvable";

/** Any failure of the guarded client itself, as opposed to an HTTP error status. */
export class GuardedFetchError extends Error {
  override name = "GuardedFetchError";
  constructor(
    readonly code: GuardedFetchErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The destination is not allowed, e.g. `refused: example.internal resolves to 10.0.0.5 (private address)`. */
export class EgressBlockedError extends GuardedFetchError {
  override name = "EgressBlockedError";
  constructor(
    readonly host: string,
    readonly reason: string,
    message: string,
  ) {
    super("egress_blocked", message);
  }
}

const DEFAULT_MAX_REDIRECTS = 5;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// Headers that would leak the caller's identity to another origin (what browsers strip, plus cookies).
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];
// Headers that describe a request body, dropped with it when a redirect turns the request into a GET.
const BODY_HEADERS = [
  "content-type",
  "content-length",
  "content-encoding",
  "content-language",
  "content-location",
];

/**
 * `createGuardedFetch` with the installation's allow-list, env `BATON_HTTP_ALLOW` (comma-separated),
 * read on first use.
 */
export const guardedFetch: GuardedFetch = (url, init) => {
  defaultFetch ??= createGuardedFetch({ allow: (env.BATON_HTTP_ALLOW ?? "").split(",") });
  return defaultFetch(url, init);
};
let defaultFetch: GuardedFetch | undefined;

/** A guarded fetch with its own policy; throws at once if an allow-list entry is malformed. */
export function createGuardedFetch(options: GuardedFetchOptions = {}): GuardedFetch {
  const allow = parseAllowList(options.allow ?? []);
  const resolve = options.resolve ?? resolveAll;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;

  return async (input, init = {}) => {
    const timeoutMs = init.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxBytes = init.maxResponseBytes ?? options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;

    let url = new URL(input);
    let request: OutgoingRequest = {
      method: (init.method ?? "GET").toUpperCase(),
      headers: new Headers(init.headers),
      body: init.body,
    };
    let redirectedFrom: URL | undefined;
    try {
      for (let redirects = 0; ; redirects++) {
        const addresses = await checkedAddresses(url, redirectedFrom, allow, resolve, signal);
        const response = await send(url, addresses, request, signal);
        const location = init.redirect === "manual" ? null : redirectTarget(response, url);
        if (!location) return await buffered(response, url, redirects > 0, maxBytes, signal);

        response.destroy();
        if (redirects >= maxRedirects) {
          throw new GuardedFetchError(
            "too_many_redirects",
            `more than ${maxRedirects} redirects from ${url.host}`,
          );
        }
        request = redirectedRequest(request, response.statusCode!, url, location);
        redirectedFrom = url;
        url = location;
      }
    } catch (error) {
      // The deadline surfaces as whatever the interrupted step threw; name it plainly instead.
      if (deadline.aborted && !init.signal?.aborted) {
        throw new GuardedFetchError("timeout", `request to ${url.host} timed out after ${timeoutMs} ms`, {
          cause: error,
        });
      }
      throw error;
    }
  };
}

type OutgoingRequest = { method: string; headers: Headers; body: string | Uint8Array | undefined };

/** Resolves the URL's host and returns its addresses, or throws if any of them is refused. */
async function checkedAddresses(
  url: URL,
  redirectedFrom: URL | undefined,
  allow: AllowList,
  resolve: (hostname: string) => Promise<string[]>,
  signal: AbortSignal,
): Promise<IPAddress[]> {
  const { hostname } = url;
  const refuse = (reason: string, target = hostname) =>
    new EgressBlockedError(
      hostname,
      reason,
      `refused: ${target} (${reason})${redirectedFrom ? ` on redirect from ${redirectedFrom.host}` : ""}`,
    );
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw refuse("only http: and https: URLs", `${url.protocol} URL`);
  }
  const nameRefusal = hostnameRefusal(hostname);
  if (nameRefusal) throw refuse(nameRefusal);

  const literal = parseHostAddress(hostname);
  const addresses = literal ? [literal] : await abortable(resolveHost(hostname, resolve), signal);
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  // Every address is checked, not just the first: the socket may end up at any of them.
  for (const address of addresses) {
    const reason = egressRefusal({ hostname, port, address }, allow);
    if (reason) throw refuse(reason, literal ? hostname : `${hostname} resolves to ${address}`);
  }
  return addresses;
}

async function resolveHost(hostname: string, resolve: (hostname: string) => Promise<string[]>) {
  let answers: string[];
  try {
    answers = await resolve(hostname);
  } catch (error) {
    throw new GuardedFetchError("unresolvable", `could not resolve ${hostname}`, { cause: error });
  }
  const addresses = answers.map((answer) => ipaddr.parse(answer));
  if (addresses.length === 0) throw new GuardedFetchError("unresolvable", `${hostname} has no addresses`);
  return addresses;
}

async function resolveAll(hostname: string): Promise<string[]> {
  const answers = await dns.lookup(hostname, { all: true, verbatim: true });
  return answers.map((answer) => answer.address);
}

function send(
  url: URL,
  addresses: IPAddress[],
  { method, headers, body }: OutgoingRequest,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const outgoing = Object.fromEntries(headers);
  if (body !== undefined) outgoing["content-length"] = String(Buffer.byteLength(body));
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      {
        // The host name stays the name (Host header, TLS SNI and certificate check); only the
        // lookup is replaced, so the socket goes to an address that was checked.
        hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: url.port || undefined,
        path: url.pathname + url.search,
        method,
        headers: outgoing,
        auth: url.username
          ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
          : undefined,
        lookup: pinnedLookup(addresses),
        // A fresh socket per request: pooled sockets would outlive the check that admitted them.
        agent: false,
        signal,
      },
      resolve,
    );
    request.on("error", reject);
    request.end(body);
  });
}

/** A `lookup` that answers with the already-checked addresses instead of asking DNS again. */
function pinnedLookup(addresses: IPAddress[]): LookupFunction {
  const answers = addresses.map((address) => ({
    address: address.toString(),
    family: address.kind() === "ipv4" ? 4 : 6,
  }));
  return (_hostname, options, callback) => {
    if (options.all) callback(null, answers);
    else callback(null, answers[0]!.address, answers[0]!.family);
  };
}

function redirectTarget(response: IncomingMessage, url: URL): URL | null {
  const location = response.headers.location;
  if (!REDIRECT_STATUSES.has(response.statusCode!) || !location) return null;
  try {
    return new URL(location, url);
  } catch (error) {
    response.destroy();
    throw new GuardedFetchError("bad_redirect", `invalid redirect location from ${url.host}`, {
      cause: error,
    });
  }
}

/** The request for the next hop, following the Fetch standard's redirect rules. */
function redirectedRequest(request: OutgoingRequest, status: number, from: URL, to: URL): OutgoingRequest {
  const headers = new Headers(request.headers);
  if (to.origin !== from.origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
  const becomesGet =
    (status === 303 && request.method !== "GET" && request.method !== "HEAD") ||
    ((status === 301 || status === 302) && request.method === "POST");
  if (!becomesGet) return { ...request, headers };
  for (const name of BODY_HEADERS) headers.delete(name);
  return { method: "GET", headers, body: undefined };
}

async function buffered(
  response: IncomingMessage,
  url: URL,
  redirected: boolean,
  maxBytes: number,
  signal: AbortSignal,
): Promise<GuardedResponse> {
  const tooLarge = () =>
    new GuardedFetchError("response_too_large", `response from ${url.host} exceeds ${maxBytes} bytes`);
  if (Number(response.headers["content-length"]) > maxBytes) {
    response.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of addAbortSignal(signal, response) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(); // leaving the loop destroys the stream
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks, size);

  const headers = new Headers();
  const raw = response.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const status = response.statusCode!;
  return {
    status,
    statusText: response.statusMessage ?? "",
    ok: status >= 200 && status < 300,
    headers,
    url: url.href,
    redirected,
    text: async () => body.toString("utf8"),
    json: async () => JSON.parse(body.toString("utf8")),
    arrayBuffer: async () => new Uint8Array(body).buffer,
  };
}

/** Lets the deadline interrupt steps that take no signal, such as the system resolver. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
