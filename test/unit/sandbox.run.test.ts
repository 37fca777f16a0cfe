import { describe, expect, it } from "vitest";
import {
  type RunCodeOptions,
  runCode,
  type SandboxFetchInit,
  type SandboxFetchResponse,
  type SandboxLogLevel,
} from "@/server/sandbox/run-code";

const noInputs = { params: {}, upstream: {}, vars: {} };

function run(source: string, options: Partial<RunCodeOptions> = {}) {
  return runCode({ source, inputs: noInputs, ...options });
}

describe("runCode returns the code's output", () => {
  it("returns a value", async () => {
    expect(await run("return { answer: 6 * 7, list: [1, 'two', null] }")).toMatchObject({
      ok: true,
      output: { answer: 42, list: [1, "two", null] },
      durationMs: expect.any(Number),
    });
  });

  it("reads params, upstream, vars and item", async () => {
    const result = await runCode({
      source:
        "return params.greeting + ', ' + vars.name + ': ' + upstream.extract.rows.length + ' rows, item ' + item.id",
      inputs: {
        params: { greeting: "Hello" },
        upstream: { extract: { rows: [1, 2, 3] } },
        vars: { name: "Ada" },
        item: { id: 7 },
      },
    });
    expect(result).toMatchObject({ ok: true, output: "Hello, Ada: 3 rows, item 7" });
  });

  it("leaves item undefined outside mapped tasks", async () => {
    expect(await run("return typeof item")).toMatchObject({ ok: true, output: "undefined" });
  });

  it("supports async/await", async () => {
    const source = `
      const double = async (n) => n * 2;
      const values = await Promise.all([1, 2, 3].map(double));
      return values.reduce((a, b) => a + b, 0);`;
    expect(await run(source)).toMatchObject({ ok: true, output: 12 });
  });

  it("returns null for undefined", async () => {
    expect(await run("const x = 1;")).toMatchObject({ ok: true, output: null });
  });

  it("keeps concurrent runs apart", async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        runCode({ source: "return params.n * 10", inputs: { ...noInputs, params: { n } } }),
      ),
    );
    expect(results.map((result) => result.ok && result.output)).toEqual([10, 20, 30, 40]);
  });
});

describe("console output", () => {
  it("reaches onLog in order, with levels", async () => {
    const lines: [SandboxLogLevel, string][] = [];
    const source = `
      console.log("starting", 1, { a: [1, 2] });
      console.info("info");
      console.debug("debug");
      console.warn("careful", null, undefined);
      console.error(new TypeError("bad"));
      return "done";`;
    const result = await run(source, { onLog: (level, line) => lines.push([level, line]) });
    expect(result).toMatchObject({ ok: true, output: "done" });
    expect(lines.slice(0, 4)).toEqual([
      ["info", 'starting 1 {"a":[1,2]}'],
      ["info", "info"],
      ["info", "debug"],
      ["warn", "careful null undefined"],
    ]);
    expect(lines[4]?.[0]).toBe("error");
    expect(lines[4]?.[1]).toMatch(/^TypeError: bad\n\s+at .*task\.js:6/);
  });

  it("drops output past the log limit, with one notice", async () => {
    const lines: string[] = [];
    const source = "for (let i = 0; i < 100; i++) console.log('x'.repeat(99));";
    await run(source, { limits: { logBytes: 250 }, onLog: (_level, line) => lines.push(line) });
    expect(lines).toEqual([
      "x".repeat(99),
      "x".repeat(99),
      "x".repeat(50),
      "Log output truncated: the run reached its limit of 250 bytes",
    ]);
  });

  it("counts empty lines against the log limit", async () => {
    let count = 0;
    await run("for (;;) console.log()", { limits: { logBytes: 1000, cpuMs: 300 }, onLog: () => count++ });
    expect(count).toBe(1001); // 1000 empty lines and the notice
  });

  it("passes NUL and lone surrogates through whole (a C string copy would cut at the NUL)", async () => {
    const lines: string[] = [];
    const source = "console.log('a\\u0000b', 'c'); console.log('\\ud800 and \\udc00'); return 1";
    expect(await run(source, { onLog: (_level, line) => lines.push(line) })).toMatchObject({ ok: true });
    expect(lines).toEqual(["a\u0000b c", "\ud800 and \udc00"]);
  });

  it("cuts a line far over the limit inside the sandbox, and stops logging past it", async () => {
    const lines: string[] = [];
    const source = `
      console.log('z'.repeat(50 * 1024 * 1024), 'never');
      console.log('dropped');
      return 'done';`;
    const result = await run(source, {
      limits: { logBytes: 1000, memoryBytes: 128 * 1024 * 1024 },
      onLog: (_level, line) => lines.push(line),
    });
    expect(result).toMatchObject({ ok: true, output: "done" });
    expect(lines).toEqual([
      "z".repeat(1000),
      "Log output truncated: the run reached its limit of 1000 bytes",
    ]);
  });

  it("rejects when the host's logger throws, since that is not the code's fault", async () => {
    const onLog = () => {
      throw new Error("log store unavailable");
    };
    await expect(run("console.log('hi'); return 1", { onLog })).rejects.toThrow("log store unavailable");
    expect(await run("return 2")).toMatchObject({ ok: true, output: 2 });
  });
});

