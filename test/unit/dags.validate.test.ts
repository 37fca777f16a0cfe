import { describe, expect, it } from "vitest";
import {
  cronProblem,
  type DagDefinition,
  paramsValidator,
  resolveTaskSettings,
  retryDelaySeconds,
  timeZoneProblem,
} from "@/server/dags/definition";
import { dagJsonSchema } from "@/server/dags/json-schema";
import { formatPath, type Problem, validateDag } from "@/server/dags/validate";

/** The seed pipeline: fetch_weather → transform_weather → load_to_db. */
function weather(): Record<string, unknown> & { tasks: Array<Record<string, unknown>> } {
  return {
    id: "weather",
    schedule: { type: "cron", cron: "0 2 * * *", timezone: "Europe/Paris" },
    params: { city: { type: "string", default: "Paris" } },
    defaults: { retries: 2 },
    tasks: [
      {
        id: "fetch_weather",
        operator: "http",
        retries: 4,
        config: { url: "https://api.example.com/forecast?city={{ params.city | urlencode }}" },
      },
      {
        id: "transform_weather",
        operator: "code",
        dependsOn: ["fetch_weather"],
        config: { source: "return inputs.raw.daily;", inputs: { raw: "{{ tasks.fetch_weather.output }}" } },
      },
      {
        id: "load_to_db",
        operator: "sql",
        dependsOn: ["transform_weather"],
        config: {
          connection: "warehouse",
          statement: "insert into forecast select * from json_populate_recordset(null::forecast, $1)",
          parameters: ["{{ tasks.transform_weather.output | json }}"],
        },
      },
    ],
  };
}

/** A branch rule as written in a document: `then` holds task ids, so it is never a thenable. */
function rule(when: string, then: string[], test: Record<string, unknown> = {}) {
  return { when, ...test, then };
}

function problemsOf(input: unknown, options?: Parameters<typeof validateDag>[1]): Problem[] {
  const result = validateDag(input, options);
  return result.ok ? [] : result.problems;
}

function valid(input: unknown): DagDefinition {
  const result = validateDag(input);
  if (!result.ok) throw new Error(`expected a valid DAG: ${JSON.stringify(result.problems)}`);
  return result.dag;
}

describe("validateDag: a valid document", () => {
  it("accepts the seed pipeline and fills defaults, operator configs included", () => {
    const dag = valid(weather());
    expect(dag.catchup).toBe(false);
    expect(dag.maxActiveRuns).toBe(16);
    expect(dag.defaults).toEqual({
      retries: 2,
      retryDelaySeconds: 60,
      retryExponentialBackoff: false,
      maxRetryDelaySeconds: 3600,
      priorityWeight: 1,
      pool: "default",
    });
    const [fetch, transform] = dag.tasks;
    expect(fetch!.triggerRule).toBe("all_success");
    expect(fetch!.dependsOn).toEqual([]);
    expect(fetch!.config).toMatchObject({
      method: "GET",
      timeoutSeconds: 30,
      responseType: "json",
      headers: {},
    });
    expect(transform!.config).toMatchObject({ language: "javascript" });
  });

  it("does not modify its input", () => {
    const input = weather();
    const copy = structuredClone(input);
    valid(input);
    expect(input).toEqual(copy);
  });

  it("accepts manual DAGs, interval schedules and presets", () => {
    expect(problemsOf({ ...weather(), schedule: null })).toEqual([]);
    const { schedule: _, ...manual } = weather();
    expect(problemsOf(manual)).toEqual([]);
    expect(problemsOf({ ...weather(), schedule: { type: "interval", every: "1h30m" } })).toEqual([]);
    expect(problemsOf({ ...weather(), schedule: { type: "cron", cron: "@daily" } })).toEqual([]);
    expect(problemsOf({ ...weather(), schedule: { type: "cron", cron: "*/10 * * * * *" } })).toEqual([]);
  });

  it("accepts an empty task list", () => {
    expect(problemsOf({ id: "empty", tasks: [] })).toEqual([]);
  });
});

