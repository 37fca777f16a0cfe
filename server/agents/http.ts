// The agents' endpoints of the public API, under /api/v1/agent: an agent registers with its pool's
// join token, then acts with its own token, which can do nothing else (no other endpoint takes
// it, and every attempt it names must be one it claimed). Bodies are capped as every API body
// (BATON_API_MAX_BODY_BYTES) before anything is parsed; each agent has its own per-minute budget
// (the workspace's apiRateLimitPerMinute). An agent of another protocol is refused with a message
// naming both (426).
import { hostname } from "node:os";
import { z } from "zod";
import {
  AGENT_PROTOCOL,
  type AgentCaller,
  agentHeartbeat,
  agentHeartbeatSeconds,
  agentStopped,
  appendAgentLog,
  authenticateAgent,
  claimForAgent,
  completeForAgent,
  registerAgent,
} from "@/server/engine/agents";
import { AppError } from "@/server/errors";
import { takeFromBudget } from "@/server/quotas/rate-limits";
import { newAgentToken } from "./tokens";

/** The header every agent request carries: the protocol it speaks. */
export const PROTOCOL_HEADER = "baton-agent-protocol";
/** The longest a claim waits for work (an agent asks again right after). */
const MAX_WAIT_SECONDS = 25;

const labels = z
  .array(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:=-]{0,62}$/, "Must be a label: letters, digits, _ . : = -"),
  )
  .max(20, "At most 20 labels")
  .default([]);

export const agentBodies = {
  register: z.strictObject({
    name: z.string().min(1).max(200).default(hostname()),
    version: z.string().min(1).max(50),
    concurrency: z.int().min(1, "Must be at least 1").max(64, "At most 64"),
    labels,
  }),
  claim: z.strictObject({
    max: z.int().min(1).max(64).default(1),
    waitSeconds: z.number().min(0).max(MAX_WAIT_SECONDS).default(20),
  }),
  heartbeat: z.strictObject({
    running: z.array(z.uuid()).max(64).default([]),
    draining: z.boolean().optional(),
  }),
  log: z.strictObject({
    lines: z
      .array(z.strictObject({ stream: z.enum(["stdout", "stderr", "agent"]), text: z.string() }))
      .max(10_000),
  }),
  complete: z.discriminatedUnion("state", [
    z.strictObject({ state: z.literal("success"), output: z.unknown().optional() }),
    z.strictObject({
      state: z.literal("failed"),
      error: z.string().max(100_000),
      retryable: z.boolean().optional(),
    }),
    z.strictObject({ state: z.literal("skipped"), reason: z.string().max(100_000) }),
  ]),
};

const attemptAnswer = z.object({
  attemptId: z.string(),
  tryNumber: z.number().int(),
  maxTries: z.number().int(),
  runId: z.string(),
  dagId: z.string(),
  taskId: z.string(),
  mapIndex: z.number().int(),
  operator: z.string().describe("shell or python_script"),
  config: z.record(z.string(), z.unknown()).describe("The task's config, rendered, with its defaults"),
  timeoutSeconds: z.number().nullable().describe("Kill the process group after this long"),
  inputs: z
    .object({
      params: z.record(z.string(), z.unknown()),
      upstream: z.record(z.string(), z.unknown()),
      item: z.unknown(),
      run: z.object({ id: z.string(), logical_date: z.string() }),
    })
    .describe("What a python_script reads on stdin"),
});

