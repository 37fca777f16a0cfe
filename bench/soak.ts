// `npm run bench -- soak` (after `npm run build`): the production processes (one `next start`, two
// `npm run worker`s) on the embedded PostgreSQL under a mixed load for BENCH_SOAK_MINUTES (default
// 10): signed webhook deliveries starting runs of a DAG with code, http and noop tasks, a DAG
// scheduled every minute, and a UI's polling of the REST API (run list and a run). Every minute it
// prints runs and tasks finished, the p99 of webhook and API answers, and each process's resident
// memory (read from its own /metrics). Memory is sampled every 10 s; the verdict compares, per
// process, the median RSS of the last 3 minutes with the median of the 3 minutes after a 2-minute
// warm-up (minutes 3–5 of 10): medians, because one sample may land just after or just before a
// garbage collection and swing by a fifth. Growth must stay under 10 %.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, openSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { benchDatabase, fmt, percentile, table } from "./support";

const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 10);
const WEBHOOKS_PER_SECOND = Number(process.env.BENCH_SOAK_WEBHOOKS_PER_SECOND ?? 3);
const POLLS_PER_SECOND = Number(process.env.BENCH_SOAK_POLLS_PER_SECOND ?? 2);
const WARM_UP_MINUTES = 2;
/** Minutes compared: the first after warm-up against the last (fewer when the soak is short). */
const WINDOW_MINUTES = Math.min(3, Math.floor((MINUTES - WARM_UP_MINUTES) / 2));
const SAMPLE_EVERY_MS = 10_000;
const MAX_IN_FLIGHT = 32;
const LOG_DIR = ".data/bench-soak";

