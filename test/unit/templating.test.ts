import { describe, expect, it } from "vitest";
import {
  collectTemplatedStrings,
  findReferences,
  maskSecrets,
  parseReference,
  renderConfig,
  renderTemplateString,
  resolvePath,
  type TemplateContext,
  TemplateError,
} from "@/server/templating/template";

const context: TemplateContext = {
  params: { city: "Paris", days: 7, filters: { min: 3 }, empty: null, list: ["a", "b"] },
  vars: { host: "api.example.com" },
  secrets: { API_KEY: "s3cr3t" },
  conn: { warehouse: { host: "db.internal", port: 5432 } },
  tasks: {
    fetch: { output: { daily: [{ temp: 21.5, day: "2025-06-01" }], "odd key": true } },
    "list-files": { output: ["a.csv", "b.csv"] },
  },
  run: {
    id: "run_1",
    logical_date: "2025-06-01T02:00:00.000Z",
    data_interval_start: "2025-05-31T02:00:00.000Z",
    data_interval_end: "2025-06-01T02:00:00.000Z",
  },
  dag: { id: "weather" },
  task: { id: "load" },
};

describe("findReferences", () => {
  it("finds every reference with its root, path and text", () => {
    const { refs, errors } = findReferences(
      "{{ params.city }}/{{tasks.fetch.output.daily[0].temp|json}} {{ conn.warehouse.host }} {{ item }}",
    );
    expect(errors).toEqual([]);
    expect(refs).toEqual([
      { root: "params", path: ["city"], raw: "params.city" },
      {
        root: "tasks",
        path: ["fetch", "output", "daily", "0", "temp"],
        raw: "tasks.fetch.output.daily[0].temp|json",
      },
      { root: "conn", path: ["warehouse", "host"], raw: "conn.warehouse.host" },
      { root: "item", path: [], raw: "item" },
    ]);
  });

  it("keeps the expression's text without the spaces around it", () => {
    expect(findReferences("{{  params.city | default( 'x' ) | upper  }}").refs[0]!.raw).toBe(
      "params.city | default( 'x' ) | upper",
    );
  });

  it("reads quoted keys and hyphenated names", () => {
    const { refs } = findReferences(`{{ tasks.list-files.output }} {{ tasks.fetch.output["odd key"] }}`);
    expect(refs.map((r) => r.path)).toEqual([
      ["list-files", "output"],
      ["fetch", "output", "odd key"],
    ]);
  });

  it("reports every error without stopping at the first", () => {
    const { refs, errors } = findReferences(
      "{{ foo.bar }} {{ params.x | nope }} {{ params.ok }} {{ secrets.a.b }} {{ run.when }} {{ tasks.a }} {{ params.x",
    );
    expect(refs.map((r) => r.raw)).toEqual(["params.ok"]);
    expect(errors).toEqual([
      expect.stringMatching(/^column 1: unknown root "foo"/),
      expect.stringMatching(/^column 15: unknown filter "nope"/),
      expect.stringMatching(/^column 53: a secret is read whole/),
      expect.stringMatching(/^column 71: run has the fields id, logical_date/),
      expect.stringMatching(/^column 86: read a task's output/),
      expect.stringMatching(/^column 100: missing }}/),
    ]);
  });

  it("refuses prototype segments in any position and form", () => {
    for (const text of [
      "{{ params.__proto__ }}",
      "{{ params.x.constructor }}",
      "{{ item.prototype }}",
      '{{ params["__proto__"] }}',
      "{{ tasks.a.output.constructor.prototype }}",
    ]) {
      const { refs, errors } = findReferences(text);
      expect(refs, text).toEqual([]);
      expect(errors[0], text).toMatch(/is not allowed in a path/);
    }
  });

  it("treats \\{{ as a literal", () => {
    expect(findReferences("\\{{ not.a.template }}")).toEqual({ refs: [], errors: [] });
    expect(renderTemplateString("\\{{ x }} {{ params.city }}", context)).toBe("{{ x }} Paris");
  });
});

