// What an operator's executor receives and returns. The engine renders the config, builds this
// context, runs `execute`, and turns the result into the task instance's next state.

export interface TaskLogger {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export interface ExecutionContext<C> {
  /** The task's config, templates rendered, defaults applied. */
  config: C;
  /** 1 for the first attempt. */
  attempt: number;
  maxTries: number;
  /** Aborted on timeout, cancel, or when the worker shuts down. Pass it to everything that waits. */
  signal: AbortSignal;
  log: TaskLogger;
  /** What the executor saved when it last deferred; null on the first execution of an attempt. */
  deferState: unknown;
  workspaceId: string;
  run: { id: string; logicalDate: Date; params: Record<string, unknown> };
  task: { id: string; mapIndex: number };
  /** The element of a mapped task's list. */
  item?: unknown;
  /**
   * Outputs of the task's direct upstream tasks, by task id (a mapped upstream task's output is
   * the list of its children's outputs). Filled only for operators with `needsUpstream`.
   */
  upstream?: Record<string, unknown>;
}

export type ExecutionResult =
  /** Success. `follow` (branch operators) names the downstream tasks to run; the rest are skipped. */
  | { output?: unknown; follow?: string[] }
  /** Wait without holding a worker or a slot; `execute` runs again at `until` with `deferState`. */
  | { defer: { until: Date; state?: unknown } }
  /**
   * End as skipped, with the reason: a sensor's soft fail, code that called `skip(…)`, a process
   * that exited with one of its skip codes (exitCodeResult). Downstream tasks see a skip, as after
   * a branch; an executor may also throw TaskSkipped.
   */
  | { skip: string };

/** An attempt's failure that should not be retried (bad config, a refused request). */
export class NonRetryableError extends Error {
  override name = "NonRetryableError";
}

/**
 * Ends the attempt as skipped: what `skip(reason)` in a code or python task raises, surfaced by the
 * sandbox; any executor may throw it instead of returning `{ skip }`.
 */
export class TaskSkipped extends Error {
  override name = "TaskSkipped";
}

/** The exit code that skips a task by default, as Airflow's BashOperator (`skip_on_exit_code`). */
export const DEFAULT_SKIP_EXIT_CODES: readonly number[] = [99];

/**
 * How a process's exit code ends an attempt, for operators that run a process (agent tasks): 0
 * succeeds with the output, one of `skipOnExitCode` skips, anything else fails.
 */
export function exitCodeResult(
  code: number,
  output: unknown,
  skipOnExitCode: readonly number[] = DEFAULT_SKIP_EXIT_CODES,
): ExecutionResult {
  if (code === 0) return { output };
  if (skipOnExitCode.includes(code)) return { skip: `The process exited with code ${code}, a skip code` };
  throw new Error(`The process exited with code ${code}`);
}

/** Resolves after `ms`, or rejects when `signal` aborts. */
export function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
