// Every quota a plan sets, what it limits and where it bites. Plans and workspaces store one
// column per quota with the same name (prisma/schema.prisma); a workspace's columns hold the
// effective values (its plan's, with its overrides on top: server/quotas/plans.ts).
import { z } from "zod";

export type QuotaUnit = "count" | "bytes" | "seconds" | "days" | "per-minute";

/**
 * - `concurrent`: how many at once (compared with what is running now);
 * - `monthly`: a budget per calendar month (UTC), compared with metered usage;
 * - `total`: how many may exist;
 * - `limit`: a cap on one thing (one output, one attempt's log, a retention period, a rate);
 * - `share`: a weight in the fair share of what workspaces compete for (a worker pool's slots).
 */
export type QuotaKind = "concurrent" | "monthly" | "total" | "limit" | "share";

export interface QuotaInfo {
  label: string;
  unit: QuotaUnit;
  kind: QuotaKind;
  /** Where the quota is enforced, for the docs and the usage page. */
  bites: string;
  /** The smallest value it may have (0 unless set). */
  min?: number;
}

export const quotaCatalog = {
  maxConcurrentTasks: {
    label: "Concurrent task executions",
    unit: "count",
    kind: "concurrent",
    bites: "The dispatcher admits no more of the workspace's queued tasks while this many run.",
  },
  maxConcurrentRuns: {
    label: "Concurrent runs",
    unit: "count",
    kind: "concurrent",
    bites: "Further runs wait in `queued` until one of the workspace's running runs ends.",
  },
  maxTaskRunsPerMonth: {
    label: "Task runs per month",
    unit: "count",
    kind: "monthly",
    bites: "A run starting once the month's task runs reach it is refused or queued (the plan's policy).",
  },
  maxTaskSecondsPerMonth: {
    label: "Task-seconds per month",
    unit: "seconds",
    kind: "monthly",
    bites: "A run starting once the month's task-seconds reach it is refused or queued (the plan's policy).",
  },
  maxDags: {
    label: "DAGs",
    unit: "count",
    kind: "total",
    bites: "Pushing a new DAG beyond it is refused.",
  },
  maxOutputBytes: {
    label: "Output size per task",
    unit: "bytes",
    kind: "limit",
    bites: "A larger task output is stored cut, with a marker saying so.",
  },
  maxLogBytesPerAttempt: {
    label: "Log bytes kept per attempt",
    unit: "bytes",
    kind: "limit",
    bites: "Log lines beyond it are dropped, with a marker line.",
  },
  logRetentionDays: {
    label: "Log retention",
    unit: "days",
    kind: "limit",
    bites: "The retention job deletes the logs of runs that ended longer ago.",
  },
  runRetentionDays: {
    label: "Run retention",
    unit: "days",
    kind: "limit",
    bites:
      "The retention job deletes runs (with their tasks and outputs) and webhook deliveries older than this.",
  },
  webhookRateLimitPerMinute: {
    label: "Webhook deliveries per minute",
    unit: "per-minute",
    kind: "limit",
    bites: "Deliveries beyond it in a minute answer 429 with Retry-After.",
  },
  apiRateLimitPerMinute: {
    label: "API requests per minute",
    unit: "per-minute",
    kind: "limit",
    bites:
      "REST API requests beyond it in a minute (all the workspace's tokens together) answer 429 with Retry-After.",
  },
  maxMembers: {
    label: "Members",
    unit: "count",
    kind: "total",
    bites: "Inviting (or accepting an invitation) beyond it is refused; pending invitations count.",
  },
  maxPools: {
    label: "Pools",
    unit: "count",
    kind: "total",
    bites: "Creating a pool beyond it is refused.",
  },
  maxPoolSlots: {
    label: "Slots per pool",
    unit: "count",
    kind: "limit",
    bites:
      "Creating a pool with more slots, or growing one past it, is refused; a pool left above a lowered quota can still be reduced step by step.",
  },
  maxAlertRules: {
    label: "Alert rules",
    unit: "count",
    kind: "total",
    bites: "Creating an alert rule beyond it is refused.",
  },
  maxMapInstancesPerTask: {
    label: "Mapped instances per task",
    unit: "count",
    kind: "limit",
    bites: "A mapped task whose list is longer fails without starting any element, naming the quota.",
  },
  maxMapInstancesPerRun: {
    label: "Mapped instances per run",
    unit: "count",
    kind: "limit",
    bites:
      "A mapped task that would take the run's mapped instances (all its mapped tasks together) beyond it fails without starting any element, naming the quota.",
  },
  maxGroups: {
    label: "Groups",
    unit: "count",
    kind: "total",
    bites: "Creating a group beyond it is refused.",
  },
  maxFolders: {
    label: "Folders",
    unit: "count",
    kind: "total",
    bites: "Creating a folder beyond it is refused.",
  },
  maxAgents: {
    label: "Agents online",
    unit: "count",
    kind: "concurrent",
    bites: "An agent registering beyond it (across the workspace's agent pools) is refused.",
  },
  maxTasksPerDag: {
    label: "Tasks per DAG",
    unit: "count",
    kind: "limit",
    bites:
      "Pushing a DAG with more tasks is refused, naming the quota; it can never exceed the installation's limit of 20,000.",
  },
  shareWeight: {
    label: "Share weight (priority)",
    unit: "count",
    kind: "share",
    min: 1,
    bites:
      "While workspaces wait for a worker pool's slots, each gets a share of them in proportion to its weight.",
  },
} as const satisfies Record<string, QuotaInfo>;

export type QuotaKey = keyof typeof quotaCatalog;
export const quotaKeys = Object.keys(quotaCatalog) as QuotaKey[];

export type Quotas = Record<QuotaKey, number>;
export type OverQuotaPolicy = "refuse" | "queue";

const quotaValue = (key: QuotaKey) =>
  z
    .number()
    .int()
    .min((quotaCatalog[key] as QuotaInfo).min ?? 0)
    .max(2_147_483_647);

/** A complete set of quotas (a plan). */
export const quotasSchema = z.object(
  Object.fromEntries(quotaKeys.map((key) => [key, quotaValue(key)])) as Record<
    QuotaKey,
    ReturnType<typeof quotaValue>
  >,
);

/** Some quotas (a workspace's overrides); unknown names are refused. */
export const quotaOverridesSchema = quotasSchema.partial().strict();

export const overQuotaPolicySchema = z.enum(["refuse", "queue"]);

/** The quota columns of a row (a Plan or a Workspace). */
export function quotasOf(row: Quotas): Quotas {
  return Object.fromEntries(quotaKeys.map((key) => [key, row[key]])) as Quotas;
}
