// The code operator and branch expressions through real runs: inputs in, console to the task log,
// output out; and sandbox escape and exhaustion attempts, each failing its own attempt while the
// worker goes on serving other tasks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSecret } from "@/server/config/secrets";
import { createVariable } from "@/server/config/variables";
import type { DagDocument } from "@/server/dags/definition";
import { generateKey } from "@/server/secrets/crypto";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { startTestWorker, statesOf, stopTestWorker, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { instance, logOf, runDag } from "../support/operators";

process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

let scope: WorkspaceScope;

beforeAll(async () => {
  const owner = await createUser("code");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 50 });
  await createVariable(scope, { key: "threshold", value: { min: 2 } });
  await createSecret(scope, { name: "API_KEY", value: "k-123456789" });
  await startTestWorker(4);
});
afterAll(() => stopTestWorker());

const code = (id: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id,
  operator: "code",
  config,
  ...extra,
});

describe("code", () => {
  it("reads params, direct upstream outputs, variables and inputs; logs; returns the output", async () => {
    const run = await runDag(
      scope,
      {
        id: "code_inputs",
        params: { country: { type: "string", default: "NO" } },
        tasks: [
          { id: "root", operator: "test", config: { output: "not direct" } },
          {
            id: "extract",
            operator: "test",
            dependsOn: ["root"],
            config: {
              output: [
                { id: 1, country: "NO" },
                { id: 2, country: "SE" },
                { id: 3, country: "NO" },
              ],
            },
          },
          code(
            "transform",
            {
              inputs: { key: "{{ secrets.API_KEY }}", day: "{{ run.logical_date | date }}" },
              source: [
                "const rows = upstream.extract.filter((row) => row.country === params.country);",
                // biome-ignore lint/suspicious/noTemplateCurlyInString: the task's JavaScript, run in the sandbox.
                "console.log(`kept ${rows.length} of ${upstream.extract.length}`, { key: inputs.key });",
                'console.warn("careful");',
                "return {",
                "  ids: rows.map((row) => row.id),",
                "  enough: rows.length >= vars.threshold.min,",
                "  upstreamKeys: Object.keys(upstream),",
                "  keyLength: inputs.key.length,",
                "  dayKnown: typeof inputs.day === 'string',",
                "  inputsInVars: '$inputs' in vars,",
                "};",
              ].join("\n"),
            },
            { dependsOn: ["extract"] },
          ),
        ],
      },
      { country: "NO" },
    );
    expect(run.state).toBe("success");
    expect(instance(run, "transform").output).toEqual({
      ids: [1, 3],
      enough: true,
      upstreamKeys: ["extract"],
      keyLength: 11,
      dayKnown: true,
      inputsInVars: false,
    });
    const log = await logOf(scope, run.id, "transform");
    expect(log).toMatch(/INFO kept 2 of 3 \{"key":"\*\*\*"\}/); // the secret is masked in the log
    expect(log).toMatch(/WARN careful/);
    expect(log).not.toContain("k-123456789");
  });

  it("runs TypeScript, mapped instances with item, and reports errors at the user's line", async () => {
    const run = await runDag(scope, {
      id: "code_typescript",
      tasks: [
        { id: "list", operator: "test", config: { output: [1, 2, 3] } },
        code(
          "square",
          { language: "typescript", source: "const n: number = item as number;\nreturn n * n;" },
          { dependsOn: ["list"], map: { over: "tasks.list.output" } },
        ),
        code("broken", { source: "const a = 1;\nreturn a.b.c;" }),
        code("syntax", { source: "return (;" }),
        code("own_inputs", { source: "const inputs = 5;\nreturn inputs;" }),
      ],
    });
    expect(instance(run, "square").output).toEqual([1, 4, 9]);
    expect(instance(run, "broken").error).toMatch(/^TypeError: cannot read property 'c' of undefined/);
    expect(await logOf(scope, run.id, "broken")).toMatch(/at line 2|:2/);
    // Column 9 of the user's own first line, whatever the code is wrapped in.
    expect(instance(run, "syntax").error).toBe(
      "SyntaxError: unexpected token in expression: ';' at line 1, column 9",
    );
    expect(instance(run, "own_inputs").output).toBe(5);
  });
});

