// Accepting an authenticated delivery, for the public endpoint (receive.ts) and for a replay from
// the delivery log (endpoints.ts): map the payload to params, validate them, and accept it durably
// in one insert (delivery-log.ts insertPending): its log row, pending, holding its idempotency key,
// naming the run it will start. The engine creates that run (engine/webhook-runs.ts), together with settling
// the row; sync endpoints then wait for the run to end.
//
// Idempotency, concurrency-safe: the key is held by the accepting row (`@@unique([endpointId,
// idempotencyKey])`, ON CONFLICT DO NOTHING); a repeat reads the holder and answers its run at once
// (the holder named it when it was accepted: nothing to wait for). Keys expire 24 hours after the
// holder was received: a colliding delivery clears an expired holder's key and takes it. A holder
// refused when its run was to be created frees its key, so a corrected retry is not a repeat.
//
// Everything here acts in the endpoint's workspace, named by its id in every statement
// (delivery-log.ts, plain SQL like the engine's: it runs on every delivery).
import { randomUUID } from "node:crypto";
import { paramsValidator } from "@/server/dags/definition";
import { type CompiledDag, compiledVersion } from "@/server/engine/graph";
import { acceptPending, type PendingDelivery } from "@/server/engine/webhook-runs";
import { AppError, type Problem } from "@/server/errors";
import { workspaceSql } from "@/server/tenancy/workspace-sql";
import { mapParams, type ParamMapping, withSources } from "@/server/triggers/mapping";
import { unacceptableInput } from "@/server/validation";
import {
  deliveryProgress,
  insertDelivery,
  keyHolder,
  type LoggedRequest,
  type Outcome,
  releaseKey,
  runOutputs,
  settleDelivery,
} from "./delivery-log";

export type { LoggedRequest } from "./delivery-log";

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

export interface EndpointForDelivery {
  id: string;
  workspaceId: string;
  name: string;
  dagKey: string;
  currentVersionId: string | null;
  archived: boolean;
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

/** Writes a delivery to the workspace's log. */
export async function logDelivery(
  workspaceId: string,
  endpointId: string,
  logged: LoggedRequest,
  outcome: Outcome & { id?: string | undefined },
): Promise<string> {
  return insertDelivery(workspaceId, endpointId, logged, outcome);
}

/**
 * Accepts a delivery whose params validated: one insert, pending (delivery-log.ts insertPending),
 * unless another delivery of the endpoint holds its idempotency key, when it is logged as a
 * duplicate and answered with the holder's run (every holder names its run from the start, so a
 * repeat never waits). An expired holder's key is freed and taken.
 */
async function accept(
  workspaceId: string,
  endpoint: EndpointForDelivery,
  delivery: PendingDelivery,
  logged: LoggedRequest,
  baseUrl: string,
): Promise<DeliveryAnswer | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await acceptPending(workspaceId, endpoint.id, delivery, logged)) return null;
    const key = delivery.key!;
    const holder = await keyHolder(workspaceId, endpoint.id, key, IDEMPOTENCY_TTL_MS / 1000);
    if (!holder) continue; // released meanwhile: try to take it
    if (holder.expired) {
      await releaseKey(workspaceId, holder.id, key);
      continue;
    }
    await logDelivery(workspaceId, endpoint.id, logged, {
      id: delivery.id,
      statusCode: 202,
      result: "duplicate",
      message: `Idempotency-Key ${JSON.stringify(key)} already used by delivery ${holder.id}`,
      runId: holder.runId,
    });
    const url = statusUrl(baseUrl, holder.runId);
    return {
      status: 202,
      body: {
        deliveryId: delivery.id,
        runId: holder.runId,
        statusUrl: url,
        duplicate: true,
        originalDeliveryId: holder.id,
      },
      headers: { "idempotent-replayed": "true", location: url },
    };
  }
  throw new Error("could not settle the idempotency key");
}

/**
 * Maps and validates one delivery, then accepts it durably (the engine creates its run: engine/webhook-runs.ts).
 * Never throws for the sender's mistakes: the answer carries the status (422 with the failing
 * params, 409 for an archived DAG…), and the log says why.
 */
