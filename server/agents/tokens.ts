// The credentials of agents and the names they go by in the engine. A pool's join token registers
// agents in that pool and does nothing else; each registration gets the agent a token of its own,
// which can only act as that agent: claim its pool's attempts, heartbeat, and write the log and
// outcome of attempts it holds. Only sha256 hashes are stored; tokens are shown once.
import { createHash, randomBytes } from "node:crypto";

export const JOIN_TOKEN_PREFIX = "baton_join_";
export const AGENT_TOKEN_PREFIX = "baton_agent_";

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function newToken(prefix: string) {
  const token = `${prefix}${randomBytes(32).toString("base64url")}`;
  return { token, hash: sha256(token) };
}

export const newJoinToken = () => newToken(JOIN_TOKEN_PREFIX);
export const newAgentToken = () => newToken(AGENT_TOKEN_PREFIX);

/** The worker pool of an agent pool: only its agents serve it (server/engine/worker-pools.ts). */
export const agentPoolWorkerPool = (poolId: string) => `agent:${poolId}`;

/** What an agent's attempts record as their worker (TaskAttempt.workerId, the Worker row's lock id). */
export const agentWorkerId = (agentId: string) => `agent:${agentId}`;
