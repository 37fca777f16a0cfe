// Webhook endpoints of a workspace's DAGs: create, read, change, delete, rotate the secret; and
// the delivery log with replay. A DAG may have several endpoints (one per sender, say), each with
// its own provider preset (`authMode` and its `authOptions`, server/webhooks/providers), secret and
// settings. The secret is the sender's, pasted (Stripe, Slack, Shopify, Twilio and Standard
// Webhooks senders make their own), or one Baton generates and shows once; either way it is
// write-only: stored encrypted, bound to the endpoint (AAD `${workspaceId}:webhook:${endpointId}`),
// never answered again.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { Prisma } from "@/prisma/generated/client";
import type { DagDefinition } from "@/server/dags/definition";
import { AppError, notFound } from "@/server/errors";
import { keyset, type PageInput } from "@/server/pagination";
import {
  decryptSecret,
  encryptSecret,
  type Keyring,
  needsRotation,
  reencrypt,
} from "@/server/secrets/crypto";
import { keyVersionOf, processKeyring } from "@/server/secrets/keyring";
import type { WorkspaceScope } from "@/server/tenancy/door";
import {
  jsonPointer,
  type ParamMapping,
  paramMappingSchema,
  undeclaredParams,
} from "@/server/triggers/mapping";
import { acceptDelivery, parseDocument, statusUrl } from "./deliver";
import { forgetWebhookEndpoints } from "./endpoint-cache";
import { type AuthMode, authModes, presets, providerOf } from "./signature";

export const webhookAad = (workspaceId: string, endpointId: string) => `${workspaceId}:webhook:${endpointId}`;

/** The URL senders call. */
export const webhookUrl = (baseUrl: string, endpointId: string) => `${baseUrl}/api/hooks/${endpointId}`;

/** Longest a sync endpoint may hold a delivery open (senders such as GitHub give up after 10 s). */
export const MAX_WAIT_SECONDS = 30;

/** The settings of an endpoint, as the API takes them (all optional on update). */
export const webhookSettings = {
  name: z.string().trim().min(1, "Enter a name").max(80, "Names are at most 80 characters"),
  authMode: z.enum(authModes),
  /** The preset's options (checked against the preset's own schema by the service). */
  authOptions: z.record(z.string(), z.unknown()),
  /** The sender's secret, pasted; left out, Baton generates one. Write-only. */
  secret: z.string().trim().min(1, "Paste the secret, or leave it out to have one generated").max(512),
  idempotencyField: jsonPointer.nullable(),
  paramMapping: paramMappingSchema({ headers: true }),
  mode: z.enum(["async", "sync"]),
  waitSeconds: z.int().min(1).max(MAX_WAIT_SECONDS),
  enabled: z.boolean(),
};

/** The preset's options, parsed with its schema; problems under `authOptions.<field>`. */
function parseAuthOptions(mode: AuthMode, options: Record<string, unknown> | undefined) {
  const parsed = providerOf(mode).options.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  throw new AppError(
    "UNPROCESSABLE_CONTENT",
    `The options do not fit the ${presets[mode].label} preset`,
    parsed.error.issues.map((issue) => ({
      path: ["authOptions", ...issue.path].join("."),
      message: issue.message,
    })),
  );
}

/** The pasted secret checked for the preset, or a new one (then shown once). */
function secretFor(mode: AuthMode, pasted: string | undefined): { secret: string; generated: boolean } {
  if (pasted === undefined) return { secret: providerOf(mode).newSecret(), generated: true };
  const problem = providerOf(mode).secretProblem(pasted);
  if (problem) {
    throw new AppError("UNPROCESSABLE_CONTENT", `That is not a ${presets[mode].label} secret`, [
      { path: "secret", message: `The secret ${problem}` },
    ]);
  }
  return { secret: pasted, generated: false };
}

const select = {
  id: true,
  name: true,
  authMode: true,
  authOptions: true,
  secretCiphertext: true,
  previousSecretExpiresAt: true,
  idempotencyField: true,
  paramMapping: true,
  mode: true,
  waitSeconds: true,
  enabled: true,
  createdAt: true,
  updatedAt: true,
  dag: { select: { key: true } },
} as const;

type Row = Prisma.WebhookEndpointGetPayload<{ select: typeof select }>;

function present(row: Row, baseUrl: string) {
  const { secretCiphertext, dag, paramMapping, previousSecretExpiresAt, authOptions, ...rest } = row;
  return {
    ...rest,
    authOptions: authOptions as Record<string, unknown>,
    dagId: dag.key,
    url: webhookUrl(baseUrl, row.id),
    paramMapping: paramMapping as ParamMapping,
    /** Until when the secret before the last rotation is still accepted (null: it is not). */
    previousSecretExpiresAt:
      previousSecretExpiresAt && previousSecretExpiresAt > new Date() ? previousSecretExpiresAt : null,
    keyVersion: keyVersionOf(secretCiphertext) ?? null,
  };
}