describe("TypeScript", () => {
  it("runs code with types and interfaces", async () => {
    const source = `
      interface Row { id: number; name: string }
      type Summary = { count: number; names: string[] };
      const rows = params.rows as Row[];
      function summarise<T extends Row>(items: T[]): Summary {
        return { count: items.length, names: items.map((row): string => row.name) };
      }
      const summary: Summary = summarise(rows);
      return summary satisfies Summary;`;
    const result = await runCode({
      source,
      language: "typescript",
      inputs: { ...noInputs, params: { rows: [{ id: 1, name: "a" }] } },
    });
    expect(result).toMatchObject({ ok: true, output: { count: 1, names: ["a"] } });
  });

  it("keeps the user's line numbers in runtime errors", async () => {
    const source = "type A = string;\n\nconst a: A = 'x';\nthrow new Error(a);";
    const result = await run(source, { language: "typescript" });
    expect(result).toMatchObject({ ok: false, error: { kind: "runtime", message: "Error: x" } });
    expect(!result.ok && result.error.stack).toMatch(/task\.js:4:/);
  });

  it("reports a TypeScript syntax error with its line", async () => {
    const result = await run("const a = 1;\nconst b: number = ;\nreturn a", { language: "typescript" });
    expect(result).toEqual({
      ok: false,
      error: { kind: "syntax", message: "SyntaxError: Expression expected at line 2" },
    });
  });

  it("explains that syntax needing a transform (enum) is not supported", async () => {
    const result = await run("enum Color { Red }\nreturn Color.Red", { language: "typescript" });
    expect(result).toMatchObject({ ok: false, error: { kind: "syntax" } });
    expect(!result.ok && result.error.message).toMatch(/enum is not supported.*at line 1/);
  });
});

describe("errors", () => {
  it("reports a syntax error with its position", async () => {
    const result = await run("const a = 1;\nconst b = 2;\nlet c = ;\nreturn a");
    expect(result).toEqual({
      ok: false,
      error: {
        kind: "syntax",
        message: "SyntaxError: unexpected token in expression: ';' at line 3, column 9",
      },
    });
  });

  it("reports a column on the first line relative to the user's code", async () => {
    const result = await run("let = 1");
    expect(result).toMatchObject({
      ok: false,
      error: { message: "SyntaxError: variable name expected at line 1, column 5" },
    });
  });

  it("reports a thrown error as a runtime error with its message and stack", async () => {
    const result = await run("const x = 1;\nthrow new RangeError('bad value ' + x);");
    expect(result).toMatchObject({
      ok: false,
      error: { kind: "runtime", message: "RangeError: bad value 1" },
    });
    expect(!result.ok && result.error.stack).toContain("task.js:2:");
  });

  it("reports a thrown non-error value", async () => {
    expect(await run("throw { code: 42 }")).toMatchObject({
      ok: false,
      error: { kind: "runtime", message: 'Uncaught {"code":42}' },
    });
  });

  it("reports a rejected await as a runtime error", async () => {
    expect(await run("await Promise.reject(new Error('nope'))")).toMatchObject({
      ok: false,
      error: { kind: "runtime", message: "Error: nope" },
    });
  });

  it("reports a promise that can never settle instead of waiting forever", async () => {
    expect(await run("await new Promise(() => {})")).toMatchObject({
      ok: false,
      error: { kind: "runtime", message: expect.stringContaining("can never settle") },
    });
  });
});

