// `npm run bench -- webhooks`: webhook deliveries through the public route handler
// (receiveWebhook, as app/api/hooks/[endpointId] calls it), with a worker in the same process
// running the runs they start (issue "Triggers", point 5 and "Must hold").
//
//  - sustained: SENDERS concurrent senders deliver HMAC-signed payloads, each with its own
//    Idempotency-Key (the realistic path: key claimed, params mapped and validated, run created,
//    delivery logged), for SECONDS seconds: accepted deliveries per second, answer latency.
//    Twice: all to one DAG (the engine creates one DAG's runs one at a time, under its row lock),
//    then spread over DAGS DAGs of the workspace, one endpoint each;
//  - latency: one delivery every 50 ms on an idle system: delivery → first task start (p50, p99).
//    Under the sustained load the same figure is also reported; it then includes the queue of
//    runs the load itself created.
//
// Start times are PostgreSQL's (TaskAttempt.startedAt, ms precision), send times the process
// clock; both are the same machine's clock.
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { benchDatabase, fmt, percentile } from "./support";

const SENDERS = Number(process.env.BENCH_WEBHOOK_SENDERS ?? 32);
const SECONDS = Number(process.env.BENCH_WEBHOOK_SECONDS ?? 10);
const PACED = Number(process.env.BENCH_WEBHOOK_PACED ?? 100);
const DAGS = Number(process.env.BENCH_WEBHOOK_DAGS ?? 8);
const WORKER_CONCURRENCY = 10;

