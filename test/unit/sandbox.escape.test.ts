import { afterEach, describe, expect, it } from "vitest";
import { type RunCodeOptions, type RunCodeResult, runCode } from "@/server/sandbox/run-code";

// Each attempt must fail cleanly (or run without reaching the host), and the host must stay usable:
// afterEach runs an ordinary script after every test.

const noInputs = { params: {}, upstream: {}, vars: {} };

function run(source: string, options: Partial<RunCodeOptions> = {}): Promise<RunCodeResult> {
  return runCode({ source, inputs: noInputs, ...options });
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const startedAt = performance.now();
  const result = await work();
  return { result, ms: performance.now() - startedAt };
}

const exitCodeBefore = process.exitCode;

afterEach(async () => {
  const result = await runCode({ source: "return params.n * 2", inputs: { ...noInputs, params: { n: 21 } } });
  expect(result).toMatchObject({ ok: true, output: 42 });
  expect(process.exitCode).toBe(exitCodeBefore);
});

describe("no host capabilities", () => {
  it("process.exit() fails: there is no process", async () => {
    expect(await run("process.exit(1)")).toMatchObject({
      ok: false,
      error: { kind: "runtime", message: "ReferenceError: 'process' is not defined" },
    });
  });

  it("require('fs') fails", async () => {
    expect(await run("return require('fs').readFileSync('/etc/passwd', 'utf8')")).toMatchObject({
      ok: false,
      error: { kind: "runtime", message: "ReferenceError: 'require' is not defined" },
    });
  });

  it("await import('fs') fails: there is no module loader", async () => {
    expect(
      await run("const fs = await import('fs'); return fs.readFileSync('/etc/passwd', 'utf8')"),
    ).toMatchObject({
      ok: false,
      error: { kind: "runtime", message: "ReferenceError: could not load module 'fs'" },
    });
  });

  it("this.constructor.constructor('return process')() fails: the code runs in strict mode", async () => {
    expect(await run("return this.constructor.constructor('return process')()")).toMatchObject({
      ok: false,
      error: { kind: "runtime", message: "TypeError: cannot read property 'constructor' of undefined" },
    });
  });

  it("the Function constructor reaches only the sandbox's own global object", async () => {
    const source = `
      const g = ({}).constructor.constructor("return globalThis")();
      return { process: typeof g.process, names: Object.getOwnPropertyNames(g) };`;
    const result = await run(source);
    expect(result).toMatchObject({ ok: true, output: { process: "undefined" } });
    const names = result.ok ? (result.output as { names: string[] }).names : [];
    for (const hostGlobal of [
      "process",
      "require",
      "module",
      "Buffer",
      "global",
      "setTimeout",
      "setInterval",
      "fetch",
    ]) {
      expect(names).not.toContain(hostGlobal);
    }
  });

  it("Function('return this')().process is undefined", async () => {
    expect(await run("return Function('return this')().process")).toMatchObject({ ok: true, output: null });
  });

  it("fetch is not defined unless injected, and neither are timers", async () => {
    const source =
      "return [typeof fetch, typeof setTimeout, typeof setInterval, typeof XMLHttpRequest, typeof WebSocket]";
    expect(await run(source)).toMatchObject({ ok: true, output: Array(5).fill("undefined") });
  });
});

