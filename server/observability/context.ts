// What a log line, a metric or a trace is about: the request, workspace, run, task instance and
// attempt being worked on, carried through async calls (AsyncLocalStorage), so that code deep in a
// service logs with the ids of the request or attempt it serves without passing them along.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

export interface LogContext {
  requestId?: string;
  workspaceId?: string;
  runId?: string;
  taskInstanceId?: string;
  attemptId?: string;
  /** The route of the request (its pattern, not its path), or the job's name. */
  route?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** The ids of the work this code runs for (empty outside any). */
export function currentContext(): LogContext {
  return storage.getStore() ?? {};
}

/** Runs `fn` with `fields` added to the current context. */
export function withContext<T>(fields: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...fields }, fn);
}

/** Adds ids learnt along the way (the workspace once the door opened it) to the current context. */
export function addToContext(fields: LogContext): void {
  const store = storage.getStore();
  if (store) Object.assign(store, fields);
}

const WELL_FORMED = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * A request's id: the `x-request-id` a trusted front (load balancer, proxy.ts) gave it, when well
 * formed, else a new one. The same id is logged with everything the request does and returned in
 * the `x-request-id` response header (and in 500 answers), so a user's report finds its log lines.
 */
export function requestIdOf(headers: Headers): string {
  const given = headers.get("x-request-id");
  return given && WELL_FORMED.test(given) ? given : randomUUID();
}
