// Every DAG template of the new-workspace gallery is a valid document (the server's validation),
// so picking one never opens the editor on problems; the fan-out one maps over its list.
import { describe, expect, it } from "vitest";
import { dagTemplates } from "@/app/w/[workspace]/dags/_templates/templates";
import { validateDag } from "@/server/dags/validate";

describe("DAG templates", () => {
  it("offers the weather pipeline, an HTTP → SQL load, a webhook-triggered DAG and a fan-out", () => {
    expect(dagTemplates.map((t) => t.key)).toEqual(["weather", "http-to-sql", "webhook", "fan-out"]);
  });

  it.each(dagTemplates.map((t) => [t.key, t] as const))("%s validates", (_, template) => {
    const result = validateDag(template.document);
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it("has distinct DAG ids", () => {
    expect(new Set(dagTemplates.map((t) => t.document.id)).size).toBe(dagTemplates.length);
  });
});
