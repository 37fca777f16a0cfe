// Turning an authenticated delivery into a run, for the public endpoint (receive.ts) and for a
// replay from the delivery log (endpoints.ts): map the payload to params, validate them, honour the
// idempotency key, create the run, log the delivery, and (sync mode) wait for the run.
//
// Idempotency, concurrency-safe: a delivery with a key first inserts its log row holding the key
// (`@@unique([endpointId, idempotencyKey])`, ON CONFLICT DO NOTHING). The one that inserts creates
// the run; the others read the holder and answer its run id, waiting briefly while the holder is
// still creating it. Keys expire 24 hours after the holder was received: a colliding delivery
// clears an expired holder's key and takes it. A holder that failed releases its key; one that
// died mid-way (no run after a minute) is released by the next delivery with the same key.
//
// The log's statements are plain SQL (delivery-log.ts); reads of runs go through the scope.
import { randomUUID } from "node:crypto";
import { env } from "@/server/config";
import { paramsValidator } from "@/server/dags/definition";
import { compiledVersion } from "@/server/engine/graph";
import { triggerRun } from "@/server/engine/runs";
import { AppError, httpStatus, type Problem } from "@/server/errors";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { workspaceSql } from "@/server/tenancy/workspace-sql";
import { mapParams, type ParamMapping, withSources } from "@/server/triggers/mapping";
import {
  insertDelivery,
  insertHoldingKey,
  keyHolder,
  type LoggedRequest,
  type Outcome,
  releaseKey,
  settleDelivery,
} from "./delivery-log";

export type { LoggedRequest } from "./delivery-log";

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** A key holder without a run after this long is taken for dead. */
const ABANDONED_AFTER_MS = 60_000;
/** How long a repeat waits for the holder's run id before answering 409. */
const DUPLICATE_WAIT_MS = 10_000;

export interface EndpointForDelivery {
  id: string;
  workspaceId: string;
  name: string;
  dagKey: string;
  currentVersionId: string | null;
  paramMapping: ParamMapping;
  mode: "async" | "sync";
  waitSeconds: number;
}

export interface DeliveryAnswer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export const statusUrl = (baseUrl: string, runId: string) => `${baseUrl}/api/v1/runs/${runId}`;

export function errorAnswer(
  status: number,
  code: string,
  message: string,
  problems: Problem[] = [],
): DeliveryAnswer {
  return { status, body: { error: { code, message, problems } } };
}

