// The webhook authentication presets, one module each: what every endpoint's `authMode` names.
import { batonHmac } from "./baton-hmac";
import type { AuthMode } from "./catalog";
import { genericHmac } from "./generic-hmac";
import { github } from "./github";
import { gitlab } from "./gitlab";
import type { Provider } from "./kit";
import { shopify } from "./shopify";
import { slack } from "./slack";
import { standardWebhooks } from "./standard";
import { stripe } from "./stripe";
import { token } from "./token";
import { twilio } from "./twilio";

export const providers = {
  hmac: batonHmac,
  token,
  generic_hmac: genericHmac,
  github,
  gitlab,
  stripe,
  slack,
  standard: standardWebhooks,
  shopify,
  twilio,
} as const satisfies Record<AuthMode, unknown>;

export { type AuthMode, authModes, presets } from "./catalog";

/** The provider of a mode, with its option types widened (options are parsed with its own schema). */
export const providerOf = (mode: AuthMode) => providers[mode] as unknown as Provider<Record<string, unknown>>;

export { signBody } from "./baton-hmac";
export type { SignedRequest, Verdict } from "./kit";
