// Trigger rules decide, from the states of a task's direct upstream tasks, whether it runs, is
// skipped, fails as upstream_failed, or keeps waiting. They read only counters that the engine
// keeps as upstream tasks finish, so deciding is O(1) however wide the fan-in.
import type { TriggerRule } from "@/server/dags/definition";

export interface UpstreamCounts {
  total: number;
  done: number;
  success: number;
  /** failed or upstream_failed */
  failed: number;
  skipped: number;
}

export type Decision = "run" | "skip" | "upstream_failed" | "wait";

export function decide(rule: TriggerRule, c: UpstreamCounts): Decision {
  const allDone = c.done >= c.total;
  switch (rule) {
    case "always":
      return "run";
    case "all_success":
      if (c.failed > 0) return "upstream_failed";
      if (c.skipped > 0) return "skip";
      return allDone ? "run" : "wait";
    case "all_failed":
      if (c.success > 0 || c.skipped > 0) return "skip";
      return allDone ? "run" : "wait";
    case "all_done":
      return allDone ? "run" : "wait";
    case "one_success":
      if (c.success > 0) return "run";
      if (!allDone) return "wait";
      return c.failed > 0 ? "upstream_failed" : "skip";
    case "one_failed":
      if (c.failed > 0) return "run";
      return allDone ? "skip" : "wait";
    case "none_failed":
      if (c.failed > 0) return "upstream_failed";
      return allDone ? "run" : "wait";
    case "none_failed_min_one_success":
      if (c.failed > 0) return "upstream_failed";
      if (!allDone) return "wait";
      return c.success > 0 || c.total === 0 ? "run" : "skip";
    case "none_skipped":
      if (c.skipped > 0) return "skip";
      return allDone ? "run" : "wait";
  }
}
