// The configuration module (server/config.ts): every variable read through it, parsed with a
// message naming the variable, and the README's table of variables in step with it.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, configProblems, env, type Setting, settings, unknownSettings } from "@/server/config";

const all = settings as Record<string, Setting>;

describe("parsing", () => {
  it("names the variable and the problem for a malformed value", () => {
    const problems = configProblems("worker", {
      env: { BATON_WORKER_CONCURRENCY: "ten", BATON_DB_POOL_SIZE: "0", BATON_HTTP_ALLOW: "10.0.0.0/99" },
    });
    expect(problems.map((p) => p.name)).toEqual([
      "BATON_DB_POOL_SIZE",
      "BATON_WORKER_CONCURRENCY",
      "BATON_HTTP_ALLOW",
    ]);
    expect(problems[0]!.problem).toBe('must be at least 1 (got "0")');
    expect(problems[1]!.problem).toBe('must be a whole number (at least 1) (got "ten")');
    expect(problems[2]!.problem).toMatch(/10\.0\.0\.0\/99/);
  });

  it("checks only what the process reads, and production requirements only in production", () => {
    expect(configProblems("web", { env: { BATON_WORKER_CONCURRENCY: "ten" } })).toEqual([]);
    expect(configProblems("worker", { env: {} })).toEqual([]);
    expect(configProblems("worker", { env: {}, production: true }).map((p) => p.name)).toEqual([
      "DATABASE_URL",
      "BATON_MASTER_KEYS (or BATON_MASTER_KEY)",
    ]);
    expect(configProblems("web", { env: { DATABASE_URL: "mysql://x/y" } })[0]).toMatchObject({
      name: "DATABASE_URL",
      problem: expect.stringMatching(/^must be a URL like postgresql:/),
    });
  });

  it("never echoes a secret's value", () => {
    const [problem] = configProblems("worker", { env: { BATON_MASTER_KEYS: "1:not-a-key" } });
    expect(problem!.name).toBe("BATON_MASTER_KEYS");
    expect(problem!.problem).toBe("entry 1 (version 1): key is not valid base64");
  });

  it("says which BATON_ variable is no setting, with the nearest name", () => {
    expect(
      unknownSettings({ BATON_WORKER_CONCURENCY: "4", BATON_NOTHING_LIKE_IT: "1", HOME: "/root" }),
    ).toEqual([
      "BATON_WORKER_CONCURENCY is not a Baton setting (did you mean BATON_WORKER_CONCURRENCY?)",
      "BATON_NOTHING_LIKE_IT is not a Baton setting",
    ]);
  });
});

describe("env", () => {
  const saved = process.env.BATON_RETENTION_BATCH;
  afterEach(() => {
    if (saved === undefined) delete process.env.BATON_RETENTION_BATCH;
    else process.env.BATON_RETENTION_BATCH = saved;
  });

  it("gives parsed values with defaults, and follows changes to the environment", () => {
    delete process.env.BATON_RETENTION_BATCH;
    expect(env.BATON_RETENTION_BATCH).toBe(500);
    process.env.BATON_RETENTION_BATCH = " 42 ";
    expect(env.BATON_RETENTION_BATCH).toBe(42);
    process.env.BATON_RETENTION_BATCH = "";
    expect(env.BATON_RETENTION_BATCH).toBe(500);
  });

  it("throws a ConfigError naming the variable instead of giving NaN", () => {
    process.env.BATON_RETENTION_BATCH = "5OO";
    expect(() => env.BATON_RETENTION_BATCH).toThrow(ConfigError);
    expect(() => env.BATON_RETENTION_BATCH).toThrow(/^BATON_RETENTION_BATCH: must be a whole number/);
  });
});

describe("a process started with a malformed variable", () => {
  it("stops at once, naming it (the worker, before touching any database)", () => {
    const result = spawnSync("tsx", ["worker/main.ts"], {
      env: {
        ...process.env,
        DATABASE_URL: "postgresql://nobody@127.0.0.1:1/none",
        BATON_WORKER_CONCURRENCY: "ten",
      },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("Baton worker cannot start");
    expect(result.stderr).toContain(
      'BATON_WORKER_CONCURRENCY: must be a whole number (at least 1) (got "ten")',
    );
  });
});

describe("one configuration module", () => {
  const sources = ["app", "server", "worker", "scripts", "instrumentation.ts"].flatMap((dir) => files(dir));

  it("is the only reader of Baton's variables", () => {
    // Other programs' variables (Next.js, npm, Playwright, the login's USER/LOGNAME); writes
    // (children's environments) are fine.
    const framework = new Set([
      "NODE_ENV",
      "NEXT_RUNTIME",
      "INIT_CWD",
      "PLAYWRIGHT_BROWSERS_PATH",
      "USER",
      "LOGNAME",
    ]);
    const readers = sources.flatMap((file) => {
      // scripts/baton.mjs runs before tsx (it launches it), so it cannot import the module.
      if (file === "server/config.ts" || file === "scripts/baton.mjs") return [];
      const text = readFileSync(file, "utf8");
      return [...text.matchAll(/(?<!delete )process\.env(?:\.([A-Z0-9_]+)\b|\[)(?!\s*(?:=[^=]|\?\?=))/g)]
        .filter((m) => !(m[1] && framework.has(m[1])))
        .map((m) => `${file}: ${m[0]}`);
    });
    expect(readers).toEqual([]);
  });

  it("the README's table lists every setting with the processes that read it", () => {
    const readme = readFileSync("README.md", "utf8");
    const rows = readme
      .split("\n")
      .filter((line) => /^\| `[A-Z]/.test(line))
      .map((line) => line.split("|").map((cell) => cell.trim()));
    const documented = Object.fromEntries(
      rows.map(([, name, readBy]) => [name!.replaceAll("`", ""), readBy]),
    );
    const expected = Object.fromEntries(
      Object.entries(all)
        .filter(([, setting]) => !setting.internal)
        .map(([name, setting]) => [name, readByText(setting)]),
    );
    expect(documented).toEqual(expected);
  });
});

/** The README's "Read by" cell: `npm start` and `npm test` spelled as commands. */
function readByText(setting: Setting): string {
  return setting.readBy
    .map((kind) => ({ start: "`npm start`", test: "`npm test`" })[kind as string] ?? kind)
    .join(", ");
}

function files(entry: string): string[] {
  if (statSync(entry).isFile()) return /\.(ts|tsx|mts|mjs)$/.test(entry) ? [entry] : [];
  return readdirSync(entry).flatMap((name) => files(path.join(entry, name)));
}
