// Baton's settings: every environment variable a Baton process reads, declared once here with its
// zod schema, default, the processes that read it and what it does. Code reads them through `env`
// (`env.BATON_DB_POOL_SIZE`, typed and parsed), never through process.env; entry points call
// `checkConfig(kind)` at start, so a typo or a malformed value stops the process with a message
// naming the variable instead of turning into NaN somewhere later. The README's table of
// variables is checked against `settings` by test/unit/config.test.ts.
//
// Adding a variable: one entry in `settings` (keep the groups), one row in the README table.
// Values are read lazily and re-parsed only when the raw string changes, so tests may set
// process.env before (or between) uses, as an operator sets the environment before start.
import { distance } from "fastest-levenshtein";
import { z } from "zod";
import { parseWorkerPools } from "@/server/engine/worker-pools";
import { parseAllowList } from "@/server/net/address-policy";
import { parseTrustedProxies } from "@/server/net/trusted-proxies";
import { keyringFromEnv, parseKeyring } from "@/server/secrets/crypto";

/** Who reads a setting: the two production processes, the `baton` CLI, `npm start`, `npm test`. */
export type ProcessKind = "web" | "worker" | "cli" | "start" | "test";

export interface Setting<S extends z.ZodType = z.ZodType> {
  /** Parses the raw value; the input is undefined when the variable is unset or blank. */
  schema: S;
  readBy: readonly ProcessKind[];
  /** One line for the README table and error messages. */
  doc: string;
  /** Production processes that refuse to start without it. */
  requiredBy?: readonly ("web" | "worker")[];
  /** Set by Baton's own scripts for their children; not for operators, so not in the README. */
  internal?: boolean;
}

// ---- value types, each with an error message that says what is expected ----

const wholeNumber = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\s*\d+\s*$/, `must be a whole number (at least ${min})`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .default(fallback);

