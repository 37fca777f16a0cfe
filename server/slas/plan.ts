// The SLAs of a DAG version and when each one's deadline falls: pure functions, shared by the
// engine's hooks that schedule the checks (arm.ts), the check itself (check.ts) and the pages that
// explain a miss.
//
// Terms. An SLA is one deadline a DAG document declares on the DAG or on a task (`sla` in
// docs/dag-format.md): `finishBy` (a time of day), `maxDurationMinutes`, `startWithinMinutes`.
// A run is *due* when the schedule meant it to start: a scheduled run at its data interval's end,
// any other run when it was created. A deadline is *met* when the run (or the task) succeeds —
// or, for start_within, starts — by then; otherwise it is *missed*, recorded once per run.
import type { SlaKind } from "@/prisma/generated/enums";
import type { DagDefinition, Sla } from "@/server/dags/definition";
import { instantOf, wallOf } from "@/server/schedules/zone";

export interface SlaSpec {
  /** `dag.finish_by`, `task.load.max_duration`: unique within a version, the check job's key. */
  key: string;
  /** The task the SLA is about; null for the DAG's own. */
  taskId: string | null;
  kind: SlaKind;
  /** finish_by: "HH:MM". */
  time?: string;
  /** max_duration and start_within. */
  minutes?: number;
}

/** A version's SLAs, grouped by the moment their deadline becomes known. */
export interface SlaPlan {
  all: SlaSpec[];
  byKey: ReadonlyMap<string, SlaSpec>;
  /** Known when the run is created: finish_by (DAG and tasks) and the DAG's start_within. */
  atCreation: SlaSpec[];
  /** Known when the run starts: the DAG's max_duration. */
  atRunStart: SlaSpec[];
  /** Known when a task becomes ready (start_within), by task id. */
  whenReady: ReadonlyMap<string, SlaSpec>;
  /** Known when a task starts (max_duration), by task id. */
  whenStarted: ReadonlyMap<string, SlaSpec>;
}

const kinds: Array<[keyof Sla, SlaKind]> = [
  ["finishBy", "finish_by"],
  ["maxDurationMinutes", "max_duration"],
  ["startWithinMinutes", "start_within"],
];

function specsOf(sla: Sla | undefined, taskId: string | null): SlaSpec[] {
  if (!sla) return [];
  return kinds.flatMap(([field, kind]) => {
    const value = sla[field];
    if (value === undefined) return [];
    const key = taskId === null ? `dag.${kind}` : `task.${taskId}.${kind}`;
    return [
      typeof value === "string" ? { key, taskId, kind, time: value } : { key, taskId, kind, minutes: value },
    ];
  });
}

const plans = new WeakMap<DagDefinition, SlaPlan>();

/** The SLAs of a version (computed once per definition object: the engine asks on every readiness). */
export function slaPlan(dag: DagDefinition): SlaPlan {
  let plan = plans.get(dag);
  if (plan) return plan;
  const all = [...specsOf(dag.sla, null), ...dag.tasks.flatMap((task) => specsOf(task.sla, task.id))];
  plan = {
    all,
    byKey: new Map(all.map((spec) => [spec.key, spec])),
    atCreation: all.filter((s) => s.kind === "finish_by" || (s.taskId === null && s.kind === "start_within")),
    atRunStart: all.filter((s) => s.taskId === null && s.kind === "max_duration"),
    whenReady: new Map(all.filter((s) => s.taskId && s.kind === "start_within").map((s) => [s.taskId!, s])),
    whenStarted: new Map(all.filter((s) => s.taskId && s.kind === "max_duration").map((s) => [s.taskId!, s])),
  };
  plans.set(dag, plan);
  return plan;
}

/** Backfills recreate history: their runs were never due, so no SLA applies to them. */
export const slaApplies = (triggeredBy: string) => triggeredBy !== "backfill";

/** When a run was due: a scheduled run at its data interval's end, any other when it was created. */
export function dueAt(run: { triggeredBy: string; dataIntervalEnd: Date | null; queuedAt: Date }): Date {
  return run.triggeredBy === "schedule" && run.dataIntervalEnd ? run.dataIntervalEnd : run.queuedAt;
}