describe("renderTemplateString", () => {
  it("returns the raw value when the string is exactly one expression", () => {
    expect(renderTemplateString("{{ tasks.fetch.output }}", context)).toBe(context.tasks!.fetch!.output);
    expect(renderTemplateString("{{ params.days }}", context)).toBe(7);
    expect(renderTemplateString("{{ tasks.fetch.output.daily[0] }}", context)).toEqual({
      temp: 21.5,
      day: "2025-06-01",
    });
  });

  it("interpolates into text: JSON for structures, nothing for null", () => {
    expect(renderTemplateString("https://{{ vars.host }}/v1?days={{ params.days }}", context)).toBe(
      "https://api.example.com/v1?days=7",
    );
    expect(renderTemplateString("f={{ params.filters }} e=[{{ params.empty }}]", context)).toBe(
      'f={"min":3} e=[]',
    );
  });

  it("leaves strings without templates alone", () => {
    expect(renderTemplateString("plain } text {", context)).toBe("plain } text {");
  });

  it("reads run, dag, task, secrets and connections", () => {
    expect(
      renderTemplateString(
        "{{ dag.id }}/{{ task.id }}/{{ run.id }}/{{ run.data_interval_end }}/{{ conn.warehouse.port }}/{{ secrets.API_KEY }}",
        context,
      ),
    ).toBe("weather/load/run_1/2025-06-01T02:00:00.000Z/5432/s3cr3t");
  });

  it("applies filters left to right", () => {
    expect(renderTemplateString("{{ params.city | upper }}", context)).toBe("PARIS");
    expect(renderTemplateString("{{ params.city | lower }}", context)).toBe("paris");
    expect(renderTemplateString("{{ params.list | json }}", context)).toBe('["a","b"]');
    expect(renderTemplateString("{{ params.missing | default('x') | upper }}", context)).toBe("X");
    expect(renderTemplateString("{{ params.empty | default(0) }}", context)).toBe(0);
    expect(renderTemplateString('{{ params.missing | default("a \\"q\\"") }}', context)).toBe('a "q"');
    expect(renderTemplateString("{{ params.city | default('x') }}", context)).toBe("Paris");
    expect(
      renderTemplateString(
        "q={{ vars.host | urlencode }}&c={{ params.filters | json | urlencode }}",
        context,
      ),
    ).toBe("q=api.example.com&c=%7B%22min%22%3A3%7D");
    expect(renderTemplateString("{{ run.logical_date | date }}", context)).toBe("2025-06-01");
    expect(renderTemplateString("{{ run.logical_date | date('YYYYMMDD-HH:mm:ss') }}", context)).toBe(
      "20250601-02:00:00",
    );
    expect(renderTemplateString("{{ params.days | date('YYYY') }}", context)).toBe("1970");
  });

  it("fails on undefined values, missing roots and bad dates", () => {
    expect(() => renderTemplateString("{{ params.missing }}", context)).toThrow(TemplateError);
    expect(() => renderTemplateString("x{{ tasks.fetch.output.daily[5].temp }}", context)).toThrow(
      /is undefined/,
    );
    expect(() => renderTemplateString("{{ item }}", context)).toThrow(/"item" is not available here/);
    expect(() => renderTemplateString("{{ params.city | date }}", context)).toThrow(/is not a date/);
    expect(() => renderTemplateString("{{ params.city | nope }}", context)).toThrow(/unknown filter/);
  });

  it("renders items of mapped tasks, including falsy ones", () => {
    expect(renderTemplateString("{{ item }}", { item: 0 })).toBe(0);
    expect(renderTemplateString("{{ item.name }}-{{ item.n }}", { item: { name: "a", n: 1 } })).toBe("a-1");
  });

  it("never reaches inherited properties", () => {
    const ctx: TemplateContext = { params: { list: [1, 2], text: "abc" } };
    expect(() => renderTemplateString("{{ params.toString }}", ctx)).toThrow(/undefined/);
    expect(() => renderTemplateString("{{ params.list.length }}", ctx)).toThrow(/undefined/);
    expect(() => renderTemplateString("{{ params.text.length }}", ctx)).toThrow(/undefined/);
    expect(() => renderTemplateString("{{ params.hasOwnProperty }}", ctx)).toThrow(/undefined/);
  });

  it("does not evaluate templates found inside values", () => {
    const ctx: TemplateContext = { params: { evil: "{{ secrets.API_KEY }}" }, secrets: { API_KEY: "k" } };
    expect(renderTemplateString("x={{ params.evil }}", ctx)).toBe("x={{ secrets.API_KEY }}");
    expect(renderConfig({ a: "{{ params.evil }}" }, ["a", "a"], ctx)).toEqual({ a: "{{ secrets.API_KEY }}" });
  });
});

