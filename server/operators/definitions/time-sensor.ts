import { z } from "zod";
import { hasTemplate } from "../../templating/template";
import { sensorState, timedOut } from "../sensor";
import { defineOperator, sensorSettingsShape } from "../types";

export const timeSensorConfigSchema = z
  .strictObject({
    /** An ISO date-time with offset, usually a template such as `{{ run.data_interval_end }}`. */
    until: z.string().min(1).optional(),
    /** Seconds after the sensor's first check. */
    forSeconds: z
      .number()
      .min(0)
      .max(30 * 86_400)
      .optional(),
    ...sensorSettingsShape,
  })
  .superRefine((config, ctx) => {
    if ((config.until === undefined) === (config.forSeconds === undefined)) {
      ctx.addIssue({ code: "custom", path: [], message: "set either until or forSeconds" });
    }
    if (config.until !== undefined && !hasTemplate(config.until)) {
      if (!z.iso.datetime({ offset: true }).safeParse(config.until).success) {
        ctx.addIssue({
          code: "custom",
          path: ["until"],
          message: "must be an ISO date-time with offset, such as 2030-01-01T06:00:00Z",
        });
      }
    }
  });

export const timeSensorOperator = defineOperator({
  name: "time_sensor",
  title: "Time sensor",
  description: "Waits until a point in time, or for a duration.",
  icon: "alarm-clock",
  docs:
    "Succeeds once `until` has passed, or `forSeconds` after it first ran. Useful to hold a " +
    "branch until data for an interval is complete: `until: '{{ run.data_interval_end }}'`. It " +
    "holds no worker while waiting: it is executed again at that moment rather than polled, so " +
    "`pokeIntervalSeconds` does not apply. `timeoutSeconds` (from its first execution) and " +
    "`softFail` apply as for other sensors.",
  configSchema: timeSensorConfigSchema,
  templatedFields: ["until"],
  defaults: { forSeconds: 300 },
  async execute(context) {
    const { config, deferState, log } = context;
    const state = sensorState(deferState);
    const first = Date.parse(state.firstPokeAt);
    // The rendered config passed the schema, so `until` is an ISO date-time by now.
    const target =
      config.until !== undefined ? Date.parse(config.until) : first + (config.forSeconds ?? 0) * 1000;
    const now = Date.now();
    if (now >= target) return { output: { until: new Date(target).toISOString() } };
    const deadline = first + config.timeoutSeconds * 1000;
    if (now >= deadline) {
      return timedOut(
        context,
        `${new Date(target).toISOString()} was not reached within ${config.timeoutSeconds} s`,
      );
    }
    const until = new Date(Math.min(target, deadline));
    log.info(`waiting until ${until.toISOString()} without holding a worker`);
    return { defer: { until, state: { firstPokeAt: state.firstPokeAt, pokes: state.pokes + 1 } } };
  },
});