describe("output", () => {
  it("refuses output over the limit", async () => {
    const result = await run("return 'é'.repeat(600)", { limits: { outputBytes: 1000 } });
    expect(result).toEqual({
      ok: false,
      error: { kind: "output_too_large", message: "Output is too large: 1.2 KiB of JSON (limit 1000 bytes)" },
    });
  });

  it("refuses output that is not JSON-serialisable", async () => {
    expect(await run("return function f() {}")).toEqual({
      ok: false,
      error: {
        kind: "invalid_output",
        message: "Output is not JSON-serialisable: the code returned a function",
      },
    });
    expect(await run("return { big: 10n }")).toMatchObject({
      ok: false,
      error: { kind: "invalid_output", message: expect.stringContaining("BigInt") },
    });
    expect(await run("const a = {}; a.self = a; return a")).toMatchObject({
      ok: false,
      error: { kind: "invalid_output", message: expect.stringContaining("circular") },
    });
  });
});

describe("injected fetch", () => {
  function fakeFetch(respond: (url: string, init: SandboxFetchInit) => SandboxFetchResponse) {
    const requests: { url: string; init: SandboxFetchInit }[] = [];
    const fetch = async (url: string, init: SandboxFetchInit) => {
      requests.push({ url, init });
      return respond(url, init);
    };
    return { fetch, requests };
  }

  it("sends the request and exposes status, headers, text and json", async () => {
    const { fetch, requests } = fakeFetch(() => ({
      status: 201,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ id: 9 }),
    }));
    const source = `
      const response = await fetch("https://api.example.com/items", {
        method: "POST",
        headers: { authorization: "Bearer t" },
        body: JSON.stringify({ name: params.name }),
      });
      return {
        status: response.status,
        ok: response.ok,
        type: response.headers.get("content-type"),
        body: await response.json(),
      };`;
    const result = await runCode({ source, inputs: { ...noInputs, params: { name: "x" } }, fetch });
    expect(result).toMatchObject({
      ok: true,
      output: { status: 201, ok: true, type: "application/json", body: { id: 9 } },
    });
    expect(requests).toEqual([
      {
        url: "https://api.example.com/items",
        init: { method: "POST", headers: { authorization: "Bearer t" }, body: '{"name":"x"}' },
      },
    ]);
  });

  it("runs several fetches concurrently", async () => {
    const { fetch } = fakeFetch((url) => ({ status: 200, headers: {}, body: url.slice(-1) }));
    const source = `
      const responses = await Promise.all(["https://a/1", "https://a/2"].map((url) => fetch(url)));
      return Promise.all(responses.map((response) => response.text()));`;
    expect(await runCode({ source, inputs: noInputs, fetch })).toMatchObject({
      ok: true,
      output: ["1", "2"],
    });
  });

  it("turns a failed request into an error the code can catch", async () => {
    const fetch = async () => {
      throw new Error("egress blocked: private address");
    };
    const source = `
      try { await fetch("http://10.0.0.1/"); } catch (error) { return error.name + ": " + error.message; }`;
    expect(await runCode({ source, inputs: noInputs, fetch })).toMatchObject({
      ok: true,
      output: "TypeError: fetch failed: egress blocked: private address",
    });
  });

  it("keeps at most 8 requests of a run in flight", async () => {
    let inFlight = 0;
    let mostInFlight = 0;
    const fetch = async (url: string): Promise<SandboxFetchResponse> => {
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return { status: 200, headers: {}, body: url };
    };
    const source = `
      const urls = Array.from({ length: 30 }, (_, i) => "https://a/" + i);
      const bodies = await Promise.all(urls.map(async (url) => (await fetch(url)).text()));
      return bodies.length;`;
    expect(await runCode({ source, inputs: noInputs, fetch })).toMatchObject({ ok: true, output: 30 });
    expect(mostInFlight).toBe(8);
  });

  it("refuses a response that cannot fit in the sandbox's memory", async () => {
    const { fetch } = fakeFetch(() => ({ status: 200, headers: {}, body: "x".repeat(1024 * 1024) }));
    const source = "try { await fetch('https://big/') } catch (error) { return error.message }";
    const result = await runCode({ source, inputs: noInputs, fetch, limits: { memoryBytes: 1024 * 1024 } });
    expect(result).toMatchObject({
      ok: true,
      output: expect.stringContaining("does not fit in the memory limit of 1 MiB"),
    });
  });

  it("refuses a request too large to copy out of the sandbox, as an error the code can catch", async () => {
    const { fetch, requests } = fakeFetch(() => ({ status: 200, headers: {}, body: "" }));
    const source = `
      const body = "x".repeat(11 * 1024 * 1024);
      const errors = [];
      for (const url of ["https://a/", "https://a/" + "p".repeat(70000)]) {
        try { await fetch(url, { method: "POST", body: url === "https://a/" ? body : "" }) }
        catch (error) { errors.push(error.name + ": " + error.message) }
      }
      return errors;`;
    const result = await runCode({
      source,
      inputs: noInputs,
      fetch,
      limits: { memoryBytes: 128 * 1024 * 1024 },
    });
    expect(result).toMatchObject({
      ok: true,
      output: [
        "TypeError: fetch(): the request is larger than 10 MiB",
        "TypeError: fetch(): the URL is longer than 65536 characters",
      ],
    });
    expect(requests).toEqual([]);
  });

  it("refuses headers that are not strings", async () => {
    const { fetch, requests } = fakeFetch(() => ({ status: 200, headers: {}, body: "" }));
    const result = await runCode({
      source: "await fetch('https://a/', { headers: { n: 1 } })",
      inputs: noInputs,
      fetch,
    });
    expect(result).toMatchObject({
      ok: false,
      error: {
        kind: "runtime",
        message: expect.stringMatching(/^TypeError: fetch\(\): invalid init\.headers\.n/),
      },
    });
    expect(requests).toEqual([]);
  });
});

describe("abort", () => {
  it("ends a busy run at once", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const startedAt = performance.now();
    const result = await run("while (true) {}", { signal: controller.signal });
    expect(result).toEqual({ ok: false, error: { kind: "aborted", message: "Code was aborted" } });
    expect(performance.now() - startedAt).toBeLessThan(2000);
    expect(await run("return 'still working'")).toMatchObject({ ok: true, output: "still working" });
  });

  it("ends a run waiting for fetch, with the reason", async () => {
    const controller = new AbortController();
    const fetch = () => new Promise<SandboxFetchResponse>(() => {});
    setTimeout(() => controller.abort(new Error("task timed out after 1s")), 50);
    const result = await runCode({
      source: "await fetch('https://slow/')",
      inputs: noInputs,
      fetch,
      signal: controller.signal,
    });
    expect(result).toEqual({
      ok: false,
      error: { kind: "aborted", message: "Code was aborted: task timed out after 1s" },
    });
  });

  it("does not start a run whose signal is already aborted", async () => {
    expect(await run("return 1", { signal: AbortSignal.abort() })).toMatchObject({
      ok: false,
      error: { kind: "aborted" },
    });
  });
});