describe("renderConfig", () => {
  const config = {
    url: "https://{{ vars.host }}/x",
    headers: { Authorization: "Bearer {{ secrets.API_KEY }}", Accept: "application/json" },
    json: "{{ tasks.fetch.output }}",
    rules: [
      { when: "{{ params.city }}", targets: ["{{ not.rendered }}"] },
      { when: "{{ params.days }}", targets: [] },
    ],
    statement: "select '{{ params.city }}'",
    nested: { deep: [{ list: ["{{ params.city }}", "{{ params.days }}"] }] },
  };

  it("renders only the listed fields, walking objects and arrays", () => {
    const rendered = renderConfig(
      config,
      ["url", "headers", "json", "rules.when", "nested.deep.list"],
      context,
    );
    expect(rendered).toEqual({
      url: "https://api.example.com/x",
      headers: { Authorization: "Bearer s3cr3t", Accept: "application/json" },
      json: context.tasks!.fetch!.output,
      rules: [
        { when: "Paris", targets: ["{{ not.rendered }}"] },
        { when: 7, targets: [] },
      ],
      statement: "select '{{ params.city }}'",
      nested: { deep: [{ list: ["Paris", 7] }] },
    });
  });

  it("supports explicit indexes and ignores paths that are absent", () => {
    const rendered = renderConfig(config, ["rules.1.when", "missing.field", "rules.9.when"], context);
    expect(rendered.rules).toEqual([
      { when: "{{ params.city }}", targets: ["{{ not.rendered }}"] },
      { when: 7, targets: [] },
    ]);
  });

  it("does not mutate its input", () => {
    const copy = structuredClone(config);
    renderConfig(config, ["url", "headers", "rules.when"], context);
    expect(config).toEqual(copy);
  });

  it("collects templated strings with their paths for validation", () => {
    expect(collectTemplatedStrings(config, ["headers", "rules.when", "nested", "statement.x"])).toEqual([
      { path: ["headers", "Authorization"], text: "Bearer {{ secrets.API_KEY }}" },
      { path: ["rules", 0, "when"], text: "{{ params.city }}" },
      { path: ["rules", 1, "when"], text: "{{ params.days }}" },
      { path: ["nested", "deep", 0, "list", 0], text: "{{ params.city }}" },
      { path: ["nested", "deep", 0, "list", 1], text: "{{ params.days }}" },
    ]);
  });
});

describe("paths and masking", () => {
  it("parses and resolves bare paths", () => {
    expect(parseReference("tasks.list-files.output")).toEqual({
      ref: { root: "tasks", path: ["list-files", "output"], raw: "tasks.list-files.output" },
    });
    expect(parseReference("tasks.x.output | json")).toEqual({ error: "filters are not allowed here" });
    expect(parseReference("tasks.x.output extra")).toEqual({ error: 'unexpected "e"' });
    expect(resolvePath("tasks.list-files.output", context)).toEqual(["a.csv", "b.csv"]);
    expect(() => resolvePath("params.nope", context)).toThrow(TemplateError);
  });

  it("masks secrets, longest first, raw and JSON-escaped", () => {
    expect(maskSecrets("token=abc123 and abc", ["abc", "abc123"])).toBe("token=*** and ***");
    expect(maskSecrets('{"p":"a\\"b"} a"b', ['a"b'])).toBe('{"p":"***"} ***');
    expect(maskSecrets("x.y+z (1)", ["y+z", "(1)", ""])).toBe("x.*** ***");
    expect(maskSecrets("nothing", [])).toBe("nothing");
  });
});

