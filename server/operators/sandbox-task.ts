// What the operators that run tenant code in a sandbox (code, python) share at run time: the
// workspace's variables as data, `fetch` through the guarded client, and turning a sandbox error
// into the task's failure. Server-only: executors import it lazily.
import { guardedFetch } from "@/server/net/guarded-fetch";
import type { SandboxError, SandboxFetch } from "@/server/sandbox/run-code";
import { systemScope } from "@/server/tenancy/door";
import { folderOfRun, type RunReach, reachOf } from "@/server/tenancy/folders";
import { NonRetryableError, type TaskLogger, TaskSkipped } from "./execution";

const MiB = 1024 * 1024;

/** The variables the run reaches (the workspace root's and its DAG's folder's), by key. */
export async function workspaceVariables(from: RunReach): Promise<Record<string, unknown>> {
  const scope = await systemScope(from.workspaceId);
  const variables = await scope.db.variable.findMany({
    where: reachOf(await folderOfRun(from.workspaceId, from.runId)),
    select: { key: true, value: true },
  });
  return Object.fromEntries(variables.map((v) => [v.key, v.value]));
}

/** `fetch` for sandboxed code: the guarded client, 30 s and 10 MiB per request, one log line each. */
export function sandboxFetch(signal: AbortSignal, log: TaskLogger): SandboxFetch {
  return async (url, init) => {
    const response = await guardedFetch(url, {
      ...init,
      signal,
      timeoutMs: 30_000,
      maxResponseBytes: 10 * MiB,
    });
    const target = new URL(response.url);
    log.info(`fetch ${init.method ?? "GET"} ${target.origin}${target.pathname} → ${response.status}`);
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: await response.text(),
    };
  };
}

/**
 * Ends the attempt as the sandbox's error says: skipped when the code called skip(reason); else it
 * fails: the code's own exceptions may be retried (one
 * may come from a failed fetch, which another attempt can cure); limits, syntax errors and
 * unbounded recursion would only repeat, so they fail without retry. The log gets the message
 * and then its stack, as one entry, as a reader expects them (the engine then logs the message
 * once more as the attempt's error).
 */
export function failWith(
  error: SandboxError,
  signal: AbortSignal,
  log: TaskLogger,
  { message = error.message, repeats = false }: { message?: string; repeats?: boolean } = {},
): never {
  if (error.kind === "aborted") throw signal.reason ?? new Error(error.message);
  if (error.kind === "skipped") throw new TaskSkipped(error.message);
  if (error.stack) log.error(`${message}\n${error.stack}`);
  const retryable =
    error.kind === "runtime" && !repeats && !/^(RangeError: Maximum call stack|RecursionError)/.test(message);
  throw retryable ? new Error(message) : new NonRetryableError(message);
}
