// Authenticating webhook deliveries: an endpoint's `authMode` names one provider preset
// (server/webhooks/providers, one verifier module each: GitHub, GitLab, Stripe, Slack, Standard
// Webhooks / Svix, Shopify, Twilio, Baton's own HMAC, a token, any body HMAC) and its
// `authOptions` that preset's options. Every comparison is constant-time; a failure carries a
// reason for the delivery log, and the sender only ever gets a generic 401.
import { type AuthMode, providerOf, type SignedRequest, type Verdict } from "./providers";

export type { AuthMode, SignedRequest, Verdict } from "./providers";
export { authModes, presets, providerOf, providers, signBody } from "./providers";

/**
 * Checks a delivery against one or more secrets (the current one, and the previous one during a
 * rotation's grace period) with the endpoint's preset and options.
 */
export function verifyDelivery(
  mode: AuthMode,
  secrets: string[],
  request: SignedRequest,
  options: unknown = {},
  nowMs = Date.now(),
): Verdict {
  const provider = providerOf(mode);
  const parsed = provider.options.safeParse(options ?? {});
  if (!parsed.success)
    return { ok: false, reason: `the endpoint's authOptions are invalid: ${parsed.error.message}` };
  return provider.verify(request, secrets, parsed.data, nowMs);
}

/** Headers whose values are credentials or signatures: logged as "[redacted]". */
const sensitiveHeader =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-baton-token|x-gitlab-token|x-baton-signature|x-hub-signature(-256)?|stripe-signature|x-slack-signature|webhook-signature|svix-signature|x-shopify-hmac-sha256|x-twilio-signature)$|token|secret|password|signature|hmac|api[-_]?key|auth/i;

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, sensitiveHeader.test(name) ? "[redacted]" : value]),
  );
}
