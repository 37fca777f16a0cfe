// docs/schedules.md's startDate/endDate example says which runs the scheduler creates: the same
// scheduler code (nextRunAfter, then claim after claim) must create exactly those.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAndValidateDag } from "@/server/dags/serialize";
import { dueIntervals, nextRunAfter, schedulePlan } from "@/server/schedules/timetable";

const markdown = readFileSync(fileURLToPath(new URL("../../docs/schedules.md", import.meta.url)), "utf8");
const section = markdown.slice(markdown.indexOf("## startDate and endDate"), markdown.indexOf("## Catch-up"));

describe("docs/schedules.md, startDate and endDate", () => {
  it("the example's runs are the ones the scheduler creates", () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const parsed = parseAndValidateDag(yaml, { format: "yaml" });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const plan = schedulePlan(parsed.dag)!;
    const logicalDates: string[] = [];
    // The scheduler at each nextRunAt, until the schedule ends.
    let next = nextRunAfter(plan, null, new Date("2024-12-01T00:00:00Z"));
    while (next) {
      const due = dueIntervals(plan, next, next);
      for (const interval of due.intervals) logicalDates.push(interval.start.toISOString());
      next = due.nextRunAt;
    }
    const claim = /^Runs: logical dates (.*?) at /m.exec(section)![1]!;
    const documented = [...claim.matchAll(/(?:\d{4}-)?\d{2}-\d{2}/g)].map((m) => m[0]);
    expect(logicalDates.map((d) => d.slice(0, 10))).toEqual(
      documented.map((d) => (d.length === 5 ? `2025-${d}` : d)),
    );
    expect(logicalDates).toEqual(["2025-01-10T01:00:00.000Z", "2025-01-11T01:00:00.000Z"]);
  });
});
