// What an operator is (the kind of a task: http, sql, sensor…) and the schema pieces operators share.
// A definition module holds the config schema, the editor metadata and the executor. Definitions
// stay importable by the validator and the editor: executors import what only a worker has
// (database, sockets, the sandbox) lazily, inside `execute`.
import { z } from "zod";
import type { ExecutionContext, ExecutionResult } from "./execution";
import type { OperatorIconName } from "./icons";

/** Kinds of stored connection a config field can name. */
export type ConnectionType = "http" | "postgres" | "smtp" | "slack";

export interface OperatorDefinition<C = unknown> {
  /** The value of a task's `operator` field. */
  name: string;
  /** Short label for the editor palette. */
  title: string;
  /** One line: what a task of this kind does. */
  description: string;
  /** The icon shown next to the title (an SVG in the web app). */
  icon: OperatorIconName;
  /** One paragraph for the editor's help panel and docs. */
  docs: string;
  /** Validates a task's `config` and fills its defaults. */
  configSchema: z.ZodType<C>;
  /**
   * Dotted paths inside `config` whose strings are rendered as templates before execution
   * (arrays along the path are walked element by element). Tasks may add paths with `templated`.
   */
  templatedFields: string[];
  /** Dotted config paths that name a stored connection, and the connection types each accepts. */
  connectionFields?: Record<string, readonly ConnectionType[]>;
  /** The config a new task of this kind starts with in the editor; it passes `configSchema`. */
  defaults?: Partial<C>;
  /**
   * The executor reads `context.upstream` (the outputs of the task's direct upstream tasks); the
   * engine loads them, in one query, only for operators that set this. Default: false.
   */
  needsUpstream?: boolean;
  /**
   * `agent`: only the workspace's agents run it (server/agents), on their own machines, when the
   * task's pool is an agent pool; shared workers refuse it. Such operators have no `execute`.
   */
  runsOn?: "agent";
  /**
   * Runs one attempt (server/operators/execution.ts). Declared with method syntax so that a
   * definition of a specific config type stays assignable to OperatorDefinition<unknown>.
   * Operators without one validate but cannot run yet.
   */
  execute?(context: ExecutionContext<C>): Promise<ExecutionResult>;
}

/** Keeps the config type inferred from the schema while checking the definition's shape. */
export function defineOperator<C>(definition: OperatorDefinition<C>): OperatorDefinition<C> {
  return definition;
}

// ---------------------------------------------------------------------------------------------
// Shared schema pieces

/**
 * Names of connections and secrets: template path segments (`{{ conn.<name>.<field> }}`), so
 * letters, digits, `_` and `-`, starting with a letter or `_`.
 */
export const resourceName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,99}$/, {
  message: "use letters, digits, _ and -, starting with a letter or _ (at most 100 characters)",
});

/** Task ids named by a config (branch targets). Existence is checked by the DAG validator. */
export const taskIdList = z.array(z.string().min(1));

/** HTTP methods operators may send. */
export const httpMethod = z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]);

/** HTTP status codes a response may have to count as success. */
export const statusCodes = z.array(z.int().min(100).max(599)).min(1);

/**
 * Settings every sensor shares. A sensor checks a condition every `pokeIntervalSeconds` until it
 * holds or `timeoutSeconds` have passed since its first check (unlike a task timeout, which
 * bounds one attempt); on timeout it fails, or is skipped when `softFail` is set.
 */
export const sensorSettingsShape = {
  pokeIntervalSeconds: z.number().min(1).max(86_400).default(60),
  timeoutSeconds: z
    .number()
    .min(1)
    .max(30 * 86_400)
    .default(86_400),
  /** Doubles the wait after each unsuccessful check. */
  exponentialBackoff: z.boolean().default(false),
  softFail: z.boolean().default(false),
};

/** The fields of operators that run a tenant's code in a sandbox (code, python). */
export const sandboxedCodeShape = {
  /** Extra data for the code, as the global `inputs`; templated, so secrets and connection fields can be passed. */
  inputs: z.record(z.string(), z.unknown()).default(() => ({})),
  /** Give the code `fetch`, through the guarded HTTP client. */
  fetch: z.boolean().default(false),
};

/** Interpreter time a sandboxed task may use, in ms. */
export const cpuMsLimit = z.int().min(10).max(60_000).default(5000);