describe("date filters", () => {
  const at = (logical: string) => ({ run: { logical_date: logical } });
  const render = (text: string, logical = "2025-03-30T00:30:00.000Z") =>
    renderTemplateString(text, at(logical));

  it("formats and shifts dates as Airflow's ds, ds_nodash and ds_add do", () => {
    expect(render("{{ run.logical_date | date }}")).toBe("2025-03-30");
    expect(render('{{ run.logical_date | date("YYYYMMDD") }}')).toBe("20250330");
    expect(render("{{ run.logical_date | add_days(-1) | date }}")).toBe("2025-03-29");
    expect(render("{{ run.logical_date | add_days(3) }}")).toBe("2025-04-02T00:30:00.000Z");
  });

  it("reads the date in a time zone, across its clock change", () => {
    // 00:30 UTC is 01:30 in Paris on the day clocks go forward (02:00 → 03:00).
    expect(render('{{ run.logical_date | date("YYYY-MM-DD HH:mm", "Europe/Paris") }}')).toBe(
      "2025-03-30 01:30",
    );
    // A calendar day later is 01:30 CEST, 23 hours later.
    expect(render('{{ run.logical_date | add_days(1, "Europe/Paris") }}')).toBe("2025-03-30T23:30:00.000Z");
    expect(render('{{ run.logical_date | start_of("day", "Europe/Paris") }}')).toBe(
      "2025-03-29T23:00:00.000Z",
    );
    expect(render('{{ run.logical_date | end_of("day", "Europe/Paris") }}')).toBe("2025-03-30T21:59:59.999Z");
  });

  it("finds the start and end of weeks (from Monday), months and years", () => {
    expect(render('{{ run.logical_date | start_of("week") | date }}')).toBe("2025-03-24");
    expect(render('{{ run.logical_date | end_of("week") }}')).toBe("2025-03-30T23:59:59.999Z");
    expect(render('{{ run.logical_date | start_of("month") }}')).toBe("2025-03-01T00:00:00.000Z");
    expect(render('{{ run.logical_date | end_of("month") | date }}')).toBe("2025-03-31");
    expect(render('{{ run.logical_date | start_of("year") | date }}', "2024-02-29T12:00:00Z")).toBe(
      "2024-01-01",
    );
    expect(render('{{ run.logical_date | end_of("month") | date }}', "2024-02-10T12:00:00Z")).toBe(
      "2024-02-29",
    );
  });

  it("default to the zone of the context's DAG, and a zone given wins", () => {
    const inParis = { ...at("2025-03-30T22:30:00.000Z"), dag: { id: "d", timezone: "Europe/Paris" } };
    expect(renderTemplateString("{{ run.logical_date | date }}", inParis)).toBe("2025-03-31");
    expect(renderTemplateString('{{ run.logical_date | start_of("day") }}', inParis)).toBe(
      "2025-03-30T22:00:00.000Z",
    );
    expect(renderTemplateString('{{ run.logical_date | date("YYYY-MM-DD", "UTC") }}', inParis)).toBe(
      "2025-03-30",
    );
  });

  it("refuses bad arguments with the expression named", () => {
    expect(() => render("{{ run.logical_date | add_days(1.5) }}")).toThrow(/add_days takes a whole number/);
    expect(() => render('{{ run.logical_date | start_of("fortnight") }}')).toThrow(/"day", "week"/);
    expect(() => render('{{ run.logical_date | date("YYYY", "Mars/Base") }}')).toThrow(/Mars\/Base/);
    expect(() => render("{{ run.logical_date | add_days }}")).toThrow(/takes 1 to 2 argument/);
  });
});