const DAY_MS = 86_400_000;

/** The first instant after `after` at which the zone's clocks show `time` ("HH:MM"). */
export function nextTimeOfDay(after: Date, time: string, timezone: string): Date {
  const [hours, minutes] = time.split(":").map(Number) as [number, number];
  const wall = wallOf(after.getTime(), timezone);
  let candidate = Math.floor(wall / DAY_MS) * DAY_MS + (hours * 60 + minutes) * 60_000;
  if (candidate <= wall) candidate += DAY_MS;
  return new Date(instantOf(candidate, timezone));
}

/** What a check reads of the run and, for a task's SLA, of the task's instance. */
export interface SlaSubjects {
  run: {
    triggeredBy: string;
    dataIntervalEnd: Date | null;
    queuedAt: Date;
    startedAt: Date | null;
    endedAt: Date | null;
    state: string;
  };
  task?: { state: string; queuedAt: Date | null; startedAt: Date | null; endedAt: Date | null } | null;
}

/** The deadline of an SLA in a run, or null while it is not known yet (nothing started). */
export function deadlineOf(spec: SlaSpec, subjects: SlaSubjects, timezone: string): Date | null {
  const { run, task } = subjects;
  switch (spec.kind) {
    case "finish_by":
      return nextTimeOfDay(dueAt(run), spec.time!, timezone);
    case "max_duration": {
      const startedAt = spec.taskId ? task?.startedAt : run.startedAt;
      return startedAt ? new Date(startedAt.getTime() + spec.minutes! * 60_000) : null;
    }
    case "start_within": {
      const due = spec.taskId ? task?.queuedAt : dueAt(run);
      return due ? new Date(due.getTime() + spec.minutes! * 60_000) : null;
    }
  }
}

/** What an SLA is about, as far as being met goes: the run, or the task's instance. */
export interface SlaSubject {
  state: string;
  startedAt: Date | null;
  endedAt: Date | null;
}

/**
 * When the subject did what the SLA asks (succeeded, or started for start_within), or null if it
 * has not (yet). A task skipped by a branch had nothing to do: it counts as done when skipped.
 */
export function metAt(kind: SlaKind, subject: SlaSubject | null | undefined): Date | null {
  if (!subject) return null;
  if (subject.state === "skipped") return subject.endedAt ?? subject.startedAt ?? new Date(0);
  if (kind === "start_within") return subject.startedAt;
  return subject.state === "success" ? subject.endedAt : null;
}

export type SlaVerdict =
  | { status: "pending"; deadline: Date | null }
  | { status: "met"; deadline: Date }
  | { status: "missed"; deadline: Date };

/** Whether the SLA is met, missed, or cannot be told yet at `now`. */
export function judge(spec: SlaSpec, subjects: SlaSubjects, timezone: string, now: Date): SlaVerdict {
  const deadline = deadlineOf(spec, subjects, timezone);
  if (!deadline) return { status: "pending", deadline: null };
  const met = metAt(spec.kind, spec.taskId ? subjects.task : subjects.run);
  if (met && met <= deadline) return { status: "met", deadline };
  if (now < deadline) return { status: "pending", deadline };
  return { status: "missed", deadline };
}

/** "the DAG", "task load": what an SLA is about, in a sentence. */
export function slaSubjectLabel(taskId: string | null): string {
  return taskId === null ? "the run" : `task ${taskId}`;
}

/** "finish by 06:00 (Europe/Paris)", "finish within 30 min of starting", "start within 10 min". */
export function describeSla(spec: Pick<SlaSpec, "kind" | "time" | "minutes" | "taskId">, timezone: string) {
  switch (spec.kind) {
    case "finish_by":
      return `succeed by ${spec.time} (${timezone})`;
    case "max_duration":
      return `succeed within ${spec.minutes} min of starting`;
    case "start_within":
      return `start within ${spec.minutes} min of being ${spec.taskId ? "ready" : "due"}`;
  }
}
