// The deferrable pattern every sensor follows: each execution checks its condition once; until it
// holds, the sensor defers (holding neither a worker nor a slot) and is executed again after the
// poke interval. `firstPokeAt` and `pokes` travel in the task instance's deferState, so the
// sensor's own timeout counts from its first check across deferrals.
import { type ExecutionContext, type ExecutionResult, NonRetryableError } from "./execution";

/** The settings of sensorSettingsShape (types.ts), after defaults. */
export interface SensorSettings {
  pokeIntervalSeconds: number;
  timeoutSeconds: number;
  exponentialBackoff: boolean;
  softFail: boolean;
}

export interface SensorState {
  /** ISO time of the first check. */
  firstPokeAt: string;
  /** Checks made so far, this one excluded. */
  pokes: number;
}

/** What one check found: the condition holds (with the task's output), or not yet (and why). */
export type PokeResult = { done: true; output: unknown } | { done: false; reason: string };

/** The sensor's state from deferState, or a fresh one on its first execution. */
export function sensorState(deferState: unknown, now = new Date()): SensorState {
  const state = deferState as Partial<SensorState> | null;
  if (typeof state?.firstPokeAt === "string" && typeof state.pokes === "number") {
    return { firstPokeAt: state.firstPokeAt, pokes: state.pokes };
  }
  return { firstPokeAt: now.toISOString(), pokes: 0 };
}

/** The wait after `pokes` unsuccessful checks: the interval, doubled per check when exponential. */
export function pokeDelaySeconds(settings: SensorSettings, pokes: number): number {
  if (!settings.exponentialBackoff) return settings.pokeIntervalSeconds;
  return settings.pokeIntervalSeconds * 2 ** Math.min(Math.max(pokes - 1, 0), 30);
}

/**
 * Runs one check and turns its result into the execution's result: the output when the condition
 * holds; a deferral to the next check; or, past `timeoutSeconds` since the first check, a failure
 * (a skip with `softFail`). The last deferral is shortened so the timeout is noticed on time.
 */
export async function poke(
  context: Pick<ExecutionContext<SensorSettings>, "config" | "deferState" | "log">,
  check: (state: SensorState) => Promise<PokeResult>,
): Promise<ExecutionResult> {
  const { config, log } = context;
  const state = sensorState(context.deferState);
  const result = await check(state);
  if (result.done) {
    log.info(`condition met after ${state.pokes + 1} check(s)`);
    return { output: result.output };
  }
  const now = Date.now();
  const pokes = state.pokes + 1;
  const deadline = Date.parse(state.firstPokeAt) + config.timeoutSeconds * 1000;
  if (now >= deadline) {
    return timedOut(
      context,
      `The condition was not met within ${config.timeoutSeconds} s (${pokes} checks; last: ${result.reason})`,
    );
  }
  const until = new Date(Math.min(now + pokeDelaySeconds(config, pokes) * 1000, deadline));
  log.info(`check ${pokes}: ${result.reason}; next check at ${until.toISOString()}`);
  return { defer: { until, state: { firstPokeAt: state.firstPokeAt, pokes } satisfies SensorState } };
}

/** The end of a sensor whose timeout passed: a failure without retry, or a skip with `softFail`. */
export function timedOut(
  { config, log }: Pick<ExecutionContext<SensorSettings>, "config" | "log">,
  message: string,
): ExecutionResult {
  if (!config.softFail) throw new NonRetryableError(message);
  log.warn(`${message}; skipped (softFail)`);
  return { skip: message };
}
