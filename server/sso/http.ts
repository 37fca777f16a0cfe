// The single sign-on routes' (app/api/sso) shared pieces: the state cookie and the problem page.
import { AppError, httpStatus } from "@/server/errors";
import { log } from "@/server/observability/logger";

export const SSO_STATE_COOKIE = "baton_sso_state";

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

/** A refused or failed single sign-on, as a small page saying why. */
export function ssoProblem(error: unknown): Response {
  const known = error instanceof AppError;
  if (!known) log.error({ err: error }, "single sign-on error");
  const message = known ? error.message : "Something went wrong on our side; try again later";
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Single sign-on · Baton</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1f2937}</style>
</head><body><h1>Single sign-on did not work</h1><p>${escapeHtml(message)}.</p><p><a href="/sign-in">Back to sign-in</a></p></body></html>`;
  return new Response(html, {
    status: known ? httpStatus[error.code] : 500,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    },
  });
}

export function cookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}