/** The body as a document: JSON, a form (GitHub's `payload=` form included), or the text itself. */
export function parseDocument(contentType: string | undefined, body: Buffer): unknown {
  const type = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  const text = body.toString("utf8");
  if (type === "application/x-www-form-urlencoded") {
    const form = new URLSearchParams(text);
    const payload = form.get("payload");
    if (payload !== null && form.size === 1) return parseJson(payload);
    return Object.fromEntries(form);
  }
  if (type === "application/json" || type.endsWith("+json") || (!type && /^\s*[[{]/.test(text))) {
    return text.trim() === "" ? {} : parseJson(text);
  }
  return text;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError("BAD_REQUEST", `The body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Writes a delivery to the log. */
export async function logDelivery(
  scope: WorkspaceScope,
  endpointId: string,
  logged: LoggedRequest,
  outcome: Outcome & { id?: string | undefined },
): Promise<string> {
  return insertDelivery(scope.workspace.id, endpointId, logged, outcome);
}

type Claim = { held: true } | { held: false; answer: DeliveryAnswer };

/** Takes the idempotency key for `deliveryId`, or answers as the holder's repeat. */
async function claimKey(
  scope: WorkspaceScope,
  endpoint: EndpointForDelivery,
  deliveryId: string,
  key: string,
  logged: LoggedRequest,
  baseUrl: string,
): Promise<Claim> {
  const workspaceId = scope.workspace.id;
  for (let attempt = 0; attempt < 5; attempt++) {
    const accepted = { statusCode: 202, result: "accepted" };
    if (await insertHoldingKey(workspaceId, endpoint.id, deliveryId, key, logged, accepted))
      return { held: true };
    const deadline = Date.now() + DUPLICATE_WAIT_MS;
    for (;;) {
      const holder = await keyHolder(
        workspaceId,
        endpoint.id,
        key,
        IDEMPOTENCY_TTL_MS / 1000,
        ABANDONED_AFTER_MS / 1000,
      );
      if (!holder) break; // released meanwhile: try to take it
      if (holder.expired || (!holder.runId && holder.stale)) {
        // Expired, or its delivery died before creating a run: free the key and take it.
        await releaseKey(workspaceId, holder.id, key, !holder.expired);
        break;
      }
      if (holder.runId) {
        await logDelivery(scope, endpoint.id, logged, {
          id: deliveryId,
          statusCode: 202,
          result: "duplicate",
          message: `Idempotency-Key ${JSON.stringify(key)} already used by delivery ${holder.id}`,
          runId: holder.runId,
        });
        return {
          held: false,
          answer: {
            status: 202,
            body: {
              deliveryId,
              runId: holder.runId,
              statusUrl: statusUrl(baseUrl, holder.runId),
              duplicate: true,
              originalDeliveryId: holder.id,
            },
            headers: { "idempotent-replayed": "true", location: statusUrl(baseUrl, holder.runId) },
          },
        };
      }
      if (Date.now() > deadline) {
        return {
          held: false,
          answer: {
            ...errorAnswer(
              409,
              "CONFLICT",
              "A delivery with this Idempotency-Key is still being processed; retry shortly",
            ),
            headers: { "retry-after": "1" },
          },
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  throw new Error("could not settle the idempotency key");
}

/**
 * Maps, validates and runs one delivery. Never throws for the sender's mistakes: the answer
 * carries the status (422 with the failing params, 409 for an archived DAG…), and the log says why.
 */
export async function acceptDelivery(
  scope: WorkspaceScope,
  endpoint: EndpointForDelivery,
  input: {
    document: unknown;
    /** Lower-case names, as received (header mappings read them). */
    headers: Record<string, string>;
    logged: LoggedRequest;
    idempotencyKey?: string | undefined;
    replayOf?: string | undefined;
    baseUrl: string;
    /** Sync endpoints wait for the run; replays never do. */
    wait: boolean;
  },
): Promise<DeliveryAnswer> {
  const fail = async (
    status: number,
    code: string,
    message: string,
    problems: Problem[] = [],
    id?: string,
  ) => {
    const detail = problems.map((p) => `${p.path}: ${p.message}`).join("; ");
    const outcome = {
      statusCode: status,
      result: status === 422 ? "invalid" : "error",
      message: detail ? `${message}: ${detail}` : message,
      replayOf: input.replayOf ?? null,
    };
    if (id) {
      // The row holding the key: release the key, so a corrected retry is not answered as a repeat.
      await settleDelivery(scope.workspace.id, id, { ...outcome, releaseKey: true });
    } else {
      await logDelivery(scope, endpoint.id, input.logged, outcome);
    }
    return errorAnswer(status, code, message, problems);
  };

  if (!endpoint.currentVersionId) return fail(409, "CONFLICT", `DAG ${endpoint.dagKey} has no version yet`);
  const compiled = await compiledVersion(workspaceSql(scope), endpoint.currentVersionId, scope.workspace.id);
  const params = mapParams(endpoint.paramMapping, input.document, input.headers, compiled.dag.params);
  // Checked before the key is taken: an invalid delivery holds nothing, and says what is wrong.
  const checked = paramsValidator(compiled.dag).safeParse(params);
  if (!checked.success) {
    const problems = withSources(
      checked.error.issues.map((issue) => ({
        path: ["params", ...issue.path].join("."),
        message: issue.message,
      })),
      endpoint.paramMapping,
    );
    return fail(
      422,
      "UNPROCESSABLE_CONTENT",
      "The payload does not map to valid params for the DAG",
      problems,
    );
  }

  const deliveryId = randomUUID();
  let holdsKey = false;
  if (input.idempotencyKey !== undefined) {
    const claim = await claimKey(
      scope,
      endpoint,
      deliveryId,
      input.idempotencyKey,
      input.logged,
      input.baseUrl,
    );
    if (!claim.held) return claim.answer;
    holdsKey = true;
  }

  let runId: string;
  try {
    const run = await throttledPerDag(`${scope.workspace.id}:${endpoint.dagKey}`, () =>
      triggerRun(
        { ...scope, actor: { kind: "system", label: `webhook ${endpoint.name}` } },
        {
          dagKey: endpoint.dagKey,
          params,
          triggeredBy: "webhook",
          runKey: `webhook__${deliveryId}`,
          note: input.replayOf ? `replay of webhook delivery ${input.replayOf}` : `webhook ${endpoint.name}`,
        },
      ),
    );
    runId = run.id;
  } catch (error) {
    if (!(error instanceof AppError)) {
      if (holdsKey) await fail(500, "INTERNAL_SERVER_ERROR", "The run could not be created", [], deliveryId);
      throw error;
    }
    const problems = withSources(error.problems, endpoint.paramMapping);
    return fail(
      httpStatus[error.code],
      error.code,
      error.message,
      problems,
      holdsKey ? deliveryId : undefined,
    );
  }

  if (holdsKey) {
    await settleDelivery(scope.workspace.id, deliveryId, { runId, replayOf: input.replayOf ?? null });
  } else {
    await logDelivery(scope, endpoint.id, input.logged, {
      id: deliveryId,
      statusCode: 202,
      result: "accepted",
      runId,
      replayOf: input.replayOf ?? null,
    });
  }

  const url = statusUrl(input.baseUrl, runId);
  const accepted: DeliveryAnswer = {
    status: 202,
    body: { deliveryId, runId, statusUrl: url, duplicate: false },
    headers: { location: url },
  };
  if (!input.wait || endpoint.mode !== "sync") return accepted;

  const ended = await waitForRun(scope, runId, endpoint.waitSeconds * 1000);
  if (!ended) return accepted;
  await settleDelivery(scope.workspace.id, deliveryId, {
    statusCode: 200,
    result: "completed",
    message: `run ended: ${ended.state}`,
  });
  return {
    status: 200,
    body: { deliveryId, runId, statusUrl: url, duplicate: false, state: ended.state, outputs: ended.outputs },
    headers: { location: url },
  };
}

/**
 * Runs of one DAG this process creates at once; the rest wait here, not in PostgreSQL. Default:
 * half the connection pool, so a burst to one DAG leaves the other half to everything else.
 */
const RUNS_AT_ONCE_PER_DAG =
  env.BATON_WEBHOOK_RUNS_PER_DAG ?? Math.max(2, Math.floor(env.BATON_DB_POOL_SIZE / 2));
const creating = new Map<string, { active: number; waiting: Array<() => void> }>();

/**
 * Creates runs of one DAG at most RUNS_AT_ONCE_PER_DAG at a time in this process, retrying
 * deadlock victims.
 *
 * The engine creates a workspace's runs one at a time (triggerRun holds the workspace's
 * run-gate lock until it commits). Queueing most of a burst of deliveries to one DAG here, rather than in PostgreSQL,
 * keeps the waiting ones from each holding a pooled connection, which would starve the rest of
 * the process; a few at once still overlap the parts outside the lock. Retrying is safe: the run
 * key is the delivery's, so a retry never makes a second run.
 */
async function throttledPerDag<T>(key: string, create: () => Promise<T>): Promise<T> {
  let slot = creating.get(key);
  if (!slot) {
    slot = { active: 0, waiting: [] };
    creating.set(key, slot);
  }
  if (slot.active >= RUNS_AT_ONCE_PER_DAG) await new Promise<void>((resolve) => slot!.waiting.push(resolve));
  slot.active++;
  try {
    for (let tries = 1; ; tries++) {
      try {
        return await create();
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (tries >= 10 || (code !== "40P01" && code !== "40001")) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * tries));
      }
    }
  } finally {
    slot.active--;
    const next = slot.waiting.shift();
    if (next) next();
    else if (slot.active === 0) creating.delete(key);
  }
}

/** The run's end state and task outputs once it ends within `timeoutMs`, else null. */
async function waitForRun(scope: WorkspaceScope, runId: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let pause = 25;
  for (;;) {
    const run = await scope.db.dagRun.findFirst({ where: { id: runId }, select: { state: true } });
    if (run && ["success", "failed", "cancelled"].includes(run.state)) {
      const outputs = await scope.db.taskInstance.findMany({
        where: { runId, mapIndex: -1, state: "success" },
        select: { taskId: true, output: true },
      });
      return { state: run.state, outputs: Object.fromEntries(outputs.map((o) => [o.taskId, o.output])) };
    }
    // Up to the deadline, not the last pause before it: the caller was promised waitSeconds.
    const left = deadline - Date.now();
    if (left <= 0) return null;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    pause = Math.min(pause * 2, 250);
  }
}
