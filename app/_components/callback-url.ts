// `callbackUrl` handling for the sign-in and sign-up pages: only same-origin relative paths are
// followed, so a crafted link cannot send people elsewhere after signing in.
const BASE = "http://baton.invalid";

export function safeCallbackUrl(value: unknown): string | undefined {
  if (typeof value !== "string" || !value.startsWith("/")) return undefined;
  try {
    const url = new URL(value, BASE);
    return url.origin === BASE ? `${url.pathname}${url.search}${url.hash}` : undefined;
  } catch {
    return undefined;
  }
}

/** `path` with `?callbackUrl=…` when there is one to keep. */
export function withCallback(path: string, callbackUrl: string | undefined) {
  return callbackUrl ? `${path}?${new URLSearchParams({ callbackUrl })}` : path;
}