export default async function soak() {
  if (!existsSync(".next/BUILD_ID"))
    throw new Error("the soak runs the production web server: `npm run build` first");
  const database = await benchDatabase("soak");
  process.env.DATABASE_URL = database.url;
  const { generateKey } = await import("../server/secrets/crypto");
  process.env.BATON_MASTER_KEYS ??= `1:${generateKey()}`;
  const { freePort } = await import("../server/db/embedded");
  const { createAccount } = await import("../server/auth/accounts");
  const { db, closeDb } = await import("../server/db/client");
  const { openWorkspace } = await import("../server/tenancy/door");
  const { pushDag } = await import("../server/dags/service");
  const { createWebhook } = await import("../server/webhooks/endpoints");
  const { createToken } = await import("../server/tokens/service");
  const { signBody } = await import("../server/webhooks/signature");

  // What http tasks call: a small local service.
  const target = http.createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ ok: true, at: Date.now() }));
  });
  await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
  const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;

  const { user, workspace } = await createAccount({
    email: "soak@bench.example",
    name: "soak",
    password: "benchmark password",
  });
  await db.workspace.update({
    where: { id: workspace.id },
    data: { maxConcurrentTasks: 10_000, webhookRateLimitPerMinute: 10_000_000, maxConcurrentRuns: 10_000 },
  });
  const scope = await openWorkspace(
    { kind: "user", userId: user.id, email: user.email },
    workspace.slug,
    "dags:write",
  );
  const tasks = [
    {
      id: "compute",
      operator: "code",
      config: { source: "let s = 0; for (let i = 0; i < 20000; i++) s += i; return s;" },
    },
    { id: "call", operator: "http", config: { url: `${targetUrl}/status` }, dependsOn: ["compute"] },
    { id: "done", operator: "noop", dependsOn: ["call"] },
  ];
  await pushDag(scope, { document: { id: "hooked", maxActiveRuns: 1000, tasks } });
  await pushDag(scope, {
    document: { id: "ticking", schedule: { type: "interval", every: "1m" }, catchup: false, tasks },
  });
  const hook = await createWebhook(scope, {
    dagId: "hooked",
    name: "soak",
    authMode: "hmac",
    baseUrl: "http://soak.local",
  });
  const { token } = await createToken(scope, { name: "soak", role: "VIEWER" });

  // Each process's log lines (warnings and errors: BATON_LOG_LEVEL below) in a file of its own.
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = (name: string) => openSync(path.join(LOG_DIR, `${name}.log`), "w");
  console.log(`soak: the processes' logs are in ${LOG_DIR}/`);
  const webPort = await freePort();
  const base = `http://127.0.0.1:${webPort}`;
  const env = {
    ...process.env,
    NODE_ENV: "production",
    NEXTAUTH_SECRET: "soak-secret-soak-secret-soak-secret",
    NEXTAUTH_URL: base,
    BATON_HTTP_ALLOW: "127.0.0.1/32",
    BATON_LOG_LEVEL: "warn",
  } as NodeJS.ProcessEnv;
  const processes: { name: string; child: ChildProcess; metrics: string }[] = [
    {
      name: "web",
      child: spawn("next", ["start", "--port", String(webPort)], {
        // BENCH_SOAK_WEB_NODE_OPTIONS: node options for the web only, e.g. to take heap snapshots
        // (--heapsnapshot-signal=SIGUSR2) when its memory grows.
        env: {
          ...env,
          NODE_OPTIONS: [env.NODE_OPTIONS, process.env.BENCH_SOAK_WEB_NODE_OPTIONS].filter(Boolean).join(" "),
        },
        stdio: ["ignore", logFile("web"), "inherit"],
      }),
      metrics: `${base}/api/metrics`,
    },
  ];
  for (const n of [1, 2]) {
    const port = await freePort();
    processes.push({
      name: `worker ${n}`,
      child: spawn(process.execPath, ["--import", "tsx", "worker/main.ts"], {
        env: { ...env, BATON_WORKER_HEALTH_PORT: String(port) },
        stdio: ["ignore", logFile(`worker-${n}`), "inherit"],
      }),
      metrics: `http://127.0.0.1:${port}/metrics`,
    });
  }
  for (const p of processes) await until(() => fetch(p.metrics).then((r) => r.ok), `${p.name} to answer`);
  console.log(`soak: process ids: ${processes.map((p) => `${p.name} ${p.child.pid}`).join(", ")}`);

  /** Each process's resident memory and V8 heap in use, from its own metrics. */
  const memoryOf = async () =>
    Promise.all(
      processes.map(async (p) => {
        const text = await (await fetch(p.metrics)).text().catch(() => "");
        const read = (name: string) =>
          Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+]+)$`, "m").exec(text)?.[1] ?? Number.NaN);
        return {
          rss: read("baton_process_resident_memory_bytes"),
          heap: read("baton_nodejs_heap_size_used_bytes"),
        };
      }),
    );
  const startedAt = Date.now();
  const samples: { at: number; memory: { rss: number; heap: number }[] }[] = [];
  const sampler = setInterval(
    () => void memoryOf().then((memory) => samples.push({ at: Date.now() - startedAt, memory })),
    SAMPLE_EVERY_MS,
  );

  let hookMs: number[] = [];
  let apiMs: number[] = [];
  // Answers other than the expected one, by request and status ("error": no answer at all).
  let failures = new Map<string, number>();
  const count = (key: string) => failures.set(key, (failures.get(key) ?? 0) + 1);
  const failed = (what: string, status: number | undefined) => count(`${what} ${status ?? "error"}`);

  const deliver = async () => {
    const body = JSON.stringify({ ref: "refs/heads/main", id: randomUUID() });
    const started = performance.now();
    const response = await fetch(`${base}/api/hooks/${hook.id}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-baton-signature": signBody(hook.secret!, body) },
      body,
    }).catch(() => undefined);
    if (response?.status !== 202) failed("webhook", response?.status);
    await response?.arrayBuffer();
    hookMs.push(performance.now() - started);
  };
  let lastRun: string | undefined;
  const poll = async () => {
    const started = performance.now();
    const list = await fetch(`${base}/api/v1/runs?limit=20`, {
      headers: { authorization: `Bearer ${token}` },
    }).catch(() => undefined);
    if (list?.status !== 200) failed("run list", list?.status);
    const runs = ((await list?.json().catch(() => null)) as { items?: { id: string }[] } | null)?.items;
    lastRun = runs?.[0]?.id ?? lastRun;
    apiMs.push(performance.now() - started);
    if (lastRun) {
      const one = performance.now();
      // A request in flight when the web stops at the end fails here, as any other would.
      const answer = await fetch(`${base}/api/v1/runs/${lastRun}`, {
        headers: { authorization: `Bearer ${token}` },
      }).catch(() => undefined);
      if (answer?.status !== 200) failed("run", answer?.status);
      await answer?.arrayBuffer().catch(() => undefined);
      apiMs.push(performance.now() - one);
    }
  };
  // Senders wait for answers as real ones do (a connection pool): at most MAX_IN_FLIGHT requests of
  // a kind at once, a tick past that counted as skipped. Unbounded, an overloaded web (a busy
  // shared machine) would hold an ever longer queue of requests, and its memory would measure that.
  const inFlight = new Map<string, number>();
  const limited = async (kind: string, send: () => Promise<void>) => {
    const busy = inFlight.get(kind) ?? 0;
    if (busy >= MAX_IN_FLIGHT) return void count(`${kind} skipped (${MAX_IN_FLIGHT} in flight)`);
    inFlight.set(kind, busy + 1);
    try {
      await send();
    } finally {
      inFlight.set(kind, (inFlight.get(kind) ?? 1) - 1);
    }
  };
  const timers = [
    sampler,
    setInterval(() => void limited("webhook", deliver), 1000 / WEBHOOKS_PER_SECOND),
    setInterval(() => void limited("UI poll", poll), 1000 / POLLS_PER_SECOND),
  ];

  console.log(
    `soak: ${MINUTES} min; ${WEBHOOKS_PER_SECOND} webhooks/s, ${POLLS_PER_SECOND} UI polls/s, a DAG every minute; 1 web, 2 workers`,
  );
  const rows: Record<string, string>[] = [];
  for (let minute = 1; minute <= MINUTES; minute++) {
    const from = new Date();
    // Counting the last minute may itself take a while on a busy machine: the next one ends on time.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, startedAt + minute * 60_000 - Date.now())),
    );
    const [runs, attempts] = await Promise.all([
      db.dagRun.count({ where: { workspaceId: workspace.id, endedAt: { gte: from } } }),
      db.taskAttempt.count({ where: { workspaceId: workspace.id, endedAt: { gte: from } } }),
    ]);
    const sizes = await memoryOf();
    rows.push({
      minute: String(minute),
      "runs/min": String(runs),
      "tasks/s": fmt(attempts / 60),
      "webhook p99 ms": fmt(percentile(hookMs, 99)),
      "API p99 ms": fmt(percentile(apiMs, 99)),
      failures: [...failures].map(([what, count]) => `${what}: ${count}`).join(", ") || "0",
      ...Object.fromEntries(
        processes.map((p, i) => [`${p.name} RSS/heap MB`, `${mb(sizes[i]!.rss)}/${mb(sizes[i]!.heap)}`]),
      ),
    });
    console.log(Object.values(rows.at(-1)!).join("  "));
    hookMs = [];
    apiMs = [];
    failures = new Map();
  }
  for (const timer of timers) clearInterval(timer);
  table(rows);

  if (WINDOW_MINUTES < 1) console.log(`memory: not judged (needs at least ${WARM_UP_MINUTES + 2} minutes)`);
  else {
    const after = WARM_UP_MINUTES * 60_000;
    const end = MINUTES * 60_000;
    const window = WINDOW_MINUTES * 60_000;
    const median = (from: number, to: number, i: number, of: "rss" | "heap") =>
      percentile(
        samples.filter((s) => s.at > from && s.at <= to).map((s) => s.memory[i]![of]),
        50,
      );
    console.log(
      `memory: median RSS of minutes ${WARM_UP_MINUTES + 1}–${WARM_UP_MINUTES + WINDOW_MINUTES} against minutes ${MINUTES - WINDOW_MINUTES + 1}–${MINUTES} (a sample every ${SAMPLE_EVERY_MS / 1000} s); flat when growth < 10 %`,
    );
    for (const [i, p] of processes.entries()) {
      const growth = (of: "rss" | "heap") => {
        const before = median(after, after + window, i, of);
        const last = median(end - window, end, i, of);
        return { before, last, percent: ((last - before) / before) * 100 };
      };
      const rss = growth("rss");
      const heap = growth("heap");
      console.log(
        `  ${p.name}: RSS ${mb(rss.before)} → ${mb(rss.last)} MB, ${fmt(rss.percent)} % (${rss.percent < 10 ? "flat" : "GROWING"}); heap in use ${mb(heap.before)} → ${mb(heap.last)} MB, ${fmt(heap.percent)} %`,
      );
    }
  }

  await Promise.all(
    processes.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        }),
    ),
  );
  target.close();
  await closeDb();
  await database.stop();
}

const mb = (bytes: number) => fmt(bytes / 2 ** 20);

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