const optionalWholeNumber = (min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\s*\d+\s*$/, `must be a whole number (at least ${min})`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .optional();

const port = () => optionalWholeNumber(0, 65_535);

const text = () => z.string().optional();

const url = (protocols: RegExp, example: string) =>
  z
    .string()
    .trim()
    .refine((value) => URL.canParse(value) && protocols.test(new URL(value).protocol), {
      message: `must be a URL like ${example}`,
    })
    .optional();

const flag = () =>
  z
    .enum(["1", "true", "yes", "on", "0", "false", "no", "off"], {
      error: "must be 1/true/yes/on or 0/false/no/off",
    })
    .transform((value) => ["1", "true", "yes", "on"].includes(value))
    .default(false);

/** A value checked by the parser that uses it, so the start-up check and the use agree. */
const checkedBy = <T>(parse: (value: string) => T) =>
  z
    .string()
    .superRefine((value, ctx) => {
      try {
        parse(value);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
      }
    })
    .optional();

/** A value turned into what its parser makes of it (`fallback` when unset); the parser's error is the message. */
const parsedBy = <T>(parse: (value: string) => T, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      try {
        return parse(value);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    });

const databaseUrl = () => url(/^postgres(ql)?:$/, "postgresql://user:password@host:5432/baton");

// ---- the settings ----

export const settings = {
  // Production essentials
  DATABASE_URL: {
    schema: databaseUrl(),
    readBy: ["web", "worker", "cli", "start"],
    requiredBy: ["web", "worker"],
    doc: "PostgreSQL connection URL (`npm start` and the CLI use the embedded server when unset)",
  },
  NEXTAUTH_SECRET: {
    schema: text(),
    readBy: ["web", "worker"],
    requiredBy: ["web"],
    doc: "signs session cookies and approval links (`openssl rand -base64 32`); workers too, for approval links",
  },
  NEXTAUTH_URL: {
    schema: url(/^https?:$/, "https://baton.example.com"),
    readBy: ["web", "worker"],
    doc: "the public URL (links in invitations; on workers too, for approval links)",
  },
  BATON_MASTER_KEYS: {
    schema: checkedBy(parseKeyring),
    readBy: ["web", "worker", "cli"],
    doc: "`version:base64key,…` encrypting secrets at rest ([docs/secrets.md](docs/secrets.md)); or one key as `BATON_MASTER_KEY`",
  },
  BATON_MASTER_KEY: {
    schema: checkedBy((value) => keyringFromEnv({ BATON_MASTER_KEY: value })),
    readBy: ["web", "worker", "cli"],
    doc: "a single master key (version 1), instead of `BATON_MASTER_KEYS`",
  },

  // Sign-in
  GITHUB_CLIENT_ID: {
    schema: text(),
    readBy: ["web"],
    doc: 'with the secret, turns on "Continue with GitHub"',
  },
  GITHUB_CLIENT_SECRET: { schema: text(), readBy: ["web"], doc: "callback `/api/auth/callback/github`" },
  GOOGLE_CLIENT_ID: {
    schema: text(),
    readBy: ["web"],
    doc: 'with the secret, turns on "Continue with Google"',
  },
  GOOGLE_CLIENT_SECRET: { schema: text(), readBy: ["web"], doc: "callback `/api/auth/callback/google`" },
  BATON_TRUSTED_PROXIES: {
    schema: z
      .string()
      .optional()
      .superRefine((value, ctx) => {
        try {
          parseTrustedProxies(value);
        } catch (error) {
          ctx.addIssue({ code: "custom", message: (error as Error).message });
        }
      })
      .transform((value) => parseTrustedProxies(value)),
    readBy: ["web"],
    doc: "reverse proxies (CIDRs, `10.0.0.0/8,::1`) whose `X-Forwarded-For`/`-Proto` count; unset: the socket address is the client ([docs/security.md](docs/security.md))",
  },
  BATON_SIGNIN_ACCOUNT_LIMIT: {
    schema: wholeNumber(10, 1),
    readBy: ["web"],
    doc: "free failed sign-ins per account before each further one doubles a wait of at most a minute (default 10; [docs/security.md](docs/security.md))",
  },
  BATON_SIGNIN_IP_LIMIT: {
    schema: wholeNumber(50, 1),
    readBy: ["web"],
    doc: "failed sign-ins allowed per IP address per 15 minutes (default 50)",
  },

  // Mail
  BATON_SMTP_URL: {
    schema: url(/^smtps?:$/, "smtp://user:pass@mail.example.com:587"),
    readBy: ["web", "worker"],
    doc: "e-mail (invitations, notifications); without it the UI shows links to copy",
  },
  BATON_MAIL_FROM: {
    schema: z.string().default("Baton <baton@localhost>"),
    readBy: ["web", "worker"],
    doc: "sender of Baton's e-mail (default `Baton <baton@localhost>`)",
  },

  // Database
  BATON_DB_POOL_SIZE: {
    schema: wholeNumber(10, 1),
    readBy: ["web", "worker", "cli"],
    doc: "PostgreSQL connections per process (default 10); see the connection budget in docs/architecture.md",
  },

  // Worker and engine
  BATON_WORKER_CONCURRENCY: {
    schema: wholeNumber(10, 1),
    readBy: ["worker"],
    doc: "attempts run at once per worker process (default 10)",
  },
  BATON_HTTP_ALLOW: {
    schema: checkedBy((value) => parseAllowList(value.split(","))),
    readBy: ["worker", "web"],
    doc: "addresses tasks may reach despite the egress guard (`127.0.0.1/32,db.internal:5432`): HTTP, PostgreSQL, SMTP",
  },
  BATON_SHUTDOWN_GRACE_SECONDS: {
    schema: wholeNumber(30, 0),
    readBy: ["worker", "start"],
    doc: "on SIGTERM, how long running attempts may finish before the rest are handed back to retry elsewhere (default 30)",
  },
  BATON_WORKER_POOLS: {
    schema: parsedBy(parseWorkerPools, "shared"),
    readBy: ["worker"],
    doc: "the worker pools this worker serves, comma-separated (default `shared`; e.g. `dedicated:acme` or `shared,gpu`); see docs/architecture.md",
  },
  BATON_POOL_RESERVE: {
    schema: wholeNumber(1, 0),
    readBy: ["worker", "web"],
    doc: "slots of a shared worker pool no workspace may fill while it already runs tasks there, kept for a newcomer's first task (default 1)",
  },
  BATON_LOST_ATTEMPT_SECONDS: {
    schema: wholeNumber(30, 2),
    readBy: ["worker", "web"],
    doc: "seconds without a heartbeat after which a worker counts as gone: its slots stop counting and its attempts are retried (default 30)",
  },
  BATON_REAP_EVERY_MS: {
    schema: wholeNumber(10_000, 100),
    readBy: ["worker"],
    doc: "how often each worker looks for lost attempts, in ms (default 10000)",
  },
  BATON_BATCHES_IN_FLIGHT: {
    schema: wholeNumber(2, 1),
    readBy: ["worker", "web"],
    doc: "engine claim/completion batches sent at once per process (group commit; default 2)",
  },
  BATON_DAG_CACHE_MB: {
    schema: wholeNumber(64, 1),
    readBy: ["worker", "web"],
    doc: "memory for compiled DAG versions per process, in MiB, least recently used evicted first (default 64)",
  },
  BATON_USAGE_FLUSH_MS: {
    schema: wholeNumber(1000, 10),
    readBy: ["worker", "web"],
    doc: "how long usage counts wait in memory before they are written, in ms (default 1000)",
  },
  BATON_DELETE_GRACE_DAYS: {
    schema: wholeNumber(30, 0),
    readBy: ["worker", "web"],
    doc: "days a deleted workspace is kept (restorable from the platform console) before the retention job purges it (default 30)",
  },
  BATON_RETENTION_BATCH: {
    schema: wholeNumber(500, 1),
    readBy: ["worker"],
    doc: "rows deleted per statement by the retention job (default 500)",
  },

  // The Python sandbox (docs/sandbox.md)
  BATON_PYTHON_POOL_SIZE: {
    schema: wholeNumber(2, 0, 64),
    readBy: ["worker"],
    doc: "Python interpreters a worker keeps loaded ahead of need once it runs Python (default 2; 0: load one per task): its Python process holds ~220 MB plus ~70 MB per interpreter",
  },
  BATON_PYTHON_PREWARM: {
    schema: flag(),
    readBy: ["worker"],
    doc: "start the Python process (its snapshot takes seconds of CPU) with the worker rather than at its first Python task",
  },
  BATON_PYTHON_MEMORY_MIB: {
    schema: wholeNumber(128, 16, 2048),
    readBy: ["worker"],
    doc: "the most heap a Python task may ask for with `limits.memoryMiB` (default 128)",
  },

  // Web: API and webhooks
  BATON_API_MAX_BODY_BYTES: {
    schema: wholeNumber(1_048_576, 1024),
    readBy: ["web"],
    doc: "largest REST API request body (default 1 MiB)",
  },
  BATON_API_MAX_DAG_BODY_BYTES: {
    schema: wholeNumber(16_777_216, 1024),
    readBy: ["web"],
    doc: "largest DAG document sent to the REST API (push, validate), after gzip decoding (default 16 MiB: room for the 20,000-task limit)",
  },
  BATON_WEBHOOK_MAX_BODY_BYTES: {
    schema: wholeNumber(1_048_576, 1024),
    readBy: ["web"],
    doc: "largest webhook delivery body; 413 beyond (default 1 MiB)",
  },
  BATON_WEBHOOK_LOG_BODY_BYTES: {
    schema: wholeNumber(65_536, 0),
    readBy: ["web"],
    doc: "bytes of a delivery's body kept in the delivery log (default 64 KiB)",
  },

  // Operations: logs, health, metrics
  BATON_LOG_LEVEL: {
    schema: z
      .enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"], {
        error: "must be trace, debug, info, warn, error, fatal or silent",
      })
      .default("info"),
    readBy: ["web", "worker", "cli"],
    doc: "least level logged (default `info`; `debug` adds graphile-worker's line per job)",
  },
  BATON_LOG_FORMAT: {
    schema: z.enum(["json", "pretty"], { error: "must be json or pretty" }).optional(),
    readBy: ["web", "worker", "cli"],
    doc: "`json` (one object per line, the default) or `pretty` (what `npm start` and `npm run dev` use)",
  },
  BATON_WORKER_HEALTH_PORT: {
    schema: port(),
    readBy: ["worker"],
    doc: "port of the worker's /health, /ready and /metrics (unset: none; 0: any free port)",
  },
  BATON_METRICS_TOKEN: {
    schema: text(),
    readBy: ["web", "worker"],
    doc: "bearer token Prometheus must send for /api/metrics and the worker's /metrics (unset: open; restrict by network)",
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    schema: url(/^https?:$/, "http://otel-collector:4318"),
    readBy: ["web", "worker"],
    doc: "OpenTelemetry collector (OTLP/HTTP, JSON; spans go to its /v1/traces): traces of requests, runs and attempts (unset: no tracing)",
  },
  OTEL_EXPORTER_OTLP_HEADERS: {
    schema: text(),
    readBy: ["web", "worker"],
    doc: "headers sent with each export, `key=value` pairs separated by commas (a collector's API key)",
  },
  OTEL_SERVICE_NAME: {
    schema: text(),
    readBy: ["web", "worker"],
    doc: "the service name traces carry (default `baton-web`, `baton-worker`)",
  },

  // Local installation (`npm start`, `npm run dev`, the CLI without DATABASE_URL)
  PORT: {
    schema: port(),
    readBy: ["start", "web"],
    doc: "web port (default 3000, or the next free one under `npm start`)",
  },
  BATON_DATA_DIR: {
    schema: z.string().default(".data"),
    readBy: ["start", "cli"],
    doc: "where `npm start` keeps the embedded PostgreSQL and generated secrets (default `.data`)",
  },
  BATON_PG_PORT: {
    schema: port(),
    readBy: ["start", "cli"],
    doc: "port of the embedded PostgreSQL (default: any free port)",
  },

  // The CLI. The client commands' settings are read by the CLI itself (server/cli/remote/
  // connection.ts), so that its one-file build needs nothing of the server; they are declared here
  // so that the CLI knows them and the README lists them.
  BATON_URL: {
    schema: url(/^https?:$/, "https://baton.example.com"),
    readBy: ["cli"],
    doc: "the Baton the workspace commands talk to (over the saved login; like `--url`)",
  },
  BATON_TOKEN: {
    schema: text(),
    readBy: ["cli"],
    doc: "the API token of the workspace commands (over the saved login; like `--token`)",
  },
  BATON_PROFILE: {
    schema: text(),
    readBy: ["cli"],
    doc: "the saved login (`baton login --name`) the workspace commands use (like `--profile`)",
  },
  BATON_CONFIG_DIR: {
    schema: text(),
    readBy: ["cli"],
    doc: "where `baton login` saves logins (default `$XDG_CONFIG_HOME/baton`, else `~/.config/baton`)",
  },
  BATON_DEBUG: { schema: flag(), readBy: ["cli"], doc: "print stack traces with CLI errors" },
  BATON_CWD: {
    schema: text(),
    readBy: ["cli"],
    internal: true,
    doc: "the directory the user ran `npx baton` in (set by scripts/baton.mjs)",
  },

  // Tests
  TEST_DATABASE_URL: {
    schema: databaseUrl(),
    readBy: ["test"],
    doc: "a PostgreSQL server `npm test` uses instead of starting the embedded one",
  },
  BATON_CHROMIUM_PATH: {
    schema: text(),
    readBy: ["test"],
    doc: "the Chromium the browser suite drives (found or installed when unset)",
  },
} satisfies Record<string, Setting>;

