// The public webhook endpoint, POST /api/hooks/<endpoint id>: no session, no API token; the
// endpoint's own secret authenticates the sender. In order:
//
//   body over the size limit → 413;  unknown or disabled endpoint → 404;
//   bad credentials (the endpoint's provider preset, server/webhooks/providers) → 401, generic
//   (the reason goes to the delivery log only);
//   workspace over its delivery rate → 429 with Retry-After;
//   workspace suspended → 503 with Retry-After (providers retry), the reason in the delivery log only;
//   a provider's handshake (Slack's url_verification) → 200 with its answer, no run;
//   payload mapped to params that do not validate → 422 naming each param;
//   otherwise accepted: one insert, 202 with the id and status URL of the run the engine creates
//   from it at once (deliver.ts, engine/webhook-runs.ts); in sync mode, 200 with the run's outputs
//   when it ends in time. A repeated idempotency key (Idempotency-Key, else the provider's delivery
//   id — GitHub, Stripe, Standard Webhooks, Shopify, Slack, Twilio — else the endpoint's
//   idempotencyField) answers the original run.
//
// The endpoint is looked up by id before any workspace is known: one cross-workspace read, in plain
// SQL like the engine's (it runs on every delivery; server/db/cross-tenant.ts). Everything after
// acts in the endpoint's workspace: the scope for runs, the delivery log's workspaceSql.

import { env } from "@/server/config";
import { isDatabaseUnavailable } from "@/server/db/availability";
import { crossTenantSql } from "@/server/db/cross-tenant";
import { compiledVersion } from "@/server/engine/graph";
import { runSecretMask, secretReach } from "@/server/engine/secrets";
import { AppError, httpStatus } from "@/server/errors";
import { internalError } from "@/server/observability/http";
import {
  SUSPENDED_RETRY_AFTER_SECONDS,
  SUSPENDED_WEBHOOK_MESSAGE,
  suspendedMessage,
} from "@/server/quotas/errors";
import { decryptSecret } from "@/server/secrets/crypto";
import { processKeyring } from "@/server/secrets/keyring";
import { SecretMask } from "@/server/secrets/mask";
import { systemScope, type WorkspaceScope } from "@/server/tenancy/door";
import { workspaceSql } from "@/server/tenancy/workspace-sql";
import type { ParamMapping } from "@/server/triggers/mapping";
import { resolvePointer } from "@/server/triggers/mapping";
import { unacceptableInput } from "@/server/validation";
import {
  acceptDelivery,
  type DeliveryAnswer,
  errorAnswer,
  type LoggedRequest,
  logDelivery,
  parseDocument,
} from "./deliver";
import { cachedEndpoint } from "./endpoint-cache";
import { webhookAad, webhookUrl } from "./endpoints";
import { loggedBodyBytes, maxBodyBytes, mayLogUnverified, takeDelivery } from "./limits";
import { type AuthMode, providerOf, redactHeaders, type SignedRequest, verifyDelivery } from "./signature";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_KEY_LENGTH = 255;

function respond(answer: DeliveryAnswer): Response {
  return new Response(JSON.stringify(answer.body), {
    status: answer.status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...answer.headers },
  });
}

const noSuchWebhook = errorAnswer(404, "NOT_FOUND", "No such webhook");
const notFound = () => respond(noSuchWebhook);

/** The body, or null when it is over `max` bytes (read no further than that). */
async function readCapped(request: Request, max: number): Promise<Buffer | null> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > max) return null;
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

interface Endpoint {
  id: string;
  workspaceId: string;
  name: string;
  authMode: AuthMode;
  authOptions: Record<string, unknown>;
  secretCiphertext: string;
  previousSecretCiphertext: string | null;
  previousSecretExpiresAt: Date | null;
  idempotencyField: string | null;
  paramMapping: ParamMapping;
  mode: "async" | "sync";
  waitSeconds: number;
  enabled: boolean;
  dagKey: string;
  currentVersionId: string | null;
  archived: boolean;
  rateLimitPerMinute: number;
  suspended: boolean;
  suspendedReason: string | null;
}

/** An endpoint as deliveries use it, kept per process for a second (endpoint-cache.ts). */
interface KnownEndpoint extends Endpoint {
  secret: string;
  previousSecret: string | null;
  /** Masks both secrets wherever a sender put them in what the log keeps. */
  mask: SecretMask;
}

/** The endpoint with its DAG and its workspace's rate and state (this runs on every delivery). */
function lookupEndpoint(id: string): Promise<KnownEndpoint | undefined> {
  return cachedEndpoint(id, readEndpoint);
}

