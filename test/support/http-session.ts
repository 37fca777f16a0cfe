// Signing in to a running app over plain HTTP, as a browser's fetch would (CSRF cookie and token,
// then the credentials callback), for tests of what the server answers rather than what a page shows.

/** The cookies a response sets, as one Cookie header value (name=value; …). */
export function cookiesOf(response: Response, previous = ""): string {
  const jar = new Map(
    previous
      .split("; ")
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)] as const),
  );
  for (const line of response.headers.getSetCookie()) {
    const pair = line.split(";")[0] ?? "";
    const name = pair.slice(0, pair.indexOf("="));
    const value = pair.slice(pair.indexOf("=") + 1);
    if (value === "" || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
  return [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
}

export interface SignInAnswer {
  status: number;
  /** next-auth's error message (from the error URL it answers with), when signing in failed. */
  error: string | null;
  retryAfter: string | null;
  /** The cookies to send as this signed-in browser. */
  cookie: string;
}

export async function signInOverHttp(
  baseUrl: string,
  credentials: Record<string, string>,
  headers: Record<string, string> = {},
  provider = "credentials",
): Promise<SignInAnswer> {
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`, { headers });
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  let cookie = cookiesOf(csrf);
  const response = await fetch(`${baseUrl}/api/auth/callback/${provider}`, {
    method: "POST",
    redirect: "manual",
    headers: { ...headers, cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ ...credentials, csrfToken, json: "true" }),
  });
  cookie = cookiesOf(response, cookie);
  const body = (await response.json().catch(() => ({}))) as { url?: string };
  const error = body.url ? new URL(body.url, baseUrl).searchParams.get("error") : null;
  return { status: response.status, error, retryAfter: response.headers.get("retry-after"), cookie };
}

/** Calls a tRPC query as the browser holding `cookie`; answers the HTTP status and the data or error. */
export async function trpcQuery(baseUrl: string, path: string, cookie: string, input?: unknown) {
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const response = await fetch(`${baseUrl}/api/trpc/${path}${query}`, { headers: { cookie } });
  const body = (await response.json()) as { result?: { data: { json: unknown } }; error?: { json: unknown } };
  return { status: response.status, data: body.result?.data.json, error: body.error?.json };
}