describe("validateDag: problems", () => {
  it("reports every problem at once, each with its path", () => {
    const doc = weather();
    doc.id = "Weather";
    doc.schedule = { type: "cron", cron: "61 * * * *", timezone: "Mars/Olympus" };
    doc.tasks[0]!.retries = -1;
    doc.tasks[1]!.dependsOn = ["fetch_wether"];
    doc.tasks[2]!.operator = "sqll";
    doc.tasks.push({ id: "fetch_weather", operator: "noop" });
    const paths = problemsOf(doc).map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "id",
        "schedule.cron",
        "schedule.timezone",
        "tasks[0].retries",
        "tasks[1].dependsOn[0]",
        "tasks[2].operator",
        "tasks[3].id",
      ]),
    );
  });

  it("takes task ids with upper case and dotted parts, up to 128 characters", () => {
    const long = `ID${"0".repeat(126)}`;
    const dag = valid({
      id: "groups",
      tasks: [
        { id: "Extract.List_Files", operator: "noop" },
        { id: "extract._private-2", operator: "noop", dependsOn: ["Extract.List_Files"] },
        {
          id: long,
          operator: "test",
          dependsOn: ["extract._private-2"],
          map: { over: "tasks.Extract.List_Files.output" },
          config: {
            output: "{{ tasks.extract._private-2.output }} {{ tasks['Extract.List_Files'].output }}",
          },
        },
      ],
    });
    expect(dag.tasks.map((t) => t.id)).toEqual(["Extract.List_Files", "extract._private-2", long]);
  });

  it("refuses task ids that are too long or whose parts a template could not read", () => {
    const ids = [`ID${"0".repeat(127)}`, "a..b", "a.1b", "1a", ".a", "a.", "a b", "a/b"];
    const problems = problemsOf({ id: "bad_ids", tasks: ids.map((id) => ({ id, operator: "noop" })) });
    expect(problems.map((p) => p.path)).toEqual(ids.map((_, i) => `tasks[${i}].id`));
    expect(problems[0]!.message).toContain("at most 128 characters");
  });

  it("reads a dotted task id in a template up to the first .output", () => {
    expect(
      problemsOf({
        id: "refs",
        tasks: [
          { id: "g.a", operator: "noop" },
          { id: "b", operator: "test", config: { output: "{{ tasks.g.b.output }}" }, dependsOn: ["g.a"] },
        ],
      }),
    ).toEqual([{ path: "tasks[1].config.output", message: expect.stringContaining('unknown task "g.b"') }]);
  });

  it("reports a duplicate task id on the second occurrence", () => {
    const doc = weather();
    doc.tasks.push({ id: "transform_weather", operator: "noop" });
    expect(problemsOf(doc)).toEqual([
      { path: "tasks[3].id", message: 'duplicate task id "transform_weather" (first used by tasks[1])' },
    ]);
  });

  it("reports an unknown dependency with a suggestion", () => {
    const doc = weather();
    doc.tasks[2]!.dependsOn = ["transform_weather", "fetch_wether"];
    expect(problemsOf(doc)).toContainEqual({
      path: "tasks[2].dependsOn[1]",
      message: 'unknown task "fetch_wether"; did you mean "fetch_weather"?',
    });
  });

  it("reports a dependency listed twice", () => {
    const doc = weather();
    doc.tasks[2]!.dependsOn = ["transform_weather", "transform_weather"];
    expect(problemsOf(doc)).toEqual([
      { path: "tasks[2].dependsOn[1]", message: '"transform_weather" is listed twice' },
    ]);
  });

  it("reports a cycle as the path of task ids, on the dependency that closes it", () => {
    const doc = {
      id: "loop",
      tasks: [
        { id: "a", operator: "noop", dependsOn: ["c"] },
        { id: "b", operator: "noop", dependsOn: ["a"] },
        { id: "c", operator: "noop", dependsOn: ["b"] },
        { id: "d", operator: "noop", dependsOn: ["c"] },
      ],
    };
    expect(problemsOf(doc)).toEqual([{ path: "tasks[0].dependsOn[0]", message: "cycle: a → b → c → a" }]);
  });

  it("reports a self-dependency and each separate cycle", () => {
    const doc = {
      id: "loops",
      tasks: [
        { id: "self", operator: "noop", dependsOn: ["self"] },
        { id: "x", operator: "noop", dependsOn: ["y"] },
        { id: "y", operator: "noop", dependsOn: ["x"] },
      ],
    };
    expect(problemsOf(doc)).toEqual([
      { path: "tasks[0].dependsOn[0]", message: "cycle: self → self" },
      { path: "tasks[1].dependsOn[0]", message: "cycle: x → y → x" },
    ]);
  });

  it("reports every cycle of a tangle, each on the dependency that closes it", () => {
    const doc = {
      id: "tangle",
      tasks: [
        { id: "a", operator: "noop", dependsOn: ["c"] },
        { id: "b", operator: "noop", dependsOn: ["a", "d"] },
        { id: "c", operator: "noop", dependsOn: ["b", "c"] },
        { id: "d", operator: "noop", dependsOn: ["b"] },
      ],
    };
    expect(problemsOf(doc)).toEqual([
      { path: "tasks[0].dependsOn[0]", message: "cycle: a → b → c → a" },
      { path: "tasks[1].dependsOn[1]", message: "cycle: b → d → b" },
      { path: "tasks[2].dependsOn[1]", message: "cycle: c → c" },
    ]);
  });

  it("lists the first 100 cycles and says that there are more", () => {
    const tasks = Array.from({ length: 150 }, (_, i) => ({
      id: `t${i}`,
      operator: "noop",
      dependsOn: [`t${i}`],
    }));
    const problems = problemsOf({ id: "loops", tasks });
    expect(problems).toHaveLength(101);
    expect(problems[99]).toEqual({ path: "tasks[99].dependsOn[0]", message: "cycle: t99 → t99" });
    expect(problems[100]).toEqual({
      path: "tasks[100].dependsOn[0]",
      message: "more cycles; the first 100 are listed",
    });
  });

  it("handles a 10,000-task chain closed into a cycle without overflowing the stack", () => {
    const n = 10_000;
    const tasks = Array.from({ length: n }, (_, i) => ({
      id: `t${i}`,
      operator: "noop",
      dependsOn: [`t${(i + n - 1) % n}`],
    }));
    const problems = problemsOf({ id: "ring", tasks });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/^cycle: t0 → t1 → .* → t9999 → t0$/);
  });

  it("reports an unknown operator with a suggestion or the list", () => {
    const doc = weather();
    doc.tasks[0]!.operator = "htp";
    doc.tasks[1]!.operator = "ruby";
    const problems = problemsOf(doc);
    expect(problems).toContainEqual({
      path: "tasks[0].operator",
      message: 'unknown operator "htp"; did you mean "http"?',
    });
    expect(problems.find((p) => p.path === "tasks[1].operator")?.message).toMatch(
      /use one of http, sql, code/,
    );
  });

  it("checks config against the operator's schema, with prefixed paths", () => {
    const doc = weather();
    doc.tasks[0]!.config = { url: "https://example.com", methd: "GET", timeoutSeconds: "soon" };
    doc.tasks[2]!.config = { connection: "warehouse" };
    const problems = problemsOf(doc);
    expect(problems).toContainEqual({
      path: "tasks[0].config.methd",
      message: 'unknown field "methd"; did you mean "method"?',
    });
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(["tasks[0].config.timeoutSeconds", "tasks[2].config.statement"]),
    );
    // Checks across fields run once the fields themselves are right.
    doc.tasks[0]!.config = { url: "not a url" };
    expect(problemsOf(doc).map((p) => p.path)).toContain("tasks[0].config.url");
  });

  it("suggests the right name for a misspelt task or document field", () => {
    const doc = weather();
    doc.tasks[1]!.depends_on = doc.tasks[1]!.dependsOn;
    delete doc.tasks[1]!.dependsOn;
    doc.max_active_runs = 3;
    const problems = problemsOf(doc);
    expect(problems).toContainEqual({
      path: "tasks[1].depends_on",
      message: 'unknown field "depends_on"; did you mean "dependsOn"?',
    });
    expect(problems).toContainEqual({
      path: "max_active_runs",
      message: 'unknown field "max_active_runs"; did you mean "maxActiveRuns"?',
    });
  });

  it("reports invalid cron expressions and time zones", () => {
    for (const cron of ["* * *", "61 * * * *", "0 0 30 2 *", "@every 5m", "* * * * * * *", "", "H 2 * * *"]) {
      const problems = problemsOf({ ...weather(), schedule: { type: "cron", cron } });
      expect(
        problems.map((p) => p.path),
        cron,
      ).toEqual(["schedule.cron"]);
    }
    for (const timezone of ["Mars/Olympus", "+2", "+25:00", "GMT+1", ""]) {
      const problems = problemsOf({ ...weather(), schedule: { type: "cron", cron: "0 2 * * *", timezone } });
      expect(
        problems.map((p) => p.path),
        timezone,
      ).toEqual(["schedule.timezone"]);
    }
  });

  it("reports an unknown schedule type and a bad interval", () => {
    expect(problemsOf({ ...weather(), schedule: { type: "weekly" } }).map((p) => p.path)).toEqual([
      "schedule.type",
    ]);
    for (const every of ["15", "15x", "30s", "m15"]) {
      expect(problemsOf({ ...weather(), schedule: { type: "interval", every } }).map((p) => p.path)).toEqual([
        "schedule.every",
      ]);
    }
  });

  it("reports an end date before the start date, and malformed dates", () => {
    expect(problemsOf({ ...weather(), startDate: "2025-02-01", endDate: "2025-01-01" })).toEqual([
      { path: "endDate", message: "must not be before startDate" },
    ]);
    expect(problemsOf({ ...weather(), startDate: "01/02/2025" }).map((p) => p.path)).toEqual(["startDate"]);
    expect(problemsOf({ ...weather(), startDate: "2025-01-01T00:00:00+01:00" })).toEqual([]);
  });

  it("reports param defaults and enum values that do not fit the type", () => {
    const doc = {
      ...weather(),
      params: {
        city: { type: "string", default: "Paris" },
        days: { type: "integer", default: 1.5 },
        mode: { type: "string", enum: ["a", 2], default: "c" },
        "bad name": { type: "string" },
      },
    };
    expect(problemsOf(doc).map((p) => p.path)).toEqual(
      expect.arrayContaining([
        "params.days.default",
        "params.mode.enum[1]",
        "params.mode.default",
        'params["bad name"]',
      ]),
    );
  });
});