/** The agent endpoints as the OpenAPI document describes them (server/rest/openapi.ts). */
export const agentEndpointDocs = [
  {
    path: "/register",
    summary:
      "Register an agent in the pool whose join token is the bearer token; answers the agent's own token (shown once)",
    joinToken: true,
    body: agentBodies.register,
    answer: z.object({
      agentId: z.string(),
      workspaceId: z.string(),
      pool: z.string(),
      token: z.string().describe("The agent's own token: every other agent endpoint takes it"),
      protocol: z.number().int(),
      heartbeatSeconds: z.number().int(),
    }),
  },
  {
    path: "/claim",
    summary:
      "Claim up to `max` attempts of the agent's pool, waiting up to `waitSeconds` for one (a long poll)",
    body: agentBodies.claim,
    answer: z.object({ attempts: z.array(attemptAnswer) }),
  },
  {
    path: "/heartbeat",
    summary:
      "The agent lives; answers which of its running attempts to stop (cancelled, or no longer its own)",
    body: agentBodies.heartbeat,
    answer: z.object({ cancel: z.array(z.string()) }),
  },
  {
    path: "/attempts/{attemptId}/log",
    summary:
      "Append lines to the log of an attempt the agent claimed (masked, capped at maxLogBytesPerAttempt)",
    body: agentBodies.log,
    answer: z.object({
      running: z.boolean().describe("false: the attempt ended (cancelled): kill its process"),
      capped: z.boolean().describe("The log reached its limit: later lines are dropped"),
    }),
  },
  {
    path: "/attempts/{attemptId}/complete",
    summary: "Report the outcome of an attempt the agent claimed (fenced: once per attempt)",
    body: agentBodies.complete,
    answer: z.object({ recorded: z.boolean().describe("false: the attempt had already ended") }),
  },
  {
    path: "/stop",
    summary: "The agent stopped cleanly (drained): its slots leave the pool at once",
    body: z.strictObject({}),
    answer: z.object({ stopped: z.boolean() }),
  },
] as const;

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new AppError(
    "UNPROCESSABLE_CONTENT",
    "The request body is invalid",
    parsed.error.issues.map((issue) => ({ path: issue.path.join(".") || "body", message: issue.message })),
  );
}

function bearer(request: Request): string {
  const header = request.headers.get("authorization") ?? "";
  const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (!token) throw new AppError("UNAUTHORIZED", "Send the agent's token as `Authorization: Bearer <token>`");
  return token;
}

/** 426 unless the agent speaks this server's protocol. */
export function checkProtocol(request: Request): Response | null {
  const spoken = request.headers.get(PROTOCOL_HEADER);
  if (spoken === String(AGENT_PROTOCOL)) return null;
  return new Response(
    JSON.stringify({
      error: {
        code: "UPGRADE_REQUIRED",
        message: `This Baton speaks agent protocol ${AGENT_PROTOCOL}; the agent speaks ${spoken ?? "none"}: install the agent of this Baton's version (npx baton@<version> agent)`,
        problems: [{ path: PROTOCOL_HEADER, message: `Must be ${AGENT_PROTOCOL}` }],
      },
    }),
    { status: 426, headers: { "content-type": "application/json" } },
  );
}

async function budget(agent: AgentCaller) {
  const answer = await takeFromBudget("agent", agent.id, agent.apiRateLimitPerMinute);
  if (!answer.ok) {
    const { RetryLater } = await import("@/server/errors");
    throw new RetryLater(
      `This agent is over its ${answer.limit} requests a minute (quota apiRateLimitPerMinute); retry in ${answer.resetSeconds} s`,
      answer.resetSeconds,
    );
  }
}

/**
 * Answers one agent request (`path` under /agent, `body` already read and capped). Throws
 * AppError for the REST layer to answer.
 */
export async function agentEndpoint(request: Request, path: string, body: unknown): Promise<unknown> {
  if (request.method !== "POST") throw new AppError("BAD_REQUEST", "Agent endpoints take POST");
  if (path === "/register") {
    const input = parse(agentBodies.register, body);
    const issued = newAgentToken();
    const registered = await registerAgent(bearer(request), input, issued.hash);
    return {
      ...registered,
      token: issued.token,
      protocol: AGENT_PROTOCOL,
      heartbeatSeconds: agentHeartbeatSeconds(),
    };
  }
  const agent = await authenticateAgent(bearer(request));
  await budget(agent);
  if (path === "/claim") {
    const input = parse(agentBodies.claim, body);
    const attempts = await claimForAgent(agent, input.max, input.waitSeconds * 1000, request.signal);
    return { attempts };
  }
  if (path === "/heartbeat") return agentHeartbeat(agent, parse(agentBodies.heartbeat, body));
  if (path === "/stop") {
    await agentStopped(agent);
    return { stopped: true };
  }
  const attempt = /^\/attempts\/([0-9a-f-]{36})\/(log|complete)$/.exec(path);
  if (attempt) {
    const [, attemptId, action] = attempt as unknown as [string, string, string];
    if (action === "log") return appendAgentLog(agent, attemptId, parse(agentBodies.log, body).lines);
    return completeForAgent(agent, attemptId, parse(agentBodies.complete, body));
  }
  throw new AppError("NOT_FOUND", `No agent endpoint POST /api/v1/agent${path}`);
}
