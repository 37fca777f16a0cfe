import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse as parseYamlLibrary, stringify as stringifyYaml } from "yaml";
import { parseAndValidateDag, parseDagText, toJson, toYaml } from "@/server/dags/serialize";
import { validateDag } from "@/server/dags/validate";
import { loadYamlFast } from "@/server/dags/yaml-fast-path";

const yamlText = `
id: weather
schedule:
  type: cron
  cron: "0 2 * * *"
  timezone: Europe/Paris
tasks:
  - id: fetch_weather
    operator: http
    config:
      url: https://api.example.com/forecast
  - id: transform_weather
    operator: code
    dependsOn: [fetch_weather]
    config:
      source: "return inputs;"
      inputs: { raw: "{{ tasks.fetch_weather.output }}" }
`;

describe("parseDagText", () => {
  it("detects JSON and YAML", () => {
    expect(parseDagText('  {"id": "x", "tasks": []}')).toEqual({
      ok: true,
      format: "json",
      document: { id: "x", tasks: [] },
    });
    const parsed = parseDagText(yamlText);
    expect(parsed.ok && parsed.format).toBe("yaml");
  });

  it("honours an explicit format and strips a byte-order mark", () => {
    expect(parseDagText('\uFEFF{"id": "x"}', "yaml")).toEqual({
      ok: true,
      format: "yaml",
      document: { id: "x" },
    });
    expect(parseDagText("id: x", "json").ok).toBe(false);
  });

  it("reports JSON syntax errors with line and column", () => {
    const cases: Array<[string, string]> = [
      ['{\n  "id": "x",\n  "tasks": ]\n}', 'line 3, column 12: unexpected "]"'],
      ['{"id": "x",}', 'line 1, column 12: unexpected "}"'],
      ['{"id": "x"', "line 1, column 11: unexpected end of the document"],
      ['{"id": "x"} trailing', 'line 1, column 13: unexpected "t"'],
      ['{"id": "a\u0001"}', "line 1, column 10: unexpected"],
    ];
    for (const [text, message] of cases) {
      const result = parseDagText(text);
      expect(result.ok, text).toBe(false);
      if (!result.ok) {
        expect(result.problems, text).toHaveLength(1);
        expect(result.problems[0]!.path).toBe("");
        expect(result.problems[0]!.message, text).toContain(`JSON syntax error at ${message}`);
      }
    }
  });

  it("reports YAML syntax errors with line and column, duplicate keys and multiple documents included", () => {
    const cases: Array<[string, RegExp]> = [
      ["id: x\ntasks: [a, b\n", /^YAML syntax error at line 3, column 1: /],
      ["id: x\nid: y\n", /^YAML syntax error at line 2, column 1: Map keys must be unique/],
      ["id: x\n---\nid: y\n", /^YAML syntax error at line 2, column 1: Source contains multiple documents/],
    ];
    for (const [text, message] of cases) {
      const result = parseDagText(text);
      expect(result.ok, text).toBe(false);
      if (!result.ok) expect(result.problems[0]!.message, text).toMatch(message);
    }
  });

  it("refuses empty documents and alias bombs", () => {
    expect(parseDagText("   \n")).toMatchObject({
      ok: false,
      problems: [{ path: "", message: "the document is empty" }],
    });
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
      .concat(
        Array.from(
          { length: 9 },
          (_, i) =>
            `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
              .fill(`*${String.fromCharCode(97 + i)}`)
              .join(", ")}]`,
        ),
      )
      .join("\n");
    const result = parseDagText(bomb);
    expect(result.ok).toBe(false);
  });

  it("never throws", () => {
    for (const text of [
      "{",
      "[",
      "}",
      ":",
      "- - -",
      "\u0000",
      "{{ x }}",
      "a: !!binary x",
      '"unterminated',
      "[".repeat(100_000),
    ]) {
      expect(() => parseDagText(text), text).not.toThrow();
    }
  });
});

