import { describe, expect, it } from "vitest";
import { listOperators, operatorCatalog } from "@/server/operators/catalog";
import { operatorIconNames } from "@/server/operators/icons";

const names = [
  "noop",
  "sleep",
  "test",
  "http",
  "sql",
  "code",
  "python",
  "branch",
  "trigger_dag",
  "approval",
  "notify",
  "http_sensor",
  "sql_sensor",
  "time_sensor",
  "external_run_sensor",
  "shell",
  "python_script",
];

/** A branch rule as written in a document: `then` holds task ids, so it is never a thenable. */
function rule(when: string, then: string[], test: Record<string, unknown> = {}) {
  return { when, ...test, then };
}

function configProblems(operator: string, config: unknown): string[] {
  const result = operatorCatalog.get(operator)!.configSchema.safeParse(config);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

function parsed(operator: string, config: unknown): Record<string, unknown> {
  return operatorCatalog.get(operator)!.configSchema.parse(config) as Record<string, unknown>;
}

describe("operator catalog", () => {
  it("has every operator, under its own name", () => {
    expect([...operatorCatalog.keys()].sort()).toEqual([...names].sort());
    for (const [name, operator] of operatorCatalog) expect(operator.name).toBe(name);
  });

  it.each(names)("%s is described for the palette and its defaults pass its schema", (name) => {
    const operator = operatorCatalog.get(name)!;
    expect(operator.title).not.toBe("");
    expect(operator.description).not.toBe("");
    expect(operatorIconNames).toContain(operator.icon);
    expect(operator.docs.length).toBeGreaterThan(80);
    expect(configProblems(name, operator.defaults ?? {})).toEqual([]);
  });

  it.each(names)("%s templates and connects only fields its schema has", (name) => {
    const operator = operatorCatalog.get(name)!;
    const schema = JSON.stringify(listOperators().find((o) => o.name === name)!.configJsonSchema);
    for (const field of [...operator.templatedFields, ...Object.keys(operator.connectionFields ?? {})]) {
      for (const segment of field.split(".")) expect(schema, field).toContain(`"${segment}":`);
    }
  });

  it("lists operators as plain data with JSON Schemas", () => {
    const list = listOperators();
    expect(list.map((o) => o.name)).toHaveLength(names.length);
    const http = list.find((o) => o.name === "http")!;
    expect(JSON.parse(JSON.stringify(http))).toEqual(http);
    expect(http.configJsonSchema).toMatchObject({
      type: "object",
      required: ["url"],
      additionalProperties: false,
    });
    expect(http.connectionFields).toEqual({ connection: ["http"] });
  });
});

describe("operator configs", () => {
  it("noop takes nothing", () => {
    expect(configProblems("noop", {})).toEqual([]);
    expect(configProblems("noop", { x: 1 })).toHaveLength(1);
  });

  it("sleep needs a bounded number of seconds", () => {
    expect(configProblems("sleep", { seconds: 1.5 })).toEqual([]);
    expect(configProblems("sleep", {})).toHaveLength(1);
    expect(configProblems("sleep", { seconds: -1 })).toHaveLength(1);
  });

  it("test has deterministic defaults", () => {
    expect(parsed("test", {})).toEqual({ outcome: "success", failTimes: 0, durationMs: 0 });
    expect(configProblems("test", { outcome: "maybe" })).toHaveLength(1);
  });

  it("http checks its URL unless templated or relative to a connection", () => {
    expect(parsed("http", { url: "https://example.com" })).toEqual({
      method: "GET",
      url: "https://example.com",
      headers: {},
      query: {},
      timeoutSeconds: 30,
      responseType: "json",
    });
    expect(configProblems("http", { url: "{{ vars.base }}/x" })).toEqual([]);
    expect(configProblems("http", { url: "/v1/x", connection: "api" })).toEqual([]);
    expect(configProblems("http", { url: "/v1/x" })).toEqual([
      "url: must be an absolute http(s) URL, or a path when a connection is given",
    ]);
    expect(configProblems("http", { url: "file:///etc/passwd" })).toHaveLength(1);
    expect(configProblems("http", { url: "https://x.example", json: {}, text: "" })).toEqual([
      "text: set json or text, not both",
    ]);
    expect(
      configProblems("http", { url: "https://x.example", method: "TRACE", expectedStatus: [99] }),
    ).toHaveLength(2);
  });

  it("sql needs a connection and a statement", () => {
    expect(parsed("sql", { connection: "db", statement: "select 1" })).toMatchObject({
      parameters: [],
      maxRows: 1000,
    });
    expect(configProblems("sql", { statement: "select 1" })).toHaveLength(1);
    expect(configProblems("sql", { connection: "bad name", statement: "select 1" })).toHaveLength(1);
  });

  it("python needs source; its limits are bounded", () => {
    expect(configProblems("python", { source: "result = 1" })).toEqual([]);
    expect(parsed("python", { source: "result = 1" })).toMatchObject({
      inputs: {},
      fetch: false,
      limits: { cpuMs: 5000, memoryMiB: 64, recursionLimit: 1000 },
    });
    expect(configProblems("python", {})).toHaveLength(1);
    expect(configProblems("python", { source: "x", limits: { cpuMs: 120_000 } })).toHaveLength(1);
    expect(configProblems("python", { source: "x", limits: { recursionLimit: 10 } })).toHaveLength(1);
    expect(configProblems("python", { source: "x", language: "python" })).toHaveLength(1);
  });

  it("code needs source in a known language", () => {
    expect(configProblems("code", { source: "return 1;" })).toEqual([]);
    expect(configProblems("code", { source: "print(1)", language: "python" })).toHaveLength(1);
  });

  it("branch takes rules, a fixed default, or an expression", () => {
    expect(configProblems("branch", { rules: [rule("{{ params.x }}", ["a"])], default: ["b"] })).toEqual([]);
    expect(configProblems("branch", { expression: "return 'a';" })).toEqual([]);
    // A fixed choice: no rules (or none), only the tasks to follow.
    expect(configProblems("branch", { default: ["a", "b"] })).toEqual([]);
    expect(configProblems("branch", { rules: [], default: ["a"] })).toEqual([]);
    expect(configProblems("branch", {})).toEqual([
      ": set rules (with an optional default), default alone (a fixed choice), or expression",
    ]);
    expect(configProblems("branch", { expression: "x", rules: [rule("x", ["a"])] })).toHaveLength(1);
    expect(configProblems("branch", { expression: "x", default: ["a"] })).toEqual([
      "default: default goes with rules, not expression",
    ]);
    expect(configProblems("branch", { rules: [rule("x", ["a"], { equals: 1, in: [1] })] })).toEqual([
      "rules.0.in: use one of equals, in, not both",
    ]);
    expect(configProblems("branch", { rules: [rule("x", [])] })).toHaveLength(1);
  });

  it("trigger_dag names a DAG by id", () => {
    expect(parsed("trigger_dag", { dagId: "other" })).toEqual({
      dagId: "other",
      params: {},
      waitForCompletion: false,
      pollSeconds: 30,
    });
    expect(configProblems("trigger_dag", { dagId: "Other DAG" })).toHaveLength(1);
  });

  it("approval defaults to rejecting after a day, answered by an operator", () => {
    expect(parsed("approval", { message: "ok?" })).toEqual({
      message: "ok?",
      timeoutSeconds: 86_400,
      defaultOutcome: "reject",
      approvers: { minRole: "operator", count: 1 },
    });
    expect(configProblems("approval", { message: "ok?", approvers: { minRole: "god" } })).toHaveLength(1);
  });

  it("notify checks the fields of its channel", () => {
    expect(
      configProblems("notify", { channel: "email", to: ["a@example.com"], subject: "s", text: "t" }),
    ).toEqual([]);
    expect(configProblems("notify", { channel: "slack", connection: "alerts", text: "t" })).toEqual([]);
    expect(
      configProblems("notify", { channel: "webhook", url: "https://h.example", hmacSecretName: "KEY" }),
    ).toEqual([]);
    expect(configProblems("notify", { channel: "email", text: "t" })).toEqual([
      "to: Invalid input: expected array, received undefined",
      "subject: Invalid input: expected string, received undefined",
    ]);
    expect(configProblems("notify", { channel: "pigeon" })).toHaveLength(1);
  });

  it("sensors share poke, timeout, backoff and soft-fail settings", () => {
    const sensorDefaults = {
      pokeIntervalSeconds: 60,
      timeoutSeconds: 86_400,
      exponentialBackoff: false,
      softFail: false,
    };
    expect(parsed("http_sensor", { url: "https://example.com/ready" })).toMatchObject({
      ...sensorDefaults,
      expectedStatus: [200],
    });
    expect(parsed("sql_sensor", { connection: "db", statement: "select true" })).toMatchObject(
      sensorDefaults,
    );
    expect(parsed("time_sensor", { forSeconds: 10 })).toMatchObject(sensorDefaults);
    expect(parsed("external_run_sensor", { dagId: "up" })).toMatchObject({
      ...sensorDefaults,
      state: "success",
      logicalDateOffsetSeconds: 0,
    });
    expect(configProblems("http_sensor", { url: "https://x.example", pokeIntervalSeconds: 0 })).toHaveLength(
      1,
    );
  });

  it("time_sensor waits until a time or for a duration", () => {
    expect(configProblems("time_sensor", { until: "2030-01-01T06:00:00Z" })).toEqual([]);
    expect(configProblems("time_sensor", { until: "{{ run.data_interval_end }}" })).toEqual([]);
    expect(configProblems("time_sensor", { until: "tomorrow" })).toEqual([
      "until: must be an ISO date-time with offset, such as 2030-01-01T06:00:00Z",
    ]);
    expect(configProblems("time_sensor", {})).toEqual([": set either until or forSeconds"]);
    expect(configProblems("time_sensor", { until: "2030-01-01T06:00:00Z", forSeconds: 5 })).toHaveLength(1);
  });
});
