// A shell snippet that sends a test delivery to an endpoint, signed the way its preset expects
// (server/webhooks/providers): with bash, curl and openssl only, as the sender would — Baton's
// X-Baton-Signature, a token, GitHub, GitLab, Stripe, Slack, Standard Webhooks, Shopify, Twilio
// (its JSON form, bodySHA256 in the URL) or the endpoint's own HMAC header. The body carries a
// sample value at every place the param mapping reads, so the delivery maps to params that fit.
import type { ParamSpec } from "@/server/dags/definition";
import type { AuthMode } from "@/server/webhooks/providers/catalog";

export type { AuthMode } from "@/server/webhooks/providers/catalog";

/** Quotes a value for a POSIX shell: inside single quotes nothing is special but the quote itself. */
export const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

function sampleValue(spec: ParamSpec | undefined): unknown {
  if (spec?.default !== undefined) return spec.default;
  if (spec?.enum?.length) return spec.enum[0];
  switch (spec?.type) {
    case "number":
    case "integer":
      return 1;
    case "boolean":
      return true;
    case "object":
      return {};
    case "array":
      return [];
    default:
      return "example";
  }
}

/** Sets a value at a JSON pointer ("/a/b"), making the objects on the way. */
function setAt(document: Record<string, unknown>, pointer: string, value: unknown) {
  const keys = pointer
    .slice(1)
    .split("/")
    .map((key) => key.replace(/~1/g, "/").replace(/~0/g, "~"));
  let node = document;
  keys.forEach((key, index) => {
    if (index === keys.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  });
}

/** A body and headers that give every mapped param a sample value. */
export function sampleDelivery(mapping: Record<string, string>, params: Record<string, ParamSpec>) {
  let body: unknown = {};
  const headers: Array<[string, string]> = [];
  for (const [param, source] of Object.entries(mapping)) {
    const value = sampleValue(params[param]);
    if (source.startsWith("header:")) {
      headers.push([
        source.slice("header:".length),
        typeof value === "string" ? value : JSON.stringify(value),
      ]);
    } else if (source === "") {
      body = value;
    } else if (typeof body === "object" && body !== null && !Array.isArray(body)) {
      setAt(body as Record<string, unknown>, source, value);
    }
  }
  if (typeof body === "object" && body !== null && Object.keys(body).length === 0) body = { event: "test" };
  return { body: JSON.stringify(body), headers };
}

export function curlExample({
  url,
  authMode,
  authOptions = {},
  secret,
  mapping,
  params,
}: {
  url: string;
  authMode: AuthMode;
  authOptions?: Record<string, unknown>;
  /** The secret when it is on screen (just created or rotated); else the snippet reads $WEBHOOK_SECRET. */
  secret?: string | undefined;
  mapping: Record<string, string>;
  params: Record<string, ParamSpec>;
}): string {
  const { body, headers } = sampleDelivery(mapping, params);
  const lines = [
    `URL=${shellQuote(url)}`,
    secret
      ? `SECRET=${shellQuote(secret)}`
      : `SECRET="\${WEBHOOK_SECRET:?set WEBHOOK_SECRET to the secret of this endpoint}"`,
    `BODY=${shellQuote(body)}`,
  ];
  const auth: string[] = [];
  const hex = (data: string, algorithm = "sha256") =>
    `$(printf '%s' ${data} | openssl dgst -${algorithm} -hmac "$SECRET" | awk '{print $NF}')`;
  const base64 = (data: string, algorithm = "sha256") =>
    `$(printf '%s' ${data} | openssl dgst -${algorithm} -hmac "$SECRET" -binary | openssl base64 -A)`;
  let target = '"$URL"';
  switch (authMode) {
    case "token": {
      const header = typeof authOptions.header === "string" ? authOptions.header : "X-Baton-Token";
      auth.push(`-H "${header}: $SECRET"`);
      break;
    }
    case "gitlab":
      auth.push(`-H "X-Gitlab-Token: $SECRET"`, `-H 'X-Gitlab-Event: Push Hook'`);
      break;
    case "hmac":
    case "stripe":
      lines.push("T=$(date +%s)", `SIG=${hex('"$T.$BODY"')}`);
      auth.push(`-H "${authMode === "hmac" ? "X-Baton-Signature" : "Stripe-Signature"}: t=$T,v1=$SIG"`);
      break;
    case "github":
      lines.push(`SIG=${hex('"$BODY"')}`);
      auth.push(`-H "X-Hub-Signature-256: sha256=$SIG"`, `-H 'X-GitHub-Event: ping'`);
      break;
    case "slack":
      lines.push("T=$(date +%s)", `SIG=${hex('"v0:$T:$BODY"')}`);
      auth.push(`-H "X-Slack-Request-Timestamp: $T"`, `-H "X-Slack-Signature: v0=$SIG"`);
      break;
    case "standard":
      // The key is the base64 after whsec_.
      lines.push(
        "ID=msg_$(date +%s%N)",
        "T=$(date +%s)",
        `KEY=$(printf '%s' "\${SECRET#whsec_}" | openssl base64 -d -A | od -An -tx1 | tr -d ' \\n')`,
        `SIG=$(printf '%s' "$ID.$T.$BODY" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$KEY" -binary | openssl base64 -A)`,
      );
      auth.push(`-H "webhook-id: $ID"`, `-H "webhook-timestamp: $T"`, `-H "webhook-signature: v1,$SIG"`);
      break;
    case "shopify":
      lines.push(`SIG=${base64('"$BODY"')}`);
      auth.push(`-H "X-Shopify-Hmac-Sha256: $SIG"`, `-H "X-Shopify-Webhook-Id: $(date +%s%N)"`);
      break;
    case "twilio":
      // A JSON body: its SHA-256 goes in the URL, and the signature covers the URL.
      lines.push(
        `SIGNED_URL="$URL?bodySHA256=$(printf '%s' "$BODY" | openssl dgst -sha256 | awk '{print $NF}')"`,
        `SIG=${base64('"$SIGNED_URL"', "sha1")}`,
      );
      auth.push(`-H "X-Twilio-Signature: $SIG"`);
      target = '"$SIGNED_URL"';
      break;
    case "generic_hmac": {
      const header = String(authOptions.header ?? "X-Signature");
      const algorithm = String(authOptions.algorithm ?? "sha256");
      const prefix = String(authOptions.prefix ?? "");
      lines.push(
        `SIG=${authOptions.encoding === "base64" ? base64('"$BODY"', algorithm) : hex('"$BODY"', algorithm)}`,
      );
      auth.push(`-H ${shellQuote(`${header}: ${prefix}`)}"$SIG"`);
      break;
    }
  }
  const options = [
    `-H 'content-type: application/json'`,
    ...auth,
    ...headers.map(([name, value]) => `-H ${shellQuote(`${name}: ${value}`)}`),
    `--data-binary "$BODY"`,
  ];
  lines.push(
    `curl -sS -X POST ${target} \\`,
    ...options.map((option, i) => `  ${option}${i < options.length - 1 ? " \\" : ""}`),
  );
  return `${lines.join("\n")}\n`;
}