describe("validateDag: template references", () => {
  it("reports unknown params, unknown tasks and syntax errors where they are", () => {
    const doc = weather();
    doc.tasks[0]!.config = {
      url: "https://x.example/{{ params.town }}",
      headers: { "X-Trace": "{{ tasks.nope.output }}", Bad: "{{ params.city | shout }}" },
    };
    expect(problemsOf(doc)).toEqual([
      {
        path: "tasks[0].config.url",
        message: '{{ params.town }}: unknown param "town"; declare it under params',
      },
      { path: 'tasks[0].config.headers["X-Trace"]', message: '{{ tasks.nope.output }}: unknown task "nope"' },
      {
        path: "tasks[0].config.headers.Bad",
        message: expect.stringMatching(/^template error at column 1: unknown filter "shout"/),
      },
    ]);
  });

  it("requires a referenced task to be upstream, transitively", () => {
    const doc = weather();
    // load_to_db reads fetch_weather through transform_weather: fine.
    (doc.tasks[2]!.config as { parameters: string[] }).parameters.push("{{ tasks.fetch_weather.output }}");
    expect(problemsOf(doc)).toEqual([]);
    // fetch_weather reads load_to_db, which runs after it.
    doc.tasks[0]!.config = { url: "https://x.example/{{ tasks.load_to_db.output.n }}" };
    expect(problemsOf(doc)).toEqual([
      {
        path: "tasks[0].config.url",
        message:
          '{{ tasks.load_to_db.output.n }}: task "load_to_db" is not upstream of "fetch_weather"; add it to dependsOn',
      },
    ]);
  });

  it("refuses a task reading its own output", () => {
    const doc = weather();
    doc.tasks[0]!.config = { url: "https://x.example/{{ tasks.fetch_weather.output }}" };
    expect(problemsOf(doc)[0]?.message).toMatch(/cannot read its own output/);
  });

  it("refuses prototype paths", () => {
    const doc = weather();
    doc.tasks[0]!.config = { url: "https://x.example/{{ params.city.__proto__ }}" };
    expect(problemsOf(doc)[0]?.message).toMatch(/"__proto__" is not allowed/);
  });

  it("checks variables only when the workspace's are given", () => {
    const doc = weather();
    doc.tasks[0]!.config = { url: "https://{{ vars.host }}/{{ vars.path }}" };
    expect(problemsOf(doc)).toEqual([]);
    expect(problemsOf(doc, { knownVariables: new Set(["host"]) })).toEqual([
      { path: "tasks[0].config.url", message: '{{ vars.path }}: unknown variable "path"' },
    ]);
  });

  it("only checks templated fields, including a task's own additions", () => {
    const doc = weather();
    const sql = doc.tasks[2]!.config as Record<string, unknown>;
    sql.statement = "select '{{ params.nope }}'";
    expect(problemsOf(doc)).toEqual([]);
    doc.tasks[2]!.templated = ["statement"];
    expect(problemsOf(doc).map((p) => p.path)).toEqual(["tasks[2].config.statement"]);
  });

  it("checks templates in callbacks, where every task is visible but task and item are not", () => {
    const doc = weather();
    doc.onFailure = [
      {
        channel: "email",
        to: ["a@example.com"],
        subject: "{{ dag.id }}",
        text: "{{ tasks.load_to_db.output }}",
      },
      { channel: "slack", connection: "alerts", text: "{{ task.id }} {{ item }} {{ tasks.ghost.output }}" },
    ];
    expect(problemsOf(doc).map((p) => p.message)).toEqual([
      "{{ task.id }}: task is not defined in a DAG callback",
      "{{ item }}: item is only defined in a mapped task (set map.over)",
      '{{ tasks.ghost.output }}: unknown task "ghost"',
    ]);
  });
});

