// A shell snippet that sends a test delivery to an endpoint, authenticated the way the endpoint
// expects (server/webhooks/signature.ts): `token` sends the secret in X-Baton-Token; `hmac` signs
// "<unix seconds>.<raw body>" with HMAC-SHA256 into X-Baton-Signature: t=…,v1=…; `github` signs
// the raw body into X-Hub-Signature-256: sha256=…. The body carries a sample value at every place
// the param mapping reads, so the delivery maps to params that fit the DAG.
import type { ParamSpec } from "@/server/dags/definition";

export type AuthMode = "token" | "hmac" | "github";

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
  secret,
  mapping,
  params,
}: {
  url: string;
  authMode: AuthMode;
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
  if (authMode === "token") {
    auth.push(`-H "X-Baton-Token: $SECRET"`);
  } else if (authMode === "hmac") {
    lines.push(
      "T=$(date +%s)",
      `SIG=$(printf '%s.%s' "$T" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}')`,
    );
    auth.push(`-H "X-Baton-Signature: t=$T,v1=$SIG"`);
  } else {
    lines.push(`SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}')`);
    auth.push(`-H "X-Hub-Signature-256: sha256=$SIG"`, `-H 'X-GitHub-Event: ping'`);
  }
  const options = [
    `-H 'content-type: application/json'`,
    ...auth,
    ...headers.map(([name, value]) => `-H ${shellQuote(`${name}: ${value}`)}`),
    `--data-binary "$BODY"`,
  ];
  lines.push(
    `curl -sS -X POST "$URL" \\`,
    ...options.map((option, i) => `  ${option}${i < options.length - 1 ? " \\" : ""}`),
  );
  return `${lines.join("\n")}\n`;
}