describe("no state shared between runs or with the host", () => {
  it("prototype pollution stays inside its run", async () => {
    const source = `
      Object.prototype.polluted = 1;
      Array.prototype.map = () => "hijacked";
      JSON.stringify = () => '"hijacked"';
      globalThis.leftover = "secret";
      return [({}).polluted, [1].map((x) => x)];`;
    expect(await run(source)).toMatchObject({ ok: true, output: [1, "hijacked"] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await run("return [({}).polluted, [1].map((x) => x * 2), typeof leftover]")).toMatchObject({
      ok: true,
      output: [null, [2], "undefined"],
    });
  });
});

describe("exhaustion", () => {
  it("while(true){} is stopped at the CPU limit", async () => {
    const { result, ms } = await timed(() => run("while (true) {}", { limits: { cpuMs: 300 } }));
    expect(result).toEqual({
      ok: false,
      error: { kind: "timeout", message: "Code exceeded its CPU time limit of 300 ms" },
    });
    expect(ms).toBeLessThan(2000);
  });

  it("a loop the interrupt handler cannot see (slow native calls) is stopped by the watchdog", async () => {
    // QuickJS polls its interrupt handler every few thousand bytecodes; each indexOf here scans
    // 10 MB natively, so without the watchdog this ran for minutes.
    const source = "const big = 'x'.repeat(1e7); for (;;) big.indexOf('y');";
    const { result, ms } = await timed(() => run(source, { limits: { cpuMs: 500 } }));
    expect(result).toMatchObject({ ok: false, error: { kind: "timeout" } });
    expect(ms).toBeLessThan(5000);
  }, 10_000);

  it("a spinning run does not block the host's event loop", async () => {
    const running = run("while (true) {}", { limits: { cpuMs: 1000 } });
    const { ms } = await timed(() => new Promise((resolve) => setTimeout(resolve, 50)));
    expect(ms).toBeLessThan(500);
    expect(await running).toMatchObject({ ok: false, error: { kind: "timeout" } });
  });

  it("runaway allocation fails with an out-of-memory error", async () => {
    const result = await run("const a = []; for (;;) { a.push(new Array(1e6)) }", {
      // A CPU budget far above what filling 16 MiB takes, so a loaded host cannot time it out first.
      limits: { memoryBytes: 16 * 1024 * 1024, cpuMs: 60_000 },
    });
    expect(result).toEqual({
      ok: false,
      error: { kind: "memory", message: "Code ran out of memory (limit 16 MiB)" },
    });
  });

  it("catching the out-of-memory error and allocating again still ends the run", async () => {
    const source = "const a = []; for (;;) { try { a.push(new Array(1e6)) } catch {} }";
    const result = await run(source, { limits: { memoryBytes: 16 * 1024 * 1024, cpuMs: 500 } });
    expect(result).toMatchObject({ ok: false, error: { kind: expect.stringMatching(/^(memory|timeout)$/) } });
  });

  it("inputs larger than the memory limit are refused before the run", async () => {
    const inputs = { ...noInputs, params: { blob: "x".repeat(1024 * 1024) } };
    expect(await runCode({ source: "return 1", inputs, limits: { memoryBytes: 1024 * 1024 } })).toMatchObject(
      {
        ok: false,
        error: {
          kind: "memory",
          message: expect.stringContaining("do not fit in the memory limit of 1 MiB"),
        },
      },
    );
  });

  it.each([
    ["infinite recursion", "function f() { return f() } f()"],
    ["recursion through native calls", "function h() { return [1].map(h) } h()"],
    ["deeply nested JSON", "JSON.parse('['.repeat(100000) + ']'.repeat(100000))"],
    ["deeply nested arrays to string", "let a = []; for (let i = 0; i < 100000; i++) a = [a]; String(a)"],
    ["deeply nested expression", "let s = '1'; for (let i = 0; i < 5000; i++) s = '(' + s + ')'; eval(s)"],
  ])("%s fails with a stack overflow error", async (_name, source) => {
    expect(await run(source)).toEqual({
      ok: false,
      error: {
        kind: "runtime",
        message:
          "RangeError: Maximum call stack size exceeded (stack limit 256 KiB; is there unbounded recursion?)",
      },
    });
  });

  it("a huge error message is cut before it is copied out", async () => {
    const source = "const e = new Error('m'.repeat(30 * 1024 * 1024)); e.name = 'n'.repeat(1e6); throw e";
    const result = await run(source, { limits: { memoryBytes: 128 * 1024 * 1024 } });
    expect(result).toMatchObject({ ok: false, error: { kind: "runtime" } });
    const { message } = (result as { error: { message: string } }).error;
    expect(message).toMatch(/^n{4000}: m{2000}…$/);
  });

  it("a huge string output is refused without being copied out", async () => {
    expect(await run("return 'x'.repeat(20 * 1024 * 1024)")).toEqual({
      ok: false,
      error: {
        kind: "output_too_large",
        message: "Output is too large: more than 20 MiB of JSON (limit 1 MiB)",
      },
    });
  });

  it.each([
    [
      "setTimeout",
      "await new Promise((resolve) => setTimeout(resolve, 1e9))",
      "ReferenceError: 'setTimeout' is not defined",
    ],
    [
      "setInterval",
      "setInterval(() => {}, 10); await new Promise(() => {})",
      "ReferenceError: 'setInterval' is not defined",
    ],
    [
      "a promise nothing resolves",
      "await new Promise(() => {})",
      expect.stringContaining("can never settle"),
    ],
  ])("waiting on %s fails at once instead of hanging the host", async (_name, source, message) => {
    const { result, ms } = await timed(() => run(source, { limits: { cpuMs: 2000 } }));
    expect(result).toMatchObject({ ok: false, error: { kind: "runtime", message } });
    expect(ms).toBeLessThan(2000);
  });
});