describe("validateDag: mapped tasks and branches", () => {
  const mapped = () => ({
    id: "fanout",
    params: { files: { type: "array", default: [] } },
    tasks: [
      { id: "list", operator: "test", config: { output: ["a", "b"] } },
      {
        id: "each",
        operator: "test",
        dependsOn: ["list"],
        map: { over: "tasks.list.output" },
        config: { output: "{{ item }}" },
      },
      { id: "other", operator: "noop" },
    ],
  });

  it("accepts a mapped task over an upstream output or a param", () => {
    expect(problemsOf(mapped())).toEqual([]);
    const doc = mapped();
    doc.tasks[1]!.map = { over: "params.files" };
    expect(problemsOf(doc)).toEqual([]);
  });

  it("reports a map source that is not upstream, unknown, or not a path", () => {
    const cases: Array<[string, RegExp]> = [
      ["tasks.other.output", /task "other" is not upstream of "each"/],
      ["tasks.ghost.output", /unknown task "ghost"/],
      ["params.nope", /unknown param "nope"/],
      ["{{ tasks.list.output }}", /without \{\{ \}\}/],
      ["run.id", /must name an upstream task's output/],
      ["tasks.list", /read a task's output/],
    ];
    for (const [over, message] of cases) {
      const doc = mapped();
      doc.tasks[1]!.map = { over };
      const problems = problemsOf(doc);
      expect(
        problems.map((p) => p.path),
        over,
      ).toEqual(["tasks[1].map.over"]);
      expect(problems[0]!.message, over).toMatch(message);
    }
  });

  it("refuses {{ item }} outside a mapped task", () => {
    const doc = mapped();
    doc.tasks[0]!.config = { output: "{{ item }}" };
    expect(problemsOf(doc)).toEqual([
      {
        path: "tasks[0].config.output",
        message: "{{ item }}: item is only defined in a mapped task (set map.over)",
      },
    ]);
  });

  it("requires branch targets to depend directly on the branch", () => {
    const doc = {
      id: "branchy",
      tasks: [
        {
          id: "choose",
          operator: "branch",
          config: {
            rules: [rule("{{ run.id }}", ["left", "far"], { equals: "x" })],
            default: ["ghost"],
          },
        },
        { id: "left", operator: "noop", dependsOn: ["choose"] },
        { id: "far", operator: "noop", dependsOn: ["left"] },
      ],
    };
    expect(problemsOf(doc)).toEqual([
      {
        path: "tasks[0].config.rules[0].then[1]",
        message: 'task "far" does not depend on "choose"; a branch chooses among its direct downstream tasks',
      },
      { path: "tasks[0].config.default[0]", message: 'unknown task "ghost"' },
    ]);
  });
});

describe("validateDag never throws", () => {
  const oddInputs: unknown[] = [
    undefined,
    null,
    0,
    "dag",
    [],
    [weather()],
    { tasks: "all of them" },
    { id: "x", tasks: [null, 1, "t", [], { id: 5 }, { id: "ok", operator: 7, dependsOn: "a" }] },
    { id: "x", tasks: [{ id: "a", operator: "http", config: [] }] },
    { id: "x", tasks: [{ id: "a", operator: "http", config: { url: { "{{": 1 } } }] },
    { id: "x", tasks: [{ id: "a", operator: "noop", dependsOn: [null, 3, {}] }], params: [] },
    { id: "x", tasks: [], schedule: { type: "cron", cron: 5, timezone: null } },
    Object.create(null),
    new Proxy(
      {},
      {
        get() {
          throw new Error("trap");
        },
      },
    ),
  ];

  it.each(oddInputs.map((input, i) => [i, input]))("odd input #%i gives problems", (_, input) => {
    const result = validateDag(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.length).toBeGreaterThan(0);
  });

  it("survives a cyclic object in a config", () => {
    const config: Record<string, unknown> = { url: "https://example.com", json: {} };
    (config.json as Record<string, unknown>).self = config.json;
    const doc = { id: "x", tasks: [{ id: "a", operator: "http", config }] };
    expect(() => validateDag(doc)).not.toThrow();
  });
});

describe("schema helpers", () => {
  it("formats paths", () => {
    expect(formatPath([])).toBe("");
    expect(formatPath(["tasks", 2, "dependsOn", 0])).toBe("tasks[2].dependsOn[0]");
    expect(formatPath(["tasks", 0, "config", "headers", "Content-Type"])).toBe(
      'tasks[0].config.headers["Content-Type"]',
    );
    expect(formatPath(["params", "0"])).toBe('params["0"]');
  });

  it("explains cron and time zone problems", () => {
    expect(cronProblem("0 2 * * *")).toBeUndefined();
    expect(cronProblem("0 9 * JAN,MAR THU")).toBeUndefined();
    expect(cronProblem("H/15 * * * *")).toMatch(/hashed/);
    expect(cronProblem("0 2 * *")).toMatch(/4 field/);
    expect(timeZoneProblem("Europe/Paris")).toBeUndefined();
    expect(timeZoneProblem("UTC")).toBeUndefined();
    expect(timeZoneProblem("Europe/Pariss")).toMatch(/unknown time zone/);
    expect(timeZoneProblem("+05:30")).toBeUndefined();
    expect(timeZoneProblem("-03:00")).toBeUndefined();
  });

  it("merges task settings over the DAG's defaults", () => {
    const dag = valid(weather());
    expect(resolveTaskSettings(dag, dag.tasks[0]!)).toEqual({
      retries: 4,
      retryDelaySeconds: 60,
      retryExponentialBackoff: false,
      maxRetryDelaySeconds: 3600,
      timeoutSeconds: undefined,
      priorityWeight: 1,
      pool: "default",
    });
    expect(resolveTaskSettings(dag, dag.tasks[1]!).retries).toBe(2);
  });

  it("computes retry delays with exponential backoff capped at the maximum", () => {
    const settings = {
      retries: 5,
      retryDelaySeconds: 10,
      retryExponentialBackoff: true,
      maxRetryDelaySeconds: 60,
      timeoutSeconds: undefined,
      priorityWeight: 1,
      pool: "default",
    };
    expect([1, 2, 3, 4, 5].map((n) => retryDelaySeconds(settings, n))).toEqual([10, 20, 40, 60, 60]);
    expect(retryDelaySeconds({ ...settings, retryExponentialBackoff: false }, 4)).toBe(10);
  });

  it("validates run params with defaults applied", () => {
    const dag = valid({
      id: "p",
      params: {
        region: { type: "string", enum: ["eu", "us"], default: "eu" },
        days: { type: "integer", default: 7 },
        tags: { type: "array", default: ["a"] },
        segment: { type: "string", required: true },
        note: { type: "string" },
      },
      tasks: [],
    });
    const validator = paramsValidator(dag);
    expect(validator.parse({ segment: "vip" })).toEqual({
      region: "eu",
      days: 7,
      tags: ["a"],
      segment: "vip",
    });
    expect(validator.safeParse({}).success).toBe(false);
    expect(validator.safeParse({ segment: "vip", region: "asia" }).success).toBe(false);
    expect(validator.safeParse({ segment: "vip", days: 1.5 }).success).toBe(false);
    expect(validator.safeParse({ segment: "vip", typo: 1 }).success).toBe(false);
    // Defaults are copies: a run that changes its params cannot change the next run's.
    const first = validator.parse({ segment: "a" }) as { tags: string[] };
    first.tags.push("mutated");
    expect(validator.parse({ segment: "b" })).toMatchObject({ tags: ["a"] });
  });
});

describe("dagJsonSchema", () => {
  it("describes the document, with one task variant per operator", () => {
    const schema = dagJsonSchema() as {
      required: string[];
      properties: { tasks: { items: { oneOf?: unknown[]; anyOf?: unknown[] } } };
    };
    expect(schema.required).toEqual(expect.arrayContaining(["id", "tasks"]));
    expect(schema.required).not.toContain("catchup");
    const variants = schema.properties.tasks.items.oneOf ?? schema.properties.tasks.items.anyOf;
    expect(variants).toHaveLength(17);
    expect(JSON.stringify(schema)).toContain('"const":"http_sensor"');
  });
});

describe("validateDag: duplicate ids and suggestions", () => {
  it("reports every later use of an id against its first use, in document order", () => {
    const doc = {
      id: "dups",
      tasks: [
        { id: "a", operator: "noop" },
        { id: "b", operator: "noop" },
        { id: "a", operator: "noop" },
        { id: "b", operator: "noop", dependsOn: ["a"] },
        { id: "a", operator: "noop" },
      ],
    };
    expect(problemsOf(doc)).toEqual([
      { path: "tasks[2].id", message: 'duplicate task id "a" (first used by tasks[0])' },
      { path: "tasks[3].id", message: 'duplicate task id "b" (first used by tasks[1])' },
      { path: "tasks[4].id", message: 'duplicate task id "a" (first used by tasks[0])' },
    ]);
  });

  it("suggests, among equally close ids, the one used first in the document", () => {
    const doc = {
      id: "near",
      tasks: [
        { id: "load_b", operator: "noop" },
        { id: "load_a", operator: "noop" },
        { id: "x", operator: "noop", dependsOn: ["load_c"] },
      ],
    };
    expect(problemsOf(doc)).toEqual([
      { path: "tasks[2].dependsOn[0]", message: 'unknown task "load_c"; did you mean "load_b"?' },
    ]);
  });
});
