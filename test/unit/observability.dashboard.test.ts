// The Grafana dashboard in docs/ is built on the metrics' real names: every series it queries is
// one the process registers (server/observability/metrics.ts).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { metrics } from "@/server/observability/metrics";

describe("docs/grafana-dashboard.json", () => {
  it("queries only series the processes export", () => {
    const dashboard = JSON.parse(readFileSync("docs/grafana-dashboard.json", "utf8")) as {
      panels: { targets: { expr: string }[] }[];
    };
    const used = new Set(
      dashboard.panels.flatMap((panel) =>
        panel.targets.flatMap((target) =>
          [...target.expr.matchAll(/\bbaton_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, "")),
        ),
      ),
    );
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !metrics.registry.getSingleMetric(name))).toEqual([]);
  });
});
