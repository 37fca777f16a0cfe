import { z } from "zod";
import { wait } from "../execution";
import { defineOperator } from "../types";

/** Waits shorter than this happen in the worker; longer ones defer and free the worker. */
const INLINE_SECONDS = 1;

export const sleepConfigSchema = z.strictObject({
  seconds: z
    .number()
    .min(0)
    .max(7 * 86_400),
});

export const sleepOperator = defineOperator({
  name: "sleep",
  title: "Sleep",
  description: "Waits a number of seconds, then succeeds.",
  icon: "hourglass",
  docs:
    "Waits `seconds` (fractions allowed, at most seven days) and succeeds. The wait does not hold a " +
    "worker slot busy for long waits; it is the simplest way to space two steps apart. To wait for " +
    "a point in time rather than a duration, use time_sensor.",
  configSchema: sleepConfigSchema,
  templatedFields: [],
  defaults: { seconds: 10 },
  async execute({ config, deferState, signal, log }) {
    const state = deferState as { until?: string } | null;
    if (state?.until) return { output: { sleptUntil: state.until } };
    if (config.seconds <= INLINE_SECONDS) {
      await wait(config.seconds * 1000, signal);
      return { output: { sleptSeconds: config.seconds } };
    }
    const until = new Date(Date.now() + config.seconds * 1000);
    log.info(`sleeping until ${until.toISOString()} without holding a worker`);
    return { defer: { until, state: { until: until.toISOString() } } };
  },
});