export default async function webhooksBench() {
  const database = await benchDatabase("webhooks");
  process.env.DATABASE_URL = database.url;
  // The web process and the worker share this process (and its pool) here; in production each
  // has its own pool of BATON_DB_POOL_SIZE (10).
  process.env.BATON_DB_POOL_SIZE ??= "20";
  const { generateKey } = await import("../server/secrets/crypto");
  process.env.BATON_MASTER_KEYS ??= `1:${generateKey()}`;

  const { createAccount } = await import("../server/auth/accounts");
  const { db, closeDb } = await import("../server/db/client");
  const { systemScope } = await import("../server/tenancy/door");
  const { pushDag } = await import("../server/dags/service");
  const { createWebhook } = await import("../server/webhooks/endpoints");
  const { receiveWebhook } = await import("../server/webhooks/receive");
  const { signBody } = await import("../server/webhooks/signature");
  const { startWorker } = await import("../worker/runner");

  const { workspace } = await createAccount({
    email: "hooks@bench.example",
    name: "hooks",
    password: "benchmark password",
  });
  await db.workspace.update({
    where: { id: workspace.id },
    data: { maxConcurrentTasks: 10_000, webhookRateLimitPerMinute: 10_000_000 },
  });
  const scope = await systemScope(workspace.id);
  const hooks: Awaited<ReturnType<typeof createWebhook>>[] = [];
  for (let i = 0; i < DAGS; i++) {
    await pushDag(scope, {
      document: {
        id: `on_push_${i}`,
        maxActiveRuns: 1000,
        params: { ref: { type: "string", required: true }, n: { type: "integer", default: 0 } },
        tasks: [{ id: "build", operator: "noop" }],
      },
    });
    hooks.push(
      await createWebhook(scope, {
        dagId: `on_push_${i}`,
        name: "bench",
        authMode: "hmac",
        paramMapping: { ref: "/ref", n: "/n" },
        baseUrl: "http://bench.local",
      }),
    );
  }

  const sent = new Map<string, number>();
  async function deliver(n: number, key?: string, hook = hooks[0]!) {
    const body = JSON.stringify({
      ref: "refs/heads/main",
      n,
      commits: [{ id: randomUUID(), message: "bench" }],
    });
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "x-baton-signature": signBody(hook.secret, body),
    };
    if (key) headers["idempotency-key"] = key;
    const at = Date.now();
    const started = performance.now();
    const response = await receiveWebhook(
      new Request(`http://bench.local/api/hooks/${hook.id}`, { method: "POST", headers, body }),
      hook.id,
    );
    const answered = performance.now() - started;
    const answer = (await response.json()) as { runId?: string };
    if (response.status !== 202 || !answer.runId)
      throw new Error(`delivery answered ${response.status}: ${JSON.stringify(answer)}`);
    sent.set(answer.runId, at);
    return answered;
  }

  async function firstStarts(runIds: string[], timeoutMs: number): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const open = await db.dagRun.count({
        where: { id: { in: runIds }, state: { in: ["queued", "running"] } },
      });
      if (open === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const starts = await db.taskAttempt.groupBy({
      by: ["taskInstanceId"],
      where: { taskInstance: { runId: { in: runIds } } },
      _min: { startedAt: true },
    });
    const runOf = new Map(
      (
        await db.taskInstance.findMany({
          where: { id: { in: starts.map((s) => s.taskInstanceId) } },
          select: { id: true, runId: true },
        })
      ).map((t) => [t.id, t.runId]),
    );
    const firstByRun = new Map<string, number>();
    for (const s of starts) {
      const runId = runOf.get(s.taskInstanceId)!;
      const t = s._min.startedAt!.getTime();
      firstByRun.set(runId, Math.min(firstByRun.get(runId) ?? t, t));
    }
    return runIds.flatMap((id) => (firstByRun.has(id) ? [firstByRun.get(id)! - sent.get(id)!] : []));
  }

  const runner = await startWorker({ concurrency: WORKER_CONCURRENCY });
  try {
    for (let i = 0; i < 50; i++) await deliver(i); // warm-up: connections, caches, JIT
    sent.clear();

    /** SENDERS senders for SECONDS seconds, sender k delivering to hook k mod `spread`. */
    async function sustained(spread: number) {
      const answers: number[] = [];
      let accepted = 0;
      const until = performance.now() + SECONDS * 1000;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: SENDERS }, async (_, sender) => {
          for (let i = 0; performance.now() < until; i++) {
            answers.push(await deliver(i, `bench-${spread}-${sender}-${i}`, hooks[sender % spread]));
            accepted++;
          }
        }),
      );
      const elapsed = (performance.now() - t0) / 1000;
      const runs = [...sent.keys()];
      const starts = await firstStarts(runs, 120_000);
      sent.clear();
      return { rate: accepted / elapsed, answers, starts, runs: runs.length };
    }
    const one = await sustained(1);
    const spread = await sustained(DAGS);

    // Paced, on an idle system.
    const pacedAnswers: number[] = [];
    for (let i = 0; i < PACED; i++) {
      const next = performance.now() + 50;
      pacedAnswers.push(await deliver(i, `paced-${i}`));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
    }
    const idle = await firstStarts([...sent.keys()], 30_000);

    const pair = (values: number[]) => `${fmt(percentile(values, 50))} / ${fmt(percentile(values, 99))}`;
    console.table([
      {
        measure: `deliveries/s sustained, one DAG (${SENDERS} senders, ${SECONDS} s)`,
        value: fmt(one.rate, 0),
      },
      { measure: `deliveries/s sustained, over ${DAGS} DAGs`, value: fmt(spread.rate, 0) },
      { measure: "answer p50 / p99 under load, one DAG (ms)", value: pair(one.answers) },
      { measure: `answer p50 / p99 under load, ${DAGS} DAGs (ms)`, value: pair(spread.answers) },
      { measure: "delivery → first task start p50 / p99, idle (ms)", value: pair(idle) },
      { measure: "answer p50 / p99, idle (ms)", value: pair(pacedAnswers) },
      { measure: "delivery → first task start p50 / p99 under load, one DAG (ms)", value: pair(one.starts) },
      {
        measure: `delivery → first task start p50 / p99 under load, ${DAGS} DAGs (ms)`,
        value: pair(spread.starts),
      },
      {
        measure: "runs started / deliveries (one DAG; spread)",
        value: `${one.starts.length} / ${one.runs}; ${spread.starts.length} / ${spread.runs}`,
      },
    ]);
  } finally {
    await runner.stop();
    await closeDb();
    await database.stop();
  }
}
