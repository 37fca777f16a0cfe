// Task and run states, and what they mean to the engine.
import type { RunState, TaskState } from "@/prisma/generated/enums";

export type { RunState, TaskState };

/** A task instance in one of these states will not change again unless cleared. */
export const terminalTaskStates: ReadonlySet<TaskState> = new Set<TaskState>([
  "success",
  "failed",
  "skipped",
  "upstream_failed",
  "cancelled",
]);

/** States in which a task instance holds one of its workspace's concurrency slots. */
export const slotHoldingStates: ReadonlySet<TaskState> = new Set<TaskState>(["scheduled", "running"]);

export const isFailure = (state: TaskState) => state === "failed" || state === "upstream_failed";
