// SLA misses, alert rules and the alerts they sent, and lineage (server/slas, server/alerts,
// server/lineage). Rules are configuration of what the DAGs do (dags:write); muting is what the
// person on call does (runs:operate).
import { z } from "zod";
import { alertChannelsSchema } from "@/server/alerts/channels";
import { listAlerts } from "@/server/alerts/history";
import {
  alertRuleKinds,
  createAlertRule,
  deleteAlertRule,
  getAlertRule,
  listAlertRules,
  muteAlertRule,
  ruleSettingsSchema,
  throttleMinutesSchema,
  updateAlertRule,
} from "@/server/alerts/rules";
import { dagIdPattern } from "@/server/dags/definition";
import { notFound } from "@/server/errors";
import { dagLineage, lineageGraph } from "@/server/lineage/graph";
import { pageInput } from "@/server/pagination";
import { listSlaMisses } from "@/server/slas/misses";
import { uuid } from "@/server/validation";
import {
  alertPage,
  alertRulePage,
  alertRuleSchema,
  dagLineage as dagLineageSchema,
  lineageGraph as lineageGraphSchema,
  slaMissPage,
} from "../schemas/alerts";
import { nothing } from "../schemas/common";
import { router, workspaceProcedure } from "../trpc";

const dagId = z.string().regex(dagIdPattern, "Not a DAG id (a-z, 0-9, _ and -, starting with a letter)");
const ruleName = z.string().trim().min(1, "Enter a name").max(100, "Names are at most 100 characters");

export const slasRouter = router({
  /** Misses of the workspace, or of one DAG or run, newest deadline first. */
  misses: workspaceProcedure("workspace:read")
    .input(z.object({ dagId: dagId.optional(), runId: uuid.optional(), ...pageInput }))
    .output(slaMissPage)
    .query(({ ctx, input }) => listSlaMisses(ctx.scope, { ...input, dagKey: input.dagId })),
});

const ruleFields = {
  name: ruleName,
  /** Only this DAG; null or absent: every DAG. */
  dagId: dagId.nullable().optional(),
  settings: ruleSettingsSchema.optional(),
  channels: alertChannelsSchema,
  throttleMinutes: throttleMinutesSchema,
  enabled: z.boolean(),
};

export const alertsRouter = router({
  rules: workspaceProcedure("workspace:read")
    .input(z.object({ dagId: dagId.optional(), ...pageInput }))
    .output(alertRulePage)
    .query(({ ctx, input }) => listAlertRules(ctx.scope, { ...input, dagKey: input.dagId })),
  rule: workspaceProcedure("workspace:read")
    .input(z.object({ ruleId: uuid }))
    .output(alertRuleSchema)
    .query(({ ctx, input }) => getAlertRule(ctx.scope, input.ruleId)),
  createRule: workspaceProcedure("dags:write")
    .input(
      z.object({
        ...ruleFields,
        kind: z.enum(alertRuleKinds),
        throttleMinutes: ruleFields.throttleMinutes.default(60),
        enabled: ruleFields.enabled.default(true),
      }),
    )
    .output(alertRuleSchema)
    .mutation(({ ctx, input }) => createAlertRule(ctx.scope, input)),
  updateRule: workspaceProcedure("dags:write")
    .input(
      z.object({
        ruleId: uuid,
        name: ruleFields.name.optional(),
        dagId: ruleFields.dagId,
        settings: ruleFields.settings,
        channels: ruleFields.channels.optional(),
        throttleMinutes: ruleFields.throttleMinutes.optional(),
        enabled: ruleFields.enabled.optional(),
      }),
    )
    .output(alertRuleSchema)
    .mutation(({ ctx, input }) => updateAlertRule(ctx.scope, input)),
  deleteRule: workspaceProcedure("dags:write")
    .input(z.object({ ruleId: uuid }))
    .output(nothing)
    .mutation(({ ctx, input }) => deleteAlertRule(ctx.scope, input.ruleId)),
  mute: workspaceProcedure("runs:operate")
    .input(
      z.object({
        ruleId: uuid,
        minutes: z
          .int("must be a whole number of minutes")
          .min(1, "must be at least 1 minute")
          .max(43_200, "must be at most 43200 minutes (30 days); disable the rule to stop it for longer"),
      }),
    )
    .output(alertRuleSchema)
    .mutation(({ ctx, input }) => muteAlertRule(ctx.scope, input)),
  unmute: workspaceProcedure("runs:operate")
    .input(z.object({ ruleId: uuid }))
    .output(alertRuleSchema)
    .mutation(({ ctx, input }) => muteAlertRule(ctx.scope, { ruleId: input.ruleId, minutes: null })),
  /** The alerts sent, newest first. */
  list: workspaceProcedure("workspace:read")
    .input(z.object({ ruleId: uuid.optional(), dagId: dagId.optional(), ...pageInput }))
    .output(alertPage)
    .query(({ ctx, input }) => listAlerts(ctx.scope, { ...input, dagKey: input.dagId })),
});

export const lineageRouter = router({
  graph: workspaceProcedure("workspace:read")
    .output(lineageGraphSchema)
    .query(({ ctx }) => lineageGraph(ctx.scope)),
  dag: workspaceProcedure("workspace:read")
    .input(z.object({ dagId }))
    .output(dagLineageSchema)
    .query(async ({ ctx, input }) => {
      const lineage = await dagLineage(ctx.scope, input.dagId);
      if (!lineage) throw notFound("DAG");
      return lineage;
    }),
});
