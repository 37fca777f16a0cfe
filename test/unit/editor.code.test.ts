// The code editor's pure parts: where a problem's path is in the text (YAML and JSON), the line
// diff of two values, and tasks' code highlighted in its own language inside the YAML.
import { ensureSyntaxTree } from "@codemirror/language";
import { EditorState } from "@codemirror/state";
import { classHighlighter, highlightTree } from "@lezer/highlight";
import { describe, expect, it } from "vitest";
import { diffedLines, diffText } from "@/app/_components/line-diff";
import { dagYaml } from "@/app/w/[workspace]/dags/_editor/embedded-code";
import { pathSegments, problemRanges } from "@/app/w/[workspace]/dags/_editor/problem-ranges";

const yamlText = [
  "id: demo",
  "tasks:",
  "  - id: fetch",
  "    operator: http",
  "    config:",
  "      url: not a url",
  "  - id: load",
  "    operator: noop",
  "    dependsOn: [fetch, missing_task]",
].join("\n");

const at = (text: string, range: { from: number; to: number }) => text.slice(range.from, range.to);

describe("problemRanges", () => {
  it("reads paths with keys and positions", () => {
    expect(pathSegments("tasks[1].config.url")).toEqual(["tasks", 1, "config", "url"]);
    expect(pathSegments("")).toEqual([]);
  });

  it("points at the value a path names, in YAML and in JSON", () => {
    const paths = ["tasks[0].config.url", "tasks[1].dependsOn[1]", "id"];
    expect(problemRanges(yamlText, paths)!.map((r) => at(yamlText, r))).toEqual([
      "not a url",
      "missing_task",
      "demo",
    ]);
    const json = JSON.stringify(
      {
        id: "demo",
        tasks: [
          { id: "fetch", operator: "http", config: { url: "not a url" } },
          { id: "load", operator: "noop", dependsOn: ["fetch", "missing_task"] },
        ],
      },
      null,
      2,
    );
    expect(problemRanges(json, paths)!.map((r) => at(json, r))).toEqual([
      '"not a url"',
      '"missing_task"',
      '"demo"',
    ]);
  });

  it("lands a missing field on the key that should hold it, a task on its first line", () => {
    const [missing, task, document] = problemRanges(yamlText, ["tasks[1].config", "tasks[0]", ""])!;
    expect(at(yamlText, missing!)).toBe("id: load");
    expect(at(yamlText, task!)).toBe("id: fetch");
    expect(at(yamlText, document!)).toBe("id: demo");
  });

  it("gives nothing for text that does not parse", () => {
    expect(problemRanges("tasks: [", ["tasks"])).toBeUndefined();
  });
});

describe("line diffs", () => {
  it("compares text line by line and other values as JSON", () => {
    const lines = diffedLines(diffText("a\nb\nc"), diffText("a\nB\nc"));
    expect(lines).toEqual([
      { kind: "same", text: "a", before: 1, after: 1 },
      { kind: "removed", text: "b", before: 2 },
      { kind: "added", text: "B", after: 2 },
      { kind: "same", text: "c", before: 3, after: 3 },
    ]);
    expect(diffText({ retries: 3 })).toBe('{\n  "retries": 3\n}\n');
    expect(diffText(undefined)).toBe("");
  });
});

describe("embedded languages", () => {
  const keywords = (doc: string) => {
    const state = EditorState.create({ doc, extensions: [dagYaml()] });
    const tree = ensureSyntaxTree(state, doc.length, 5000)!;
    const found: string[] = [];
    highlightTree(tree, classHighlighter, (from, to, classes) => {
      if (classes.includes("tok-keyword")) found.push(doc.slice(from, to));
    });
    return found;
  };
  const task = (operator: string, field: string, code: string) =>
    [
      "tasks:",
      "  - id: t",
      `    operator: ${operator}`,
      "    config:",
      `      ${field}: |`,
      ...code.split("\n").map((l) => `        ${l}`),
    ].join("\n");

  it("highlights a python task's source as Python, a code task's as JavaScript, SQL as SQL", () => {
    expect(keywords(task("python", "source", "def f(x):\n    return x"))).toEqual(["def", "return"]);
    expect(keywords(task("code", "source", "const x = 1;\nreturn x;"))).toEqual(["const", "return"]);
    expect(keywords(task("sql", "statement", "select 1\nfrom t"))).toEqual(["select", "from"]);
  });

  it("leaves other block scalars as YAML text", () => {
    expect(keywords(task("notify", "message", "def return select"))).toEqual([]);
  });
});