async function paramsOfDag(scope: WorkspaceScope, versionId: string | null) {
  if (!versionId) return {};
  const version = await scope.db.dagVersion.findFirst({
    where: { id: versionId },
    select: { definition: true },
  });
  return (version?.definition as unknown as DagDefinition | undefined)?.params ?? {};
}

async function findEndpoint(scope: WorkspaceScope, webhookId: string) {
  const row = await scope.db.webhookEndpoint.findFirst({
    where: { id: webhookId },
    select: { ...select, dag: { select: { key: true, currentVersionId: true, archivedAt: true } } },
  });
  if (!row) throw notFound("Webhook");
  return row;
}

function nameTaken(error: unknown, name: string): never {
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
    throw new AppError("CONFLICT", `This DAG already has a webhook named "${name}"`, [
      { path: "name", message: "Already used for this DAG" },
    ]);
  }
  throw error;
}

export async function createWebhook(
  scope: WorkspaceScope,
  input: {
    dagId: string;
    name: string;
    authMode?: AuthMode | undefined;
    authOptions?: Record<string, unknown> | undefined;
    secret?: string | undefined;
    idempotencyField?: string | null | undefined;
    paramMapping?: ParamMapping | undefined;
    mode?: "async" | "sync" | undefined;
    waitSeconds?: number | undefined;
    enabled?: boolean | undefined;
    baseUrl: string;
  },
) {
  const authMode = input.authMode ?? "hmac";
  const authOptions = parseAuthOptions(authMode, input.authOptions);
  const { secret, generated } = secretFor(authMode, input.secret);
  const dag = await scope.db.dag.findFirst({
    where: { key: input.dagId },
    select: { id: true, key: true, currentVersionId: true },
  });
  if (!dag) throw notFound("DAG");
  const mapping = input.paramMapping ?? {};
  const problems = undeclaredParams(mapping, await paramsOfDag(scope, dag.currentVersionId));
  if (problems.length > 0)
    throw new AppError("UNPROCESSABLE_CONTENT", "The param mapping names unknown params", problems);
  const id = randomUUID();
  try {
    const row = await scope.db.webhookEndpoint.create({
      data: {
        id,
        workspaceId: scope.workspace.id,
        dagId: dag.id,
        name: input.name,
        authMode,
        authOptions: authOptions as Prisma.InputJsonObject,
        secretCiphertext: encryptSecret(processKeyring(), secret, webhookAad(scope.workspace.id, id)),
        idempotencyField: input.idempotencyField ?? null,
        paramMapping: mapping,
        mode: input.mode ?? "async",
        waitSeconds: input.waitSeconds ?? 10,
        enabled: input.enabled ?? true,
      },
      select,
    });
    await scope.audit("webhook.create", dag.key, {
      webhookId: id,
      name: input.name,
      authMode: row.authMode,
      secret: generated ? "generated" : "pasted",
    });
    // A generated secret is shown this once; a pasted one is the caller's already.
    return { ...present(row, input.baseUrl), ...(generated ? { secret } : {}) };
  } catch (error) {
    nameTaken(error, input.name);
  }
}

const webhooksOrder = keyset([
  ["createdAt", "asc", "date"],
  ["id", "asc"],
]);

/** Endpoints, oldest first. */
export async function listWebhooks(
  scope: WorkspaceScope,
  input: PageInput & { dagId?: string | undefined; baseUrl: string },
) {
  if (input.dagId) {
    const dag = await scope.db.dag.findFirst({ where: { key: input.dagId }, select: { id: true } });
    if (!dag) throw notFound("DAG");
  }
  return webhooksOrder.page(
    input,
    ({ where, ...query }) =>
      scope.db.webhookEndpoint.findMany({
        ...query,
        where: { ...(input.dagId ? { dag: { key: input.dagId } } : {}), ...where },
        select,
      }),
    (row) => present(row, input.baseUrl),
  );
}

export async function getWebhook(scope: WorkspaceScope, input: { webhookId: string; baseUrl: string }) {
  return present(await findEndpoint(scope, input.webhookId), input.baseUrl);
}