export async function acceptDelivery(
  workspaceId: string,
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
  const refuse = async (status: number, code: string, message: string, problems: Problem[] = []) => {
    const detail = problems.map((p) => `${p.path}: ${p.message}`).join("; ");
    await logDelivery(workspaceId, endpoint.id, input.logged, {
      statusCode: status,
      result: status === 422 ? "invalid" : "error",
      message: detail ? `${message}: ${detail}` : message,
      replayOf: input.replayOf ?? null,
    });
    return errorAnswer(status, code, message, problems);
  };

  if (endpoint.archived)
    return refuse(409, "CONFLICT", `DAG ${endpoint.dagKey} is archived; unarchive it to run it`);
  if (!endpoint.currentVersionId) return refuse(409, "CONFLICT", `DAG ${endpoint.dagKey} has no version yet`);
  const compiled = await compiledVersion(workspaceSql(workspaceId), endpoint.currentVersionId, workspaceId);
  const params = mapParams(endpoint.paramMapping, input.document, input.headers, compiled.dag.params);
  // Checked before the key is taken: an invalid delivery holds nothing, and says what is wrong.
  const checked = validatorOf(compiled.dag).safeParse(params);
  // Text PostgreSQL cannot store (NUL, lone surrogates), or nesting past the input limit, is refused
  // like any invalid param, naming it.
  const unacceptable = checked.success ? unacceptableInput({ params: checked.data }) : undefined;
  if (!checked.success || unacceptable) {
    const issues = checked.success
      ? [unacceptable!]
      : checked.error.issues.map((issue) => ({
          path: ["params", ...issue.path].join("."),
          message: issue.message,
        }));
    const problems = withSources(issues, endpoint.paramMapping);
    return refuse(
      422,
      "UNPROCESSABLE_CONTENT",
      "The payload does not map to valid params for the DAG",
      problems,
    );
  }

  const delivery = {
    id: randomUUID(),
    runId: randomUUID(),
    key: input.idempotencyKey ?? null,
    params: checked.data,
    replayOf: input.replayOf ?? null,
  };
  const duplicate = await accept(workspaceId, endpoint, delivery, input.logged, input.baseUrl);
  if (duplicate) return duplicate;

  const url = statusUrl(input.baseUrl, delivery.runId);
  const accepted: DeliveryAnswer = {
    status: 202,
    body: { deliveryId: delivery.id, runId: delivery.runId, statusUrl: url, duplicate: false },
    headers: { location: url },
  };
  if (!input.wait || endpoint.mode !== "sync") return accepted;

  const ended = await waitForRun(workspaceId, delivery, endpoint.waitSeconds * 1000);
  if (!ended) return accepted;
  if (ended.kind === "refused") return ended.answer;
  await settleDelivery(workspaceId, delivery.id, {
    statusCode: 200,
    result: "completed",
    message: `run ended: ${ended.state}`,
  });
  return {
    status: 200,
    body: { ...accepted.body, state: ended.state, outputs: ended.outputs },
    headers: { location: url },
  };
}

/** Each cached DAG version's params schema, built once (a zod schema per delivery costs more than its insert). */
const validators = new WeakMap<CompiledDag["dag"], ReturnType<typeof paramsValidator>>();
function validatorOf(dag: CompiledDag["dag"]) {
  let validator = validators.get(dag);
  if (!validator) {
    validator = paramsValidator(dag);
    validators.set(dag, validator);
  }
  return validator;
}

const ended = new Set(["success", "failed", "cancelled"]);

/**
 * A sync delivery's run's end state and task outputs once it ends within `timeoutMs`; the refusal
 * when the engine could not start it (the DAG changed since it was accepted); else null.
 */
async function waitForRun(workspaceId: string, delivery: { id: string; runId: string }, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let pause = 5;
  for (;;) {
    const progress = await deliveryProgress(workspaceId, delivery.id);
    if (progress && progress.result !== "pending" && progress.statusCode >= 400) {
      const code =
        progress.statusCode === 422
          ? "UNPROCESSABLE_CONTENT"
          : progress.statusCode === 403
            ? "FORBIDDEN"
            : "CONFLICT";
      return { kind: "refused" as const, answer: errorAnswer(progress.statusCode, code, progress.message) };
    }
    if (progress?.runState && ended.has(progress.runState)) {
      const outputs = await runOutputs(workspaceId, delivery.runId);
      return {
        kind: "ended" as const,
        state: progress.runState,
        outputs: Object.fromEntries(outputs.map((o) => [o.taskId, o.output])),
      };
    }
    // Up to the deadline, not the last pause before it: the caller was promised waitSeconds.
    const left = deadline - Date.now();
    if (left <= 0) return null;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    pause = Math.min(pause * 2, 250);
  }
}
