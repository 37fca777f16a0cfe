/**
 * The security headers of every response, pages and API alike, applied in one place (proxy.ts).
 *
 * Scripts: only those carrying this response's nonce, and what they load ('strict-dynamic'):
 * Next.js puts the nonce it finds in the request's Content-Security-Policy on its own inline
 * bootstrap and chunk scripts, which is why every page renders per request (app/layout.tsx).
 * Styles may be inline (React Flow and Tailwind set style attributes; styles cannot run code).
 * No framing at all, no plugins, no <base> or form posts elsewhere.
 */
export interface SecurityHeaderOptions {
  /** A fresh random value for this response. */
  nonce: string;
  /** The request arrived over HTTPS (directly or through a trusted proxy): add HSTS. */
  https: boolean;
  /** `next dev` needs eval for React's debugging aids. */
  development: boolean;
}

export function contentSecurityPolicy({ nonce, https, development }: SecurityHeaderOptions): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(https ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}

export function securityHeaders(
  options: SecurityHeaderOptions,
): { "Content-Security-Policy": string } & Record<string, string> {
  return {
    "Content-Security-Policy": contentSecurityPolicy(options),
    // For browsers that predate frame-ancestors.
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    ...(options.https ? { "Strict-Transport-Security": "max-age=63072000; includeSubDomains" } : {}),
  };
}
