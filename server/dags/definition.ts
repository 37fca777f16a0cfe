// The DAG document: what a user writes (JSON or YAML) to define a workflow, as zod schemas.
// Shape checks and self-contained field checks (cron, time zone, param defaults) live here so the
// editor can use the same schemas; checks that need the whole graph live in validate.ts.
//
// Terms: a DAG is a set of tasks and the dependencies between them; a task runs one operator
// (server/operators) with a config; a run executes every task of one DAG version once (or once
// per item, for a mapped task); a task instance's tries are attempts.
import { CronExpressionParser } from "cron-parser";
import { z } from "zod";
import { notifyConfigSchema } from "../operators/definitions/notify";
import { zoneProblem } from "../schedules/zone";
import { maxTasks } from "./limits";

/** DAG ids: lower-case slugs, usable in URLs and in template paths. */
export const dagIdPattern = /^[a-z][a-z0-9_-]{0,62}$/;

/** The longest task id: WfCommons workflows name tasks with up to 91 characters. */
export const maxTaskIdLength = 128;

/**
 * Task ids: letters (either case), digits, _ and -, in dot-separated parts (`extract.load`, as
 * Airflow's task groups name their tasks), each part starting with a letter or _ so that
 * `{{ tasks.extract.load.output }}` reads as a path; at most maxTaskIdLength characters.
 */