export type SettingName = keyof typeof settings;
export type Config = { readonly [K in SettingName]: z.output<(typeof settings)[K]["schema"]> };

type Env = Record<string, string | undefined>;

export interface ConfigProblem {
  name: string;
  problem: string;
  /** What the variable is (from its doc). */
  what: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.name}: ${p.problem}`).join("; "));
  }
}

/** Blank counts as unset, so `X= npm start` takes the default. */
const raw = (env: Env, name: string) => (env[name]?.trim() === "" ? undefined : env[name]);

function parse(name: SettingName, value: string | undefined): { value: unknown } | { problem: string } {
  const result = (settings[name].schema as z.ZodType).safeParse(value);
  if (result.success) return { value: result.data };
  // Values of secrets are never echoed; a parser's message that starts with the name drops it.
  const shown = value !== undefined && !/SECRET|KEY|TOKEN/.test(name) ? ` (got "${value}")` : "";
  const message = (result.error.issues[0]?.message ?? "is invalid").replace(
    new RegExp(`^${name}\\b:? ?`),
    "",
  );
  return { problem: `${message}${shown}` };
}

const memo = new Map<string, { raw: string | undefined; value: unknown }>();

/**
 * The settings, parsed: `env.BATON_WORKER_CONCURRENCY` is a number with its default applied.
 * Throws ConfigError naming the variable when its value is malformed (checkConfig reports all of
 * them at start).
 */
export const env: Config = new Proxy({} as Config, {
  get(_target, key) {
    if (typeof key !== "string" || !Object.hasOwn(settings, key)) return undefined;
    const name = key as SettingName;
    const value = raw(process.env, name);
    const hit = memo.get(name);
    if (hit && hit.raw === value) return hit.value;
    const parsed = parse(name, value);
    if ("problem" in parsed)
      throw new ConfigError([{ name, problem: parsed.problem, what: settings[name].doc }]);
    memo.set(name, { raw: value, value: parsed.value });
    return parsed.value;
  },
});

/**
 * What keeps a `kind` process from starting: malformed values of the settings it reads and, in
 * production, required settings it lacks. Empty when it may start.
 */
export function configProblems(
  kind: ProcessKind,
  options: { env?: Env; production?: boolean } = {},
): ConfigProblem[] {
  const source = options.env ?? process.env;
  const problems: ConfigProblem[] = [];
  for (const [name, setting] of Object.entries(settings) as [SettingName, Setting][]) {
    if (!setting.readBy.includes(kind)) continue;
    const value = raw(source, name);
    const parsed = parse(name, value);
    if ("problem" in parsed) problems.push({ name, problem: parsed.problem, what: setting.doc });
    else if (options.production && value === undefined && setting.requiredBy?.includes(kind as "web")) {
      if (name === "BATON_MASTER_KEY") continue;
      problems.push({ name, problem: "is not set", what: setting.doc });
    }
  }
  // Secrets are encrypted under the master key: a process without one must not start and fail on
  // the first DAG that needs a secret. One of the two spellings, not both.
  if (kind === "web" || kind === "worker") {
    const keys = raw(source, "BATON_MASTER_KEYS");
    const key = raw(source, "BATON_MASTER_KEY");
    if (keys && key) {
      problems.push({
        name: "BATON_MASTER_KEYS",
        problem: "is set and so is BATON_MASTER_KEY; set one of them",
        what: settings.BATON_MASTER_KEYS.doc,
      });
    } else if (options.production && !keys && !key) {
      problems.push({
        name: "BATON_MASTER_KEYS (or BATON_MASTER_KEY)",
        problem: "is not set",
        what: 'the master keys that encrypt secrets, as "<version>:<base64 32-byte key>,…" (openssl rand -base64 32); see docs/secrets.md',
      });
    }
  }
  return problems;
}

/** BATON_* variables that are no setting: most likely a typo, said with the nearest name. */
export function unknownSettings(source: Env = process.env): string[] {
  const names = Object.keys(settings);
  return Object.keys(source)
    .filter((name) => name.startsWith("BATON_") && !Object.hasOwn(settings, name))
    .map((name) => {
      const nearest = names
        .map((known) => ({ known, distance: distance(name, known) }))
        .sort((a, b) => a.distance - b.distance)[0];
      return nearest && nearest.distance <= 3
        ? `${name} is not a Baton setting (did you mean ${nearest.known}?)`
        : `${name} is not a Baton setting`;
    });
}

/**
 * The start-up check of a process: on any problem, prints every one of them, naming the variable,
 * and exits 1. Warns about BATON_* variables that are no setting. Requirements of production
 * (DATABASE_URL, secrets) apply when `production` is set: the web and worker entry points.
 */
export function checkConfig(kind: ProcessKind, options: { production?: boolean } = {}): void {
  for (const warning of unknownSettings()) console.warn(`[baton] warning: ${warning}`);
  const problems = configProblems(kind, options);
  if (problems.length === 0) return;
  const lines = problems
    .map(({ name, problem, what }) => `  ${name}: ${problem}\n      (${what})`)
    .join("\n");
  const label = { web: "web", worker: "worker", cli: "CLI", start: "npm start", test: "npm test" }[kind];
  console.error(`\nBaton ${label} cannot start; fix these environment variables:\n${lines}\n`);
  if (options.production) console.error("(For a local try-out, `npm start` provides all of them.)\n");
  process.exit(1);
}
