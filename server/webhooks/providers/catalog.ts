// What the product says about each webhook authentication preset: its name, what the sender
// sends, where its secret comes from, its options, and the delivery id used for idempotency.
// Free of Node modules, so the endpoint form (app/w/[workspace]/webhooks) reads the same list as
// the server; the verifiers themselves are the modules beside this one.

export const authModes = [
  "hmac",
  "token",
  "generic_hmac",
  "github",
  "gitlab",
  "stripe",
  "slack",
  "standard",
  "shopify",
  "twilio",
] as const;

export type AuthMode = (typeof authModes)[number];

/** An option of a preset, as the form asks for it. */
export interface OptionField {
  name: string;
  label: string;
  kind: "text" | "number" | "select";
  choices?: readonly string[];
  /** The value when none is given (undefined: the option is optional and has none). */
  fallback?: string | number;
  required?: boolean;
  hint: string;
}

export interface PresetInfo {
  label: string;
  /** What the sender sends. */
  hint: string;
  /** Where the secret comes from. */
  secretHint: string;
  /** The provider's own delivery id, used as idempotency key when no Idempotency-Key is sent. */
  deliveryId?: string;
  options: readonly OptionField[];
}

const tolerance: OptionField = {
  name: "toleranceSeconds",
  label: "Tolerance (seconds)",
  kind: "number",
  fallback: 300,
  hint: "How far the signed timestamp may be from Baton's clock: older deliveries are refused as replays.",
};

export const presets: Record<AuthMode, PresetInfo> = {
  hmac: {
    label: "HMAC signature (Baton)",
    hint: "X-Baton-Signature: t=<unix seconds>,v1=<HMAC-SHA256 of “t.body”>, refused outside the tolerance.",
    secretHint: "Generate one and give it to the sender.",
    options: [tolerance],
  },
  token: {
    label: "Secret token",
    hint: "The secret itself in X-Baton-Token (or Authorization: Bearer), or in the header you name. Use it only over HTTPS.",
    secretHint: "Generate one, or paste the token the sender sends.",
    options: [
      {
        name: "header",
        label: "Header",
        kind: "text",
        hint: "Leave empty for X-Baton-Token or Authorization: Bearer.",
      },
    ],
  },
  generic_hmac: {
    label: "HMAC of the body (any sender)",
    hint: "An HMAC of the raw body in the header you name, with the sender's algorithm, encoding and prefix.",
    secretHint: "Paste the sender's signing secret, or generate one and give it to the sender.",
    options: [
      {
        name: "header",
        label: "Header",
        kind: "text",
        required: true,
        hint: "Where the sender puts the signature, e.g. X-Signature.",
      },
      {
        name: "algorithm",
        label: "Algorithm",
        kind: "select",
        choices: ["sha256", "sha1", "sha512"],
        fallback: "sha256",
        hint: "HMAC with this hash.",
      },
      {
        name: "encoding",
        label: "Encoding",
        kind: "select",
        choices: ["hex", "base64"],
        fallback: "hex",
        hint: "How the signature is written.",
      },
      { name: "prefix", label: "Prefix", kind: "text", hint: "Text before the signature, such as sha256=." },
    ],
  },
  github: {
    label: "GitHub",
    hint: "X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>, as GitHub sends it.",
    secretHint:
      "Generate one and paste it into the repository's webhook settings (or paste the one you set there).",
    deliveryId: "X-GitHub-Delivery",
    options: [],
  },
  gitlab: {
    label: "GitLab",
    hint: "X-Gitlab-Token: <secret token>, as set in the project's webhook settings.",
    secretHint:
      "Generate one and paste it as the webhook's secret token in GitLab (or paste the one you set there).",
    deliveryId: "Idempotency-Key (GitLab sends it)",
    options: [],
  },
  stripe: {
    label: "Stripe",
    hint: "Stripe-Signature: t=…,v1=… (several while Stripe rolls the secret), within the tolerance.",
    secretHint: "Paste the endpoint's signing secret (whsec_…) from the Stripe dashboard.",
    deliveryId: "the event's id",
    options: [tolerance],
  },
  slack: {
    label: "Slack",
    hint: "X-Slack-Signature: v0=… and X-Slack-Request-Timestamp; Slack's URL verification is answered for you.",
    secretHint: "Paste the app's Signing Secret (Basic Information in the Slack app settings).",
    deliveryId: "the event's event_id",
    options: [tolerance],
  },
  standard: {
    label: "Standard Webhooks / Svix",
    hint: "webhook-id, webhook-timestamp and webhook-signature: v1,… (several during a key rotation).",
    secretHint:
      "Paste the sender's whsec_ secret, or generate one (whsec_ and base64) and give it to the sender.",
    deliveryId: "webhook-id",
    options: [tolerance],
  },
  shopify: {
    label: "Shopify",
    hint: "X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>.",
    secretHint: "Paste the app's client secret (or the store's webhook signing secret).",
    deliveryId: "X-Shopify-Webhook-Id",
    options: [],
  },
  twilio: {
    label: "Twilio",
    hint: "X-Twilio-Signature over the URL and the sorted form parameters (bodySHA256 for JSON).",
    secretHint: "Paste the account's Auth Token.",
    deliveryId: "I-Twilio-Idempotency-Token",
    options: [
      {
        name: "url",
        label: "URL set in Twilio",
        kind: "text",
        hint: "Only when Twilio calls another URL than this endpoint's (a proxy in front of Baton).",
      },
    ],
  },
};