export const taskIdPattern = /^(?=.{1,128}$)[A-Za-z][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*$/;

const slug = (what: string) =>
  z.string().regex(dagIdPattern, {
    message: `${what} must start with a letter and use a-z, 0-9, _ and - (at most 63 characters)`,
  });

const paramNamePattern = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

// ---------------------------------------------------------------------------------------------
// Schedules

/** `@daily`-style presets (cron-parser's, and `@once`: one run, at startDate). */
const cronPresets = new Set([
  "@once",
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@hourly",
  "@minutely",
  "@weekdays",
  "@weekends",
]);

/**
 * Why a cron expression is unusable, or undefined when it is fine: 5 fields (minute first),
 * 6 fields (seconds first) or a preset. cron-parser alone is lenient about the field count
 * (it reads "* * *" as a full expression), hence the count check first.
 */
export function cronProblem(expression: string): string | undefined {
  return remember(cronVerdicts, expression, () => checkCron(expression));
}

function checkCron(expression: string): string | undefined {
  const trimmed = expression.trim();
  if (trimmed.startsWith("@")) {
    return cronPresets.has(trimmed) ? undefined : `unknown preset; use one of ${[...cronPresets].join(", ")}`;
  }
  // cron-parser is asked about wall-clock time, in UTC (server/schedules/cron.ts): the zone does
  // not change whether an expression is valid.
  const fields = trimmed.split(/\s+/).filter(Boolean).length;
  if (fields !== 5 && fields !== 6) {
    return `has ${fields} field(s); use 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)`;
  }
  // cron-parser reads H as a value drawn at random unless given a seed, so the same document would
  // fire at different times on different machines.
  if (/(^|[\s,])H(?=$|[\s,(/])/.test(trimmed)) return "H (hashed) values are not supported; write the value";
  try {
    CronExpressionParser.parse(trimmed, { tz: "UTC" }).next();
    return undefined;
  } catch (error) {
    return `is not a valid cron expression: ${(error as Error).message}`;
  }
}

/** Why a time zone is unusable, or undefined for an IANA zone (or alias) or a fixed offset (`+05:30`). */
export function timeZoneProblem(timezone: string): string | undefined {
  return remember(timeZoneVerdicts, timezone, () => zoneProblem(timezone));
}

// Both checks cost about a millisecond (time zone data is loaded each time) and documents repeat
// the same few values, so verdicts are kept, up to a bound a stream of junk cannot exceed.
const cronVerdicts = new Map<string, string | undefined>();
const timeZoneVerdicts = new Map<string, string | undefined>();

function remember(verdicts: Map<string, string | undefined>, key: string, check: () => string | undefined) {
  if (verdicts.has(key)) return verdicts.get(key);
  const verdict = check();
  if (verdicts.size >= 1000) verdicts.clear();
  verdicts.set(key, verdict);
  return verdict;
}

const timeZone = z.string().superRefine((value, ctx) => {
  const problem = timeZoneProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

export const cronScheduleSchema = z.strictObject({
  type: z.literal("cron"),
  // Checked on its own (the zone does not change whether an expression is valid), so that a bad
  // zone and a bad expression are reported together.
  cron: z.string().superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
  timezone: timeZone.default("UTC"),
});

const durationPattern = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Seconds in a duration such as "90s", "15m", "1h30m" or "1d"; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = durationPattern.exec(text);
  if (!match || text === "") return undefined;
  const [, d = "0", h = "0", m = "0", s = "0"] = match;
  return ((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s);
}

export const intervalScheduleSchema = z.strictObject({
  type: z.literal("interval"),
  /** A duration: digits and units d, h, m, s, largest first ("15m", "1h30m"); at least 1 minute. */
  every: z.string().superRefine((value, ctx) => {
    const seconds = parseDuration(value);
    if (seconds === undefined) {
      ctx.addIssue({ code: "custom", message: 'use a duration such as "15m", "1h30m" or "1d"' });
    } else if (seconds < 60) {
      ctx.addIssue({ code: "custom", message: "must be at least 1m" });
    }
  }),
});

/** When runs are created; absent or null means manual (and API/trigger) runs only. */
export const scheduleSchema = z.discriminatedUnion("type", [cronScheduleSchema, intervalScheduleSchema]);

/**
 * The DAG's time zone: its cron schedule's, UTC otherwise (an interval schedule has none). SLA
 * times of day and the template date filters given no zone are read in it.
 */
export function dagTimeZone(dag: { schedule?: z.output<typeof scheduleSchema> | null | undefined }): string {
  return dag.schedule?.type === "cron" ? dag.schedule.timezone : "UTC";
}

// ---------------------------------------------------------------------------------------------
// Params

export const paramTypes = ["string", "number", "integer", "boolean", "object", "array"] as const;
export type ParamType = (typeof paramTypes)[number];

const paramBaseSchema = z.strictObject({
  type: z.enum(paramTypes),
  title: z.string().optional(),
  description: z.string().optional(),
  default: z.unknown().optional(),
  enum: z
    .array(z.union([z.string(), z.number(), z.boolean()]))
    .min(1)
    .optional(),
  /** A run must supply it (only meaningful without a default). */
  required: z.boolean().default(false),
});

export type ParamSpec = z.output<typeof paramBaseSchema>;

/** A declared run parameter; its default and enum values must fit its own type. */
export const paramSpecSchema = paramBaseSchema.superRefine((spec, ctx) => {
  const type = valueSchema(spec.type);
  spec.enum?.forEach((value, i) => {
    if (!type.safeParse(value).success) {
      ctx.addIssue({ code: "custom", path: ["enum", i], message: `is not a valid ${spec.type}` });
    }
  });
  if (spec.default !== undefined) {
    const result = paramValidator(spec).safeParse(spec.default);
    if (!result.success) {
      ctx.addIssue({ code: "custom", path: ["default"], message: result.error.issues[0]!.message });
    }
  }
});

function valueSchema(type: ParamType): z.ZodType<unknown> {
  switch (type) {
    case "string":
      return z.string();
    case "number":
      return z.number();
    case "integer":
      return z.int();
    case "boolean":
      return z.boolean();
    case "object":
      return z.record(z.string(), z.unknown());
    case "array":
      return z.array(z.unknown());
  }
}

/** The validator of one param's value: type, enum, default. */
function paramValidator(spec: ParamSpec): z.ZodType<unknown> {
  let schema = valueSchema(spec.type);
  const allowed = spec.enum;
  if (allowed) {
    schema = schema.refine((value) => (allowed as unknown[]).includes(value), {
      message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}`,
    });
  }
  if (spec.default !== undefined) {
    // A fresh copy per run, so that no run can alter the default another run sees.
    const fallback = spec.default;
    return schema.default(() => structuredClone(fallback));
  }
  return spec.required ? schema : schema.optional();
}

/**
 * Validates the params of a run (manual trigger, API, trigger_dag) and applies defaults.
 * Undeclared params are refused: a misspelt name would otherwise be silently ignored.
 */
export function paramsValidator(dag: Pick<DagDefinition, "params">) {
  const shape: Record<string, z.ZodType<unknown>> = {};
  for (const [name, spec] of Object.entries(dag.params)) shape[name] = paramValidator(spec);
  // Read as own properties only: a param named `constructor` or `toString` that a run leaves out
  // would otherwise find Object.prototype's function, and fail every run that omits it.
  return z.preprocess(ownPropertiesOnly, z.strictObject(shape));
}

function ownPropertiesOnly(value: unknown): unknown {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? Object.assign(Object.create(null), value)
    : value;
}

// ---------------------------------------------------------------------------------------------
// SLAs

const slaMinutes = z
  .int("must be a whole number of minutes")
  .min(1, "must be at least 1 minute")
  .max(7 * 24 * 60, "must be at most 10080 minutes (7 days)");

/**
 * Deadlines of a DAG's runs or of one task in them (server/slas): each one missed is recorded once
 * per run and alerted through the workspace's sla_miss alert rules. A deadline is met when the
 * run (task) succeeds, or for startWithinMinutes starts, by then.
 */
export const slaSchema = z
  .strictObject({
    /**
     * "HH:MM" (24-hour clock) in the DAG's time zone: succeeded by the first such time after the
     * run was due (its data interval's end, or its logical date for a run without one).
     */
    finishBy: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'must be a time of day "HH:MM" such as "06:30"' })
      .optional(),
    /** Succeeded within this many minutes of starting. */
    maxDurationMinutes: slaMinutes.optional(),
    /** Started within this many minutes of being due (a run) or ready to run (a task). */
    startWithinMinutes: slaMinutes.optional(),
  })
  .refine((sla) => Object.keys(sla).length > 0, {
    message: "name at least one deadline: finishBy, maxDurationMinutes or startWithinMinutes",
  });

export type Sla = z.output<typeof slaSchema>;

// ---------------------------------------------------------------------------------------------
// Tasks

/** The most items a literal `map.over` list may have: as many as a DAG may have tasks. */
export const maxMapItems = 20_000;

export const triggerRules = [
  "all_success",
  "all_failed",
  "all_done",
  "one_success",
  "one_failed",
  "none_failed",
  "none_failed_min_one_success",
  "none_skipped",
  "always",
] as const;
export type TriggerRule = (typeof triggerRules)[number];

const retries = z.int().min(0).max(100);
const delaySeconds = z
  .number()
  .min(0)
  .max(7 * 86_400);
const timeoutSeconds = z
  .number()
  .positive()
  .max(7 * 86_400);
const priorityWeight = z.int().min(-1000).max(1000);
/** Pool names: slugs, like DAG ids. */
export const poolNamePattern = /^[a-z][a-z0-9_-]{0,62}$/;
const poolName = z.string().regex(poolNamePattern, { message: "must be a pool name (a slug)" });

/** Task settings every task inherits unless it sets its own. */
export const taskDefaultsSchema = z.strictObject({
  retries: retries.default(0),
  retryDelaySeconds: delaySeconds.default(60),
  /** Doubles the delay after each failed attempt, up to maxRetryDelaySeconds. */
  retryExponentialBackoff: z.boolean().default(false),
  maxRetryDelaySeconds: delaySeconds.default(3600),
  /** Bounds each attempt; none when absent (the run timeout still applies). */
  timeoutSeconds: timeoutSeconds.optional(),
  /** Higher runs first among a run's ready tasks, before the critical-path order. */
  priorityWeight: priorityWeight.default(1),
  pool: poolName.default("default"),
});

export type TaskDefaults = z.output<typeof taskDefaultsSchema>;

/** Dotted paths into a config (`headers`, `rules.when`), as in an operator's templatedFields. */
export const configPathPattern = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
/** Path segments that would reach JavaScript internals; a config path must not name them. */
export const forbiddenConfigPathPattern = /(^|\.)(__proto__|constructor|prototype)(\.|$)/;

const configPath = z
  .string()
  .regex(configPathPattern, { message: "must be a dotted path such as headers.Authorization" })
  .refine((path) => !forbiddenConfigPathPattern.test(path), {
    message: "must not name __proto__, constructor or prototype",
  });

/** A task's own settings, each optional: the task, then its groups, then `defaults` decide. */
export const taskSettingsShape = {
  retries: retries.optional(),
  retryDelaySeconds: delaySeconds.optional(),
  retryExponentialBackoff: z.boolean().optional(),
  maxRetryDelaySeconds: delaySeconds.optional(),
  timeoutSeconds: timeoutSeconds.optional(),
  priorityWeight: priorityWeight.optional(),
  pool: poolName.optional(),
};

const taskIdMessage = `must start with a letter and use letters, digits, _ and -, in parts joined by dots that each start with a letter or _ (at most ${maxTaskIdLength} characters)`;

export const taskSchema = z.strictObject({
  id: z.string().regex(taskIdPattern, { message: `A task id ${taskIdMessage}` }),
  operator: z.string().min(1),
  description: z.string().optional(),
  /** Checked against the operator's config schema by validateDag. */
  config: z.record(z.string(), z.unknown()).default(() => ({})),
  dependsOn: z.array(z.string()).default(() => []),
  triggerRule: z.enum(triggerRules).default("all_success"),
  ...taskSettingsShape,
  /**
   * Run one task instance per element of a list: a path (no braces) to an upstream task's output
   * or to a param, such as `tasks.list_files.output.files`, or the list itself (`[1, 2, 3]`, as
   * Airflow's `expand(x=[1, 2, 3])`). Each instance reads `{{ item }}`.
   */
  map: z
    .strictObject({
      over: z.union([
        z.string().min(1),
        z.array(z.unknown()).max(maxMapItems, {
          message: `a literal list has at most ${maxMapItems.toLocaleString("en")} items (the mapped-list limit)`,
        }),
      ]),
    })
    .optional(),
  /** Config paths templated in addition to the operator's templatedFields. */
  templated: z.array(configPath).optional(),
  /** The author's guess, used for the critical path until runs have measured durations. */
  estimatedDurationSeconds: z.number().min(0).optional(),
  /** Deadlines of this task in each run. */
  sla: slaSchema.optional(),
  /**
   * Words on the arrows into this task, by dependency (an entry of dependsOn), as Airflow's
   * `Label`: `{ check_weather: "if rain" }`. Shown in the graph views; no effect on execution.
   */
  edgeLabels: z.record(z.string(), z.string().min(1).max(100)).optional(),
});

/**
 * A task group, as Airflow's TaskGroup: the tasks whose ids start with the group's id and a dot
 * (`extract.list_files` is in `extract`), and groups nested the same way (`extract.s3`). Other
 * tasks and groups may depend on a group (on its leaves: its tasks nothing else in it depends on);
 * a group's own dependsOn applies to its roots (its tasks that depend on nothing else in it). Its
 * defaults apply to its tasks under their own settings, the innermost group's first. The graph
 * views can show a group as one node.
 */
export const groupSchema = z.strictObject({
  id: z.string().regex(taskIdPattern, { message: `A group id ${taskIdMessage}` }),
  description: z.string().optional(),
  dependsOn: z.array(z.string()).optional(),
  defaults: z.strictObject(taskSettingsShape).optional(),
});

export type GroupDefinition = z.output<typeof groupSchema>;

// ---------------------------------------------------------------------------------------------
// The document

/** Date-only (midnight in the schedule's time zone) or a date-time with offset. */
const isoDate = z
  .string()
  .refine(
    (value) =>
      /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) &&
      !Number.isNaN(Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value)),
    { message: "must be an ISO date (2024-01-31) or date-time with offset (2024-01-31T06:00:00Z)" },
  );

export { maxTasks };

/**
 * When the DAG's triggers (runs of other DAGs ending: server/triggers) start it, as Airflow's
 * asset conditions: an upstream DAG id holds once a run of it fired its trigger since this DAG was
 * last started by its triggers; `all` and `any` combine. Absent: all of its enabled triggers
 * (Airflow's default for a list of assets).
 */
export type TriggerCondition = string | { all: TriggerCondition[] } | { any: TriggerCondition[] };

export const triggerConditionSchema: z.ZodType<TriggerCondition> = z
  .lazy(() =>
    z.union([
      slug("An upstream DAG id"),
      z.strictObject({ all: z.array(triggerConditionSchema).min(1) }),
      z.strictObject({ any: z.array(triggerConditionSchema).min(1) }),
    ]),
  )
  .meta({ id: "TriggerCondition", description: "An upstream DAG id, or all / any of conditions" });

/** Whether a condition holds when the upstream DAGs in `fired` have fired. */
export function conditionHolds(condition: TriggerCondition, fired: ReadonlySet<string>): boolean {
  if (typeof condition === "string") return fired.has(condition);
  if ("all" in condition) return condition.all.every((c) => conditionHolds(c, fired));
  return condition.any.some((c) => conditionHolds(c, fired));
}

export const dagSchema = z.strictObject({
  /** Lets editors find the JSON Schema; ignored otherwise. */
  $schema: z.string().optional(),
  id: slug("A DAG id"),
  title: z.string().max(200).optional(),
  description: z.string().max(20_000).optional(),
  tags: z.array(z.string().min(1).max(50)).default(() => []),
  owner: z.string().max(200).optional(),
  schedule: scheduleSchema.nullable().optional(),
  /** See triggerConditionSchema; with a schedule, runs come from both (Airflow's AssetOrTimeSchedule). */
  triggerCondition: triggerConditionSchema.optional(),
  startDate: isoDate.optional(),
  endDate: isoDate.optional(),
  /** Create the runs missed since startDate (or since the DAG was paused) instead of only the latest. */
  catchup: z.boolean().default(false),
  maxActiveRuns: z.int().min(1).max(1000).default(16),
  params: z
    .record(
      z.string().regex(paramNamePattern, { message: "a param name must be an identifier" }),
      paramSpecSchema,
    )
    .default(() => ({})),
  defaults: taskDefaultsSchema.prefault({}),
  runTimeoutSeconds: timeoutSeconds.optional(),
  /** Deadlines of each run. */
  sla: slaSchema.optional(),
  onSuccess: z.array(notifyConfigSchema).optional(),
  onFailure: z.array(notifyConfigSchema).optional(),
  /** Task groups, see groupSchema. */
  groups: z
    .array(groupSchema)
    .max(maxTasks, { message: `a DAG has at most ${maxTasks} groups (as many as tasks)` })
    .optional(),
  tasks: z.array(taskSchema).max(maxTasks, {
    message: `a DAG has at most ${maxTasks} tasks (the installation's limit); split it into DAGs that trigger one another`,
  }),
});

export type DagDefinition = z.output<typeof dagSchema>;
/** A document as written: fields with defaults may be left out. */
export type DagDocument = z.input<typeof dagSchema>;
export type TaskDefinition = DagDefinition["tasks"][number];
export type Schedule = z.output<typeof scheduleSchema>;

// ---------------------------------------------------------------------------------------------
// Task settings

export type TaskSettings = Omit<TaskDefaults, "timeoutSeconds"> & { timeoutSeconds: number | undefined };

/** A task's effective settings: its own, else its groups' (innermost first), else the DAG's defaults. */
export function resolveTaskSettings(
  dag: Pick<DagDefinition, "defaults" | "groups">,
  task: TaskDefinition,
): TaskSettings {
  const d = dag.defaults;
  const groups = dag.groups?.length ? enclosingGroupDefaults(dag.groups, task.id) : [];
  const setting = <K extends keyof TaskSettings>(key: K): TaskSettings[K] | undefined => {
    const own = task[key as keyof TaskDefinition] as TaskSettings[K] | undefined;
    if (own !== undefined) return own;
    for (const defaults of groups) if (defaults[key] !== undefined) return defaults[key] as TaskSettings[K];
    return undefined;
  };
  return {
    retries: setting("retries") ?? d.retries,
    retryDelaySeconds: setting("retryDelaySeconds") ?? d.retryDelaySeconds,
    retryExponentialBackoff: setting("retryExponentialBackoff") ?? d.retryExponentialBackoff,
    maxRetryDelaySeconds: setting("maxRetryDelaySeconds") ?? d.maxRetryDelaySeconds,
    timeoutSeconds: setting("timeoutSeconds") ?? d.timeoutSeconds,
    priorityWeight: setting("priorityWeight") ?? d.priorityWeight,
    pool: setting("pool") ?? d.pool,
  };
}

/** The defaults of the groups a task id lies in, innermost first. */
function enclosingGroupDefaults(groups: readonly GroupDefinition[], taskId: string) {
  let byId = groupDefaultsByList.get(groups);
  if (!byId) {
    byId = new Map(groups.map((g) => [g.id, g.defaults ?? {}]));
    groupDefaultsByList.set(groups, byId);
  }
  const found: Array<NonNullable<GroupDefinition["defaults"]>> = [];
  for (let dot = taskId.lastIndexOf("."); dot > 0; dot = taskId.lastIndexOf(".", dot - 1)) {
    const defaults = byId.get(taskId.slice(0, dot));
    if (defaults) found.push(defaults);
  }
  return found;
}

// Compiling a version resolves every task's settings: the groups are indexed once per version.
const groupDefaultsByList = new WeakMap<
  readonly GroupDefinition[],
  Map<string, NonNullable<GroupDefinition["defaults"]>>
>();

/** Seconds to wait before retrying after the given number of failed attempts (1 = first failure). */
export function retryDelaySeconds(settings: TaskSettings, failedAttempts: number): number {
  if (!settings.retryExponentialBackoff) return settings.retryDelaySeconds;
  const delay = settings.retryDelaySeconds * 2 ** Math.max(0, failedAttempts - 1);
  return Math.min(delay, Math.max(settings.maxRetryDelaySeconds, settings.retryDelaySeconds));
}