describe("parseAndValidateDag", () => {
  it("parses and validates in one step", () => {
    const result = parseAndValidateDag(yamlText);
    expect(result.ok).toBe(true);
    expect(result.format).toBe("yaml");
  });

  it("passes on validation problems and options", () => {
    const result = parseAndValidateDag(
      yamlText.replace("https://api.example.com/forecast", "https://{{ vars.host }}/"),
      {
        knownVariables: new Set(),
      },
    );
    expect(result.ok ? [] : result.problems).toEqual([
      { path: "tasks[0].config.url", message: '{{ vars.host }}: unknown variable "host"' },
    ]);
  });
});

describe("toYaml and toJson", () => {
  it("round-trip a validated DAG exactly", () => {
    const result = parseAndValidateDag(yamlText);
    if (!result.ok) throw new Error("invalid");
    for (const text of [toYaml(result.dag), toJson(result.dag)]) {
      const again = parseAndValidateDag(text);
      expect(again.ok && again.dag).toEqual(result.dag);
    }
  });

  it("writes templates and tricky strings so they read back unchanged", () => {
    const result = validateDag({
      id: "tricky",
      description: "yes\nno: maybe\n  indented # not a comment",
      tags: ["on", "null", "0123", "1e3", "-", "~", " padded ", "@daily", "*", "#x", "a: b"],
      params: { x: { type: "string" } },
      tasks: [
        { id: "t", operator: "test", config: { output: { s: "{{ params.x | default('y') }}", n: null } } },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(parseDagText(toYaml(result.dag))).toEqual({ ok: true, format: "yaml", document: result.dag });
  });

  it("does not write anchors for shared objects", () => {
    const result = validateDag({ id: "shared", tasks: [{ id: "a", operator: "noop", dependsOn: [] }] });
    if (!result.ok) throw new Error("invalid");
    const tags = ["x"];
    const yaml = toYaml({ ...result.dag, tags, tasks: [{ ...result.dag.tasks[0]!, dependsOn: tags }] });
    expect(yaml).not.toMatch(/[&*]a\d/);
  });
});

describe("the YAML fast path", () => {
  /** What the `yaml` library reads: the reference the fast path must equal. */
  const reference = (text: string) => parseYamlLibrary(text, { uniqueKeys: true, logLevel: "error" });

  const scalars = [
    "~",
    "null",
    "Null",
    "NULL",
    "",
    "true",
    "True",
    "TRUE",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "0",
    "-0",
    "+12",
    "012",
    "0o17",
    "0o8",
    "0x1F",
    "0x",
    "-0x1",
    "0b101",
    "1_000",
    "12345678901234567890",
    "1.5",
    "1.50",
    "-.5",
    ".5",
    "+.5",
    "1.",
    "1e3",
    "1.2E-3",
    ".inf",
    "-.Inf",
    "+.INF",
    ".nan",
    ".NaN",
    "2025-01-31",
    "2025-01-31T06:00:00Z",
    "12:30",
    "1:2:3",
    "0.1.2",
    "=",
    "<<",
    "!",
    "a: b",
    "#x",
  ];

  it.each(scalars)("reads the plain scalar %j as the yaml library does", (scalar) => {
    const text = `value: ${scalar}\nlist: [${scalar || "''"}]\nkey${scalar}: 1\n`;
    let expected: unknown;
    try {
      expected = reference(text);
    } catch {
      return; // not YAML at all: the library reports it
    }
    const fast = loadYamlFast(text);
    if (fast) expect(fast.document).toEqual(expected);
  });

  it("reads generated documents as the yaml library does, and leaves anchors and odd keys to it", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = stringifyYaml({ value }, { aliasDuplicateObjects: false, lineWidth: 0 });
        const fast = loadYamlFast(text);
        if (fast) expect(fast.document).toEqual(reference(text));
      }),
      { numRuns: 500 },
    );
    expect(loadYamlFast("a: &x [1]\nb: *x\n")).toBeUndefined();
    expect(loadYamlFast("~: 1\n")).toBeUndefined();
    expect(loadYamlFast("[a]: 1\n")).toBeUndefined();
    expect(loadYamlFast("a: 1\na: 2\n")).toBeUndefined();
    expect(loadYamlFast("a: !!timestamp 2025-01-01\n")).toBeUndefined();
    expect(loadYamlFast("id: x\ntasks:\n  - id: a\n    operator: noop\n")).toEqual({
      document: { id: "x", tasks: [{ id: "a", operator: "noop" }] },
    });
  });
});
