// Every ```json and ```yaml block of docs/dag-format.md is a complete document that must validate:
// the reference cannot drift from the validator.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAndValidateDag } from "@/server/dags/serialize";

const markdown = readFileSync(fileURLToPath(new URL("../../docs/dag-format.md", import.meta.url)), "utf8");
const blocks = [...markdown.matchAll(/^```(json|yaml)\n([\s\S]*?)^```$/gm)].map((match) => ({
  format: match[1] as "json" | "yaml",
  text: match[2]!,
  line: markdown.slice(0, match.index).split("\n").length,
}));

describe("docs/dag-format.md examples", () => {
  it("has the worked examples", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    expect(blocks.some((b) => b.format === "json")).toBe(true);
  });

  it.each(blocks.map((b) => [`${b.format} block at line ${b.line}`, b] as const))(
    "%s validates",
    (_, block) => {
      const result = parseAndValidateDag(block.text, { format: block.format });
      expect(result.ok ? [] : result.problems).toEqual([]);
    },
  );

  it("includes the seed pipeline fetch_weather → transform_weather → load_to_db", () => {
    const seed = blocks
      .map((b) => parseAndValidateDag(b.text, { format: b.format }))
      .find((r) => r.ok && r.dag.tasks.some((t) => t.id === "load_to_db"));
    expect(seed?.ok).toBe(true);
    if (!seed?.ok) return;
    expect(seed.dag.tasks.map((t) => [t.id, t.operator, t.dependsOn])).toEqual([
      ["fetch_weather", "http", []],
      ["transform_weather", "code", ["fetch_weather"]],
      ["load_to_db", "sql", ["transform_weather"]],
    ]);
  });

  it("includes the seed pipeline with its transform in Python", () => {
    const python = blocks
      .map((b) => parseAndValidateDag(b.text, { format: b.format }))
      .find((r) => r.ok && r.dag.tasks.some((t) => t.operator === "python"));
    expect(python?.ok).toBe(true);
    if (!python?.ok) return;
    expect(python.dag.tasks.map((t) => [t.id, t.operator])).toEqual([
      ["fetch_weather", "http"],
      ["transform_weather", "python"],
      ["load_to_db", "sql"],
    ]);
  });
});
