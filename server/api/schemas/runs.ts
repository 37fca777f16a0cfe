// Answers of the run procedures: runs, their task instances and attempts, logs.
import { z } from "zod";
import { RunState, TaskState } from "@/prisma/generated/enums";
import { pageOf } from "@/server/pagination";
import { storedJson, timestamp } from "./common";

export const runStateSchema = z.enum(RunState).meta({ id: "RunState" });
export const taskStateSchema = z.enum(TaskState).meta({ id: "TaskState" });

export const attemptSchema = z
  .object({
    id: z.string(),
    number: z.number().int().describe("1 for the first try"),
    state: z.string().describe("running, success, failed, deferred…"),
    error: z.string().nullable(),
    startedAt: timestamp,
    endedAt: timestamp.nullable(),
    workerId: z.string(),
  })
  .meta({ id: "Attempt", description: "One try of a task instance" });

export const taskInstanceSchema = z
  .object({
    id: z.string(),
    taskId: z.string(),
    mapIndex: z.number().int().describe("-1, or the element of a mapped task"),
    mapCount: z.number().int().nullable().describe("For a mapped task's parent: how many elements"),
    state: taskStateSchema,
    tryNumber: z.number().int(),
    maxTries: z.number().int(),
    output: storedJson.describe("What the task returned (null until it succeeds)"),
    error: z.string().nullable(),
    pool: z.string().describe("Its pool (named slot limit)"),
    workerPool: z.string().nullable().describe("The worker pool it was admitted to (null before)"),
    waitingFor: z
      .string()
      .nullable()
      .describe(
        "For a ready (queued) task: what it waits for, in words (a slot, a live worker of its pool…)",
      ),
    mapStates: z
      .record(z.string(), z.number().int())
      .nullable()
      .describe(
        "For a mapped task's parent: how many of its elements are in each state (the elements: GET /runs/{runId}/tasks?taskId=…)",
      ),
    queuedAt: timestamp.nullable(),
    startedAt: timestamp.nullable(),
    endedAt: timestamp.nullable(),
    attempts: z.array(attemptSchema),
  })
  .meta({ id: "TaskInstance", description: "One task of a run (one per element for a mapped task)" });

const runFields = {
  id: z.string(),
  dagKey: z.string().describe("The DAG's id"),
  state: runStateSchema,
  triggeredBy: z.string().describe("schedule, manual, api, webhook, backfill, trigger…"),
  triggeredByLabel: z.string(),
  note: z.string(),
  logicalDate: timestamp,
  queuedAt: timestamp,
  startedAt: timestamp.nullable(),
  endedAt: timestamp.nullable(),
  slaMisses: z.number().int().describe("SLA deadlines the run (or one of its tasks) missed"),
  stateReason: z
    .string()
    .nullable()
    .describe(
      "Why a queued run waits (a quota, a suspension, its DAG's maxActiveRuns) or why a run ended without starting",
    ),
};
export const runSchema = z.object(runFields).meta({ id: "Run", description: "A run of a DAG" });
export const runPage = pageOf(runSchema);

export const runCalendarSchema = z
  .object({
    month: z.string().describe("yyyy-mm"),
    days: z
      .array(
        z.object({
          day: z.string().describe("yyyy-mm-dd, a UTC day of the runs' logical date"),
          runs: z.number().int(),
          states: z.array(z.object({ state: runStateSchema, count: z.number().int() })),
        }),
      )
      .describe("The month's days that have runs, in order"),
  })
  .meta({ id: "RunCalendar" });

export const runDetail = z
  .object({
    ...runFields,
    versionNumber: z.number().int().describe("The DAG version the run executes"),
    runKey: z.string().describe("Unique per DAG: the scheduled tick, backfill date or idempotency key"),
    params: storedJson,
    dataIntervalStart: timestamp.nullable(),
    dataIntervalEnd: timestamp.nullable(),
    timeoutAt: timestamp.nullable(),
    logsPurgedAt: timestamp.nullable(),
    logRetentionDays: z.number().int().nullable().describe("Set when retention removed the run's logs"),
    taskCount: z.number().int().describe("The run's tasks (a mapped task counted once)"),
    tasks: z
      .array(taskInstanceSchema)
      .describe(
        "One instance per task of the DAG in task id order, taskLimit of them (default 1000) from taskCursor; a mapped task appears once, as its parent with mapStates (its elements: GET /runs/{runId}/tasks)",
      ),
    tasksNextCursor: z
      .string()
      .nullable()
      .describe("Pass as taskCursor to read the next tasks; null when these are the last"),
  })
  .meta({
    id: "RunDetail",
    description: "A run with its tasks (mapped tasks summarised) and their attempts",
  });

export const taskInstancePage = pageOf(taskInstanceSchema);

export const triggeredRun = z
  .object({
    id: z.string(),
    created: z.boolean().describe("false when an earlier request with the same key made the run"),
  })
  .meta({ id: "TriggeredRun" });

export const clearedTasks = z
  .object({
    cleared: z.array(z.string()).describe("Task ids cleared"),
    dagVersionId: z.string(),
  })
  .meta({ id: "ClearedTasks" });

export const clearPreview = z
  .object({
    tasks: z
      .array(z.object({ taskId: z.string(), state: taskStateSchema }))
      .describe("The tasks the clear would reset, in the DAG's order, with their states now"),
  })
  .meta({ id: "ClearPreview", description: "The dry run of a clear: what it would reset" });

export const taskLog = z
  .object({
    attempt: z.number().int(),
    state: taskStateSchema,
    running: z.boolean().describe("Whether more lines may come"),
    chunks: z
      .array(z.object({ id: z.string(), text: z.string() }))
      .describe("Oldest first; pass the last id as afterId to read what follows"),
  })
  .meta({ id: "TaskLog", description: "A task attempt's log, or its part after afterId" });