export async function updateWebhook(
  scope: WorkspaceScope,
  input: {
    webhookId: string;
    name?: string | undefined;
    authMode?: AuthMode | undefined;
    authOptions?: Record<string, unknown> | undefined;
    secret?: string | undefined;
    idempotencyField?: string | null | undefined;
    paramMapping?: ParamMapping | undefined;
    mode?: "async" | "sync" | undefined;
    waitSeconds?: number | undefined;
    enabled?: boolean | undefined;
    baseUrl: string;
  },
) {
  const found = await findEndpoint(scope, input.webhookId);
  if (input.paramMapping) {
    const problems = undeclaredParams(
      input.paramMapping,
      await paramsOfDag(scope, found.dag.currentVersionId),
    );
    if (problems.length > 0)
      throw new AppError("UNPROCESSABLE_CONTENT", "The param mapping names unknown params", problems);
  }
  const fields = [
    "name",
    "authMode",
    "idempotencyField",
    "paramMapping",
    "mode",
    "waitSeconds",
    "enabled",
  ] as const;
  const data: Prisma.WebhookEndpointUpdateInput = Object.fromEntries(
    fields.filter((f) => input[f] !== undefined).map((f) => [f, input[f]]),
  );
  const authMode = input.authMode ?? found.authMode;
  if (input.authMode !== undefined || input.authOptions !== undefined) {
    // Options belong to a preset: a new preset starts from its defaults unless options are given.
    const options =
      input.authOptions ??
      (input.authMode === undefined ? (found.authOptions as Record<string, unknown>) : {});
    data.authOptions = parseAuthOptions(authMode, options) as Prisma.InputJsonObject;
  }
  const aad = webhookAad(scope.workspace.id, found.id);
  if (input.secret !== undefined) {
    data.secretCiphertext = encryptSecret(processKeyring(), secretFor(authMode, input.secret).secret, aad);
    data.previousSecretCiphertext = null;
    data.previousSecretExpiresAt = null;
  } else if (authMode !== found.authMode) {
    // The stored secret must suit the new preset (a Standard Webhooks key is base64, say).
    const problem = providerOf(authMode).secretProblem(
      decryptSecret(processKeyring(), found.secretCiphertext, aad),
    );
    if (problem) {
      throw new AppError(
        "UNPROCESSABLE_CONTENT",
        `The current secret cannot be a ${presets[authMode].label} secret`,
        [{ path: "secret", message: `The current secret ${problem}: paste the sender's secret` }],
      );
    }
  }
  try {
    const row = await scope.db.webhookEndpoint.update({ where: { id: found.id }, data, select });
    forgetWebhookEndpoints(scope.workspace.id);
    await scope.audit("webhook.update", found.dag.key, {
      webhookId: found.id,
      fields: Object.keys(data)
        .map((f) => (f.startsWith("secret") || f.startsWith("previous") ? "secret" : f))
        .filter((f, i, all) => all.indexOf(f) === i),
    });
    return present(row, input.baseUrl);
  } catch (error) {
    nameTaken(error, input.name ?? found.name);
  }
}

export async function deleteWebhook(scope: WorkspaceScope, webhookId: string) {
  const found = await findEndpoint(scope, webhookId);
  await scope.db.webhookEndpoint.delete({ where: { id: found.id } });
  forgetWebhookEndpoints(scope.workspace.id);
  await scope.audit("webhook.delete", found.dag.key, { webhookId: found.id, name: found.name });
}

/**
 * A new secret, shown once. With `graceSeconds`, the old one keeps working that long, so senders
 * can be switched over without dropping deliveries.
 */
export async function rotateWebhookSecret(
  scope: WorkspaceScope,
  input: {
    webhookId: string;
    graceSeconds?: number | undefined;
    secret?: string | undefined;
    baseUrl: string;
  },
) {
  const found = await findEndpoint(scope, input.webhookId);
  const { secret, generated } = secretFor(found.authMode, input.secret);
  const grace = input.graceSeconds ?? 0;
  const row = await scope.db.webhookEndpoint.update({
    where: { id: found.id },
    data: {
      secretCiphertext: encryptSecret(processKeyring(), secret, webhookAad(scope.workspace.id, found.id)),
      previousSecretCiphertext: grace > 0 ? found.secretCiphertext : null,
      previousSecretExpiresAt: grace > 0 ? new Date(Date.now() + grace * 1000) : null,
    },
    select,
  });
  forgetWebhookEndpoints(scope.workspace.id);
  await scope.audit("webhook.rotate_secret", found.dag.key, {
    webhookId: found.id,
    graceSeconds: grace,
    secret: generated ? "generated" : "pasted",
  });
  return { ...present(row, input.baseUrl), ...(generated ? { secret } : {}) };
}

/**
 * Re-encrypts the workspace's webhook secrets (current and previous) under the current master key,
 * for a key rotation: run it with rotateKeys (server/secrets/keyring.ts) before the old key is
 * removed. A row changed meanwhile is left as it is (its new ciphertext is already current).
 */