describe("branch expressions", () => {
  it("follow the task ids the sandboxed expression returns", async () => {
    const document = (id: string, expression: string): DagDocument => ({
      id,
      params: { mode: { type: "string", default: "full" } },
      tasks: [
        { id: "size", operator: "test", config: { output: 42 } },
        { id: "choose", operator: "branch", dependsOn: ["size"], config: { expression } },
        { id: "full_load", operator: "noop", dependsOn: ["choose"] },
        { id: "incremental", operator: "noop", dependsOn: ["choose"] },
      ],
    });
    const simple = await runDag(
      scope,
      document("branch_expr", 'params.mode === "full" && upstream.size > 10 ? "full_load" : "incremental"'),
    );
    expect(statesOf(simple)).toEqual({
      size: "success",
      choose: "success",
      full_load: "success",
      incremental: "skipped",
    });
    const body = await runDag(
      scope,
      document("branch_body", 'const both = ["full_load", "incremental"];\nreturn both;'),
    );
    expect(statesOf(body)).toMatchObject({ full_load: "success", incremental: "success" });
    const bad = await runDag(scope, document("branch_bad", "42"));
    expect(instance(bad, "choose").error).toMatch(
      /returned 42; it must return a task id or an array of task ids/,
    );
  });
});

describe("the sandbox inside a run", () => {
  const attempts: Record<string, [Record<string, unknown>, RegExp]> = {
    process_env: [{ source: "return process.env;" }, /process.*not defined/],
    require_fs: [
      { source: 'return require("fs").readFileSync("/etc/passwd", "utf8");' },
      /require.*not defined/,
    ],
    dynamic_import: [{ source: 'const fs = await import("fs");\nreturn fs;' }, /could not load module 'fs'/],
    constructor_chain: [
      { source: 'return (function () {}).constructor("return process")().mainModule;' },
      /process.*not defined/,
    ],
    host_realm: [
      { source: "return globalThis.constructor.constructor('return this')().process.pid;" },
      /cannot read property 'pid' of undefined/,
    ],
    infinite_loop: [
      { source: "while (true) {}", limits: { cpuMs: 300 } },
      /exceeded its CPU time limit of 300 ms/,
    ],
    allocation: [
      // A CPU budget far above what filling 16 MiB takes: on a loaded host the wall-clock budget
      // could otherwise run out first (0.5 s of work took 4.5 s at load 27).
      { source: "const a = [];\nfor (;;) a.push(new Array(1e6));", limits: { memoryMiB: 16, cpuMs: 60_000 } },
      /ran out of memory \(limit 16 MiB\)/,
    ],
    recursion: [
      { source: "const f = (n) => f(n + 1) + 1;\nreturn f(0);" },
      /Maximum call stack size exceeded/,
    ],
    huge_output: [{ source: 'return "x".repeat(5 * 1024 * 1024);' }, /Output is too large/],
  };

  it("fails each escape or exhaustion attempt with a clear error, and keeps serving other tasks", async () => {
    const run = await runDag(
      scope,
      {
        id: "escapes",
        tasks: [
          ...Object.entries(attempts).map(([id, [config]]) => code(id, config)),
          code("pollute", {
            source:
              'Object.prototype.polluted = "yes";\nArray.prototype.map = null;\nJSON.parse = null;\nreturn 1;',
          }),
          code(
            "after",
            { source: "return [typeof ({}).polluted, [1, 2].map((x) => x * 2), JSON.parse('[1]')];" },
            { dependsOn: [...Object.keys(attempts), "pollute"], triggerRule: "all_done" },
          ),
          { id: "meanwhile", operator: "test", config: { output: "served", durationMs: 50 } },
        ],
      },
      undefined,
      60_000,
    );
    for (const [id, [, error]] of Object.entries(attempts)) {
      const task = instance(run, id);
      expect(task.state, id).toBe("failed");
      expect(task.error, id).toMatch(error);
    }
    // Limits are not retried: the same code would hit them again.
    expect(instance(run, "infinite_loop").attempts).toHaveLength(1);
    // Nothing a run changes leaks into the host or the next run.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(instance(run, "after").output).toEqual(["undefined", [2, 4], [1]]);
    expect(instance(run, "meanwhile").output).toBe("served");

    const next = await runDag(scope, {
      id: "after_escapes",
      tasks: [1, 2, 3, 4].map((n) => code(`n${n}`, { source: `return ${n} * 10;` })),
    });
    expect(next.state).toBe("success");
    expect(next.taskInstances.map((t) => t.output)).toEqual([10, 20, 30, 40]);
  });
});
