import { z } from "zod";
import { hasTemplate } from "../../templating/template";
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
  icon: "⏰",
  docs:
    "Succeeds once `until` has passed, or `forSeconds` after it first ran. Useful to hold a " +
    "branch until data for an interval is complete: `until: '{{ run.data_interval_end }}'`. It " +
    "holds no worker while waiting; `timeoutSeconds` and `softFail` apply as for other sensors.",
  configSchema: timeSensorConfigSchema,
  templatedFields: ["until"],
  defaults: { forSeconds: 300 },
});