export async function reencryptWebhookSecrets(scope: WorkspaceScope, keyring: Keyring = processKeyring()) {
  const current = `v${keyring.currentVersion}:`;
  const rows = await scope.db.webhookEndpoint.findMany({
    where: {
      OR: [
        { NOT: { secretCiphertext: { startsWith: current } } },
        {
          previousSecretCiphertext: { not: null },
          NOT: { previousSecretCiphertext: { startsWith: current } },
        },
      ],
    },
    select: { id: true, secretCiphertext: true, previousSecretCiphertext: true },
  });
  const result = { found: rows.length, rotated: 0, failed: 0 };
  for (const row of rows) {
    const aad = webhookAad(scope.workspace.id, row.id);
    const again = (stored: string) =>
      needsRotation(keyring, stored) ? reencrypt(keyring, stored, aad) : stored;
    try {
      const { count } = await scope.db.webhookEndpoint.updateMany({
        where: { id: row.id, secretCiphertext: row.secretCiphertext },
        data: {
          secretCiphertext: again(row.secretCiphertext),
          previousSecretCiphertext: row.previousSecretCiphertext ? again(row.previousSecretCiphertext) : null,
        },
      });
      result.rotated += count;
    } catch {
      result.failed++;
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// The delivery log

const deliverySummary = {
  id: true,
  receivedAt: true,
  statusCode: true,
  result: true,
  message: true,
  runId: true,
  idempotencyKey: true,
  bodyBytes: true,
  bodyTruncated: true,
  replayOf: true,
} as const;

const deliveriesOrder = keyset([
  ["receivedAt", "desc", "date"],
  ["id", "desc"],
]);

/** Deliveries newest first, without bodies. */
export async function listDeliveries(scope: WorkspaceScope, input: PageInput & { webhookId: string }) {
  const endpoint = await findEndpoint(scope, input.webhookId);
  const page = await deliveriesOrder.page(input, ({ where, ...query }) =>
    scope.db.webhookDelivery.findMany({
      ...query,
      where: { endpointId: endpoint.id, ...where },
      select: deliverySummary,
    }),
  );
  return { ...page, webhookId: endpoint.id };
}

/** One delivery with its (redacted) headers and (capped) body. */
export async function getDelivery(scope: WorkspaceScope, input: { webhookId: string; deliveryId: string }) {
  const row = await scope.db.webhookDelivery.findFirst({
    where: { id: input.deliveryId, endpointId: input.webhookId },
    select: { ...deliverySummary, headers: true, body: true },
  });
  if (!row) throw notFound("Delivery");
  return { ...row, headers: row.headers as Record<string, string> };
}

/**
 * Runs a logged delivery again: its body through the endpoint's current mapping, as a new run
 * (no idempotency key: a replay is meant to run). Needs the whole body, so a delivery whose body
 * was cut in the log cannot be replayed.
 */
export async function replayDelivery(
  scope: WorkspaceScope,
  input: { webhookId: string; deliveryId: string; baseUrl: string },
) {
  const delivery = await getDelivery(scope, input);
  const endpoint = await findEndpoint(scope, input.webhookId);
  if (delivery.bodyTruncated) {
    throw new AppError(
      "CONFLICT",
      `The log kept only part of this delivery's body (${delivery.bodyBytes} bytes), so it cannot be replayed`,
    );
  }
  const body = Buffer.from(delivery.body, "utf8");
  const answer = await acceptDelivery(
    scope.workspace.id,
    {
      id: endpoint.id,
      workspaceId: scope.workspace.id,
      name: endpoint.name,
      dagKey: endpoint.dag.key,
      currentVersionId: endpoint.dag.currentVersionId,
      archived: endpoint.dag.archivedAt !== null,
      paramMapping: endpoint.paramMapping as ParamMapping,
      mode: endpoint.mode,
      waitSeconds: endpoint.waitSeconds,
    },
    {
      document: parseDocument(delivery.headers["content-type"], body),
      headers: delivery.headers,
      logged: {
        headers: delivery.headers,
        body: delivery.body,
        bodyBytes: body.length,
        bodyTruncated: false,
      },
      replayOf: delivery.id,
      baseUrl: input.baseUrl,
      wait: false,
    },
  );
  if (answer.status >= 400) {
    const error = answer.body.error as {
      code: AppError["code"];
      message: string;
      problems: AppError["problems"];
    };
    throw new AppError(error.code, error.message, error.problems);
  }
  await scope.audit("webhook.replay", endpoint.dag.key, { webhookId: endpoint.id, deliveryId: delivery.id });
  const runId = answer.body.runId as string;
  return { deliveryId: answer.body.deliveryId as string, runId, statusUrl: statusUrl(input.baseUrl, runId) };
}
