// `npm run bench -- soak` (after `npm run build`): the production processes (one `next start`, two
// `npm run worker`s) on the embedded PostgreSQL under a mixed load for BENCH_SOAK_MINUTES (default
// 10): signed webhook deliveries starting runs of a DAG with code, http and noop tasks, a DAG
// scheduled every minute, and a UI's polling of the REST API (run list and a run). Every minute it
// prints runs and tasks finished, the p99 of webhook and API answers, and each process's resident
// memory (read from its own /metrics); at the end, each process's memory growth after the first
// two minutes (warm-up), which should stay under 10 %.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { benchDatabase, fmt, percentile, table } from "./support";

const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 10);
const WEBHOOKS_PER_SECOND = Number(process.env.BENCH_SOAK_WEBHOOKS_PER_SECOND ?? 3);
const POLLS_PER_SECOND = Number(process.env.BENCH_SOAK_POLLS_PER_SECOND ?? 2);
const WARM_UP_MINUTES = 2;

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
      child: spawn("next", ["start", "--port", String(webPort)], { env, stdio: "ignore" }),
      metrics: `${base}/api/metrics`,
    },
  ];
  for (const n of [1, 2]) {
    const port = await freePort();
    processes.push({
      name: `worker ${n}`,
      child: spawn(process.execPath, ["--import", "tsx", "worker/main.ts"], {
        env: { ...env, BATON_WORKER_HEALTH_PORT: String(port) },
        stdio: ["ignore", "ignore", "inherit"],
      }),
      metrics: `http://127.0.0.1:${port}/metrics`,
    });
  }
  for (const p of processes) await until(() => fetch(p.metrics).then((r) => r.ok), `${p.name} to answer`);

  const rss = async () =>
    Promise.all(
      processes.map(async (p) => {
        const text = await (await fetch(p.metrics)).text();
        return Number(/^baton_process_resident_memory_bytes (\d+)/m.exec(text)?.[1] ?? Number.NaN);
      }),
    );

  let hookMs: number[] = [];
  let apiMs: number[] = [];
  // Answers other than the expected one, by request and status ("error": no answer at all).
  let failures = new Map<string, number>();
  const failed = (what: string, status: number | undefined) => {
    const key = `${what} ${status ?? "error"}`;
    failures.set(key, (failures.get(key) ?? 0) + 1);
  };
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
  const timers = [
    setInterval(() => void deliver(), 1000 / WEBHOOKS_PER_SECOND),
    setInterval(() => void poll(), 1000 / POLLS_PER_SECOND),
  ];

  console.log(
    `soak: ${MINUTES} min; ${WEBHOOKS_PER_SECOND} webhooks/s, ${POLLS_PER_SECOND} UI polls/s, a DAG every minute; 1 web, 2 workers`,
  );
  const rows: Record<string, string>[] = [];
  const memory: number[][] = [];
  for (let minute = 1; minute <= MINUTES; minute++) {
    const from = new Date();
    await new Promise((resolve) => setTimeout(resolve, 60_000));
    const [runs, attempts] = await Promise.all([
      db.dagRun.count({ where: { workspaceId: workspace.id, endedAt: { gte: from } } }),
      db.taskAttempt.count({ where: { workspaceId: workspace.id, endedAt: { gte: from } } }),
    ]);
    const sizes = await rss();
    memory.push(sizes);
    rows.push({
      minute: String(minute),
      "runs/min": String(runs),
      "tasks/s": fmt(attempts / 60),
      "webhook p99 ms": fmt(percentile(hookMs, 99)),
      "API p99 ms": fmt(percentile(apiMs, 99)),
      failures: [...failures].map(([what, count]) => `${what}: ${count}`).join(", ") || "0",
      ...Object.fromEntries(processes.map((p, i) => [`${p.name} RSS MB`, fmt(sizes[i]! / 2 ** 20)])),
    });
    console.log(Object.values(rows.at(-1)!).join("  "));
    hookMs = [];
    apiMs = [];
    failures = new Map();
  }
  for (const timer of timers) clearInterval(timer);
  table(rows);

  const baseline = memory[Math.min(WARM_UP_MINUTES, memory.length) - 1]!;
  const last = memory.at(-1)!;
  const verdicts = processes.map((p, i) => {
    const growth = (last[i]! - baseline[i]!) / baseline[i]!;
    return `${p.name}: ${fmt(growth * 100)} % after warm-up (${growth < 0.1 ? "flat" : "GROWING"})`;
  });
  console.log(`memory: ${verdicts.join("; ")}`);

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

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