/** One statement for the endpoint, its DAG and workspace, then its secrets decrypted once. */
async function readEndpoint(id: string): Promise<KnownEndpoint | undefined> {
  // Across workspaces: the endpoint's id is all a delivery carries until this answers.
  const { rows } = await crossTenantSql.query<Endpoint>(
    `SELECT e.id, e."workspaceId", e.name, e."authMode", e."authOptions", e."secretCiphertext", e."previousSecretCiphertext",
            e."previousSecretExpiresAt" AT TIME ZONE 'UTC' AS "previousSecretExpiresAt", e."idempotencyField",
            e."paramMapping", e.mode, e."waitSeconds", e.enabled, d.key AS "dagKey", d."currentVersionId",
            d."archivedAt" IS NOT NULL AS archived,
            w."webhookRateLimitPerMinute" AS "rateLimitPerMinute",
            w."suspendedAt" IS NOT NULL AS suspended, w."suspendedReason"
     FROM "WebhookEndpoint" e JOIN "Dag" d ON d.id = e."dagId" JOIN "Workspace" w ON w.id = e."workspaceId"
     WHERE e.id = $1`,
    [id],
  );
  const endpoint = rows[0];
  if (!endpoint) return undefined;
  const keyring = processKeyring();
  const aad = webhookAad(endpoint.workspaceId, endpoint.id);
  const secret = decryptSecret(keyring, endpoint.secretCiphertext, aad);
  const previousSecret =
    endpoint.previousSecretCiphertext && decryptSecret(keyring, endpoint.previousSecretCiphertext, aad);
  const mask = new SecretMask(previousSecret ? [secret, previousSecret] : [secret]);
  return { ...endpoint, secret, previousSecret, mask };
}

/** Sets the logged body, and masks it and the logged headers. */
function maskLogged(logged: LoggedRequest, mask: SecretMask, body: string): void {
  logged.body = mask.text(body);
  logged.headers = mask.value(logged.headers);
}

/** The secrets a delivery may be signed with: the endpoint's, and the previous one until it expires. */
function secretsOf(endpoint: KnownEndpoint, now: number): string[] {
  const previousValid = (endpoint.previousSecretExpiresAt?.getTime() ?? 0) > now;
  return endpoint.previousSecret && previousValid
    ? [endpoint.secret, endpoint.previousSecret]
    : [endpoint.secret];
}

/**
 * The delivery's idempotency key: the Idempotency-Key header, else the provider's own delivery id
 * (X-GitHub-Delivery, the Stripe event's id, webhook-id, X-Shopify-Webhook-Id…), else the
 * endpoint's idempotencyField of the body.
 */
function idempotencyKeyOf(endpoint: Endpoint, request: SignedRequest, document: unknown): string | undefined {
  const header =
    request.headers["idempotency-key"] ?? providerOf(endpoint.authMode).idempotencyKey?.(request, document);
  if (header !== undefined) return header.trim();
  if (endpoint.idempotencyField === null) return undefined;
  const field = resolvePointer(document, endpoint.idempotencyField);
  if (!field.found || field.value === null || typeof field.value === "object") return undefined;
  return String(field.value);
}

export async function receiveWebhook(request: Request, endpointId: string): Promise<Response> {
  try {
    if (request.method !== "POST") {
      return respond({
        ...errorAnswer(405, "METHOD_NOT_ALLOWED", "Send webhooks with POST"),
        headers: { allow: "POST" },
      });
    }
    if (!UUID.test(endpointId)) return notFound();
    const endpoint = await lookupEndpoint(endpointId.toLowerCase());
    if (!endpoint) return notFound();
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    const logged: LoggedRequest = {
      headers: redactHeaders(headers),
      body: "",
      bodyBytes: 0,
      bodyTruncated: false,
    };
    const workspaceId = endpoint.workspaceId;
    // A scope only when the DAG's runs reach secrets (their values are masked in the log).
    let scope: WorkspaceScope | undefined;
    const open = async () => (scope ??= await systemScope(workspaceId));
    /** Failures before authentication are logged only within the endpoint's small budget. */
    const unverified = async (answer: DeliveryAnswer, result: string, message: string) => {
      if (await mayLogUnverified(endpoint.id)) {
        await logDelivery(workspaceId, endpoint.id, logged, { statusCode: answer.status, result, message });
      }
      return respond(answer);
    };

    const max = maxBodyBytes();
    const body = await readCapped(request, max);
    if (body === null) {
      const answer = errorAnswer(413, "PAYLOAD_TOO_LARGE", `The body is over ${max} bytes`);
      return unverified(answer, "too_large", `body over ${max} bytes`);
    }
    const cap = loggedBodyBytes();
    const endpointSecrets = secretsOf(endpoint, Date.now());
    // The log never shows the endpoint's own secret, wherever a sender put it.
    maskLogged(logged, endpoint.mask, body.subarray(0, cap).toString("utf8"));
    logged.bodyBytes = body.length;
    logged.bodyTruncated = body.length > cap;

    if (!endpoint.enabled) return unverified(noSuchWebhook, "disabled", "the endpoint is disabled");
    // The URL the sender called (Twilio signs it): as published, and as this request reached us.
    const baseUrl = env.NEXTAUTH_URL ?? new URL(request.url).origin;
    const published = `${webhookUrl(baseUrl, endpoint.id)}${new URL(request.url).search}`;
    const signed: SignedRequest = { headers, body, url: published, alsoUrls: [request.url] };
    const verdict = verifyDelivery(endpoint.authMode, endpointSecrets, signed, endpoint.authOptions);
    if (!verdict.ok) {
      // The sender learns nothing about which check failed; the owners read it in the log.
      const answer = errorAnswer(401, "UNAUTHORIZED", "The delivery is not authenticated");
      return unverified(answer, "unauthorized", verdict.reason);
    }

    // Nor the secrets its DAG's runs reach (docs/secrets.md), now that the sender is known.
    if (endpoint.currentVersionId) {
      const { dag } = await compiledVersion(
        workspaceSql(endpoint.workspaceId),
        endpoint.currentVersionId,
        endpoint.workspaceId,
      );
      const reach = secretReach(dag);
      if (reach.secrets.length + reach.connections.length > 0) {
        maskLogged(logged, await runSecretMask(await open(), dag, endpointSecrets), logged.body);
      }
    }

    const allowed = await takeDelivery(endpoint.workspaceId, endpoint.rateLimitPerMinute);
    if (!allowed.ok) {
      await logDelivery(workspaceId, endpoint.id, logged, {
        statusCode: 429,
        result: "rate_limited",
        message: `over ${endpoint.rateLimitPerMinute} deliveries a minute for the workspace`,
      });
      return respond({
        ...errorAnswer(
          429,
          "TOO_MANY_REQUESTS",
          `Too many webhook deliveries: this workspace's plan accepts ${endpoint.rateLimitPerMinute} a minute (quota webhookRateLimitPerMinute); retry after the Retry-After seconds, or ask for a larger plan`,
        ),
        headers: { "retry-after": String(allowed.retryAfter) },
      });
    }

    // After the credentials (a stranger learns nothing) and the rate (it bounds the log's writes).
    // 503 with Retry-After, not a refusal: providers retry such answers, so deliveries sent
    // during a suspension arrive after it. The sender learns nothing of why; the log says.
    if (endpoint.suspended) {
      const message = suspendedMessage(endpoint.suspendedReason);
      await logDelivery(workspaceId, endpoint.id, logged, { statusCode: 503, result: "suspended", message });
      return respond({
        ...errorAnswer(503, "SERVICE_UNAVAILABLE", SUSPENDED_WEBHOOK_MESSAGE),
        headers: { "retry-after": String(SUSPENDED_RETRY_AFTER_SECONDS) },
      });
    }

    let document: unknown;
    try {
      document = parseDocument(headers["content-type"], body);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await logDelivery(workspaceId, endpoint.id, logged, {
        statusCode: 400,
        result: "invalid",
        message: error.message,
      });
      return respond(errorAnswer(400, error.code, error.message));
    }
    const challenge = providerOf(endpoint.authMode).challenge?.(document);
    if (challenge) {
      await logDelivery(workspaceId, endpoint.id, logged, {
        statusCode: challenge.status,
        result: "challenge",
        message: "answered the sender's URL verification; no run",
      });
      return respond({ status: challenge.status, body: challenge.body as Record<string, unknown> });
    }
    const key = idempotencyKeyOf(endpoint, signed, document);
    if (key !== undefined && (key === "" || key.length > MAX_KEY_LENGTH || unacceptableInput(key))) {
      const message = `The idempotency key must be 1 to ${MAX_KEY_LENGTH} characters of storable text`;
      await logDelivery(workspaceId, endpoint.id, logged, { statusCode: 400, result: "invalid", message });
      return respond(errorAnswer(400, "BAD_REQUEST", message));
    }
    const answer = await acceptDelivery(
      workspaceId,
      {
        id: endpoint.id,
        workspaceId: endpoint.workspaceId,
        name: endpoint.name,
        dagKey: endpoint.dagKey,
        currentVersionId: endpoint.currentVersionId,
        archived: endpoint.archived,
        paramMapping: endpoint.paramMapping,
        mode: endpoint.mode,
        waitSeconds: endpoint.waitSeconds,
      },
      {
        document,
        headers,
        logged,
        idempotencyKey: key,
        baseUrl,
        wait: true,
      },
    );
    return respond(answer);
  } catch (error) {
    if (error instanceof AppError && !isDatabaseUnavailable(error)) {
      return respond(errorAnswer(httpStatus[error.code], error.code, error.message, error.problems));
    }
    // A database that is away answers 503 with Retry-After, so the sender retries the delivery.
    return internalError(error);
  }
}
