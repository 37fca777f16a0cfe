// `npm run bench -- webhooks`: webhook ingest through the public route handler
// (app/api/hooks/[endpointId]'s POST, as `next start` calls it), with a worker in the same process turning accepted
// deliveries into runs and running them (issue 17, point 2). Printed side by side, one run:
//
//  - floor: a bare route on the same server and pool that reads the body, checks an HMAC
//    (X-Baton-Signature) and inserts one row, driven by the same senders: the least any ingest
//    does per delivery;
//  - Baton: SENDERS concurrent senders deliver HMAC-signed payloads, each with its own
//    Idempotency-Key (the realistic path: endpoint looked up, signature checked, rate counted,
//    params mapped and validated, delivery accepted in one insert) for SECONDS seconds, spread over
//    DAGS DAGs of one workspace: accepted deliveries per second and answer p50/p99. Twice: with
//    the worker stopped (the web process's work alone; the engine then creates the backlog's runs,
//    timed), and with the worker creating and running the runs meanwhile in the same process;
//  - exactly once: after the load drains, every accepted delivery has exactly one run;
//  - idle: one delivery every 50 ms on an otherwise idle system: delivery → first task start.
//
// Start times are PostgreSQL's (TaskAttempt.startedAt, ms precision), send times the process
// clock; both are the same machine's clock.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { loadavg } from "node:os";
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
  const { sql } = await import("../server/engine/sql");
  const { systemScope } = await import("../server/tenancy/door");
  const { pushDag } = await import("../server/dags/service");
  const { createWebhook } = await import("../server/webhooks/endpoints");
  // The route handler itself (request id, metrics, its log line), as `next start` calls it.
  const { POST: hookRoute } = await import("../app/api/hooks/[endpointId]/route");
  const { signBody } = await import("../server/webhooks/signature");
  const { startWorker } = await import("../worker/runner");

  const { workspace } = await createAccount({
    email: "hooks@bench.example",
    name: "hooks",
    password: "benchmark password",
  });
  await db.workspace.update({
    where: { id: workspace.id },
    data: { maxConcurrentTasks: 10_000, maxConcurrentRuns: 100_000, webhookRateLimitPerMinute: 10_000_000 },
  });
  const scope = await systemScope(workspace.id);
  const hooks: Array<{ id: string; secret: string }> = [];
  for (let i = 0; i < DAGS; i++) {
    await pushDag(scope, {
      document: {
        id: `on_push_${i}`,
        maxActiveRuns: 1000,
        params: { ref: { type: "string", required: true }, n: { type: "integer", default: 0 } },
        tasks: [{ id: "build", operator: "noop" }],
      },
    });
    const created = await createWebhook(scope, {
      dagId: `on_push_${i}`,
      name: "bench",
      authMode: "hmac",
      paramMapping: { ref: "/ref", n: "/n" },
      baseUrl: "http://bench.local",
    });
    hooks.push({ id: created.id, secret: created.secret! });
  }

  // The floor: read the body, check the HMAC, insert one row.
  await sql.query(
    `CREATE TABLE bench_floor (id uuid PRIMARY KEY, received_at timestamptz NOT NULL, body text NOT NULL)`,
  );
  const secrets = new Map(hooks.map((h) => [h.id, h.secret]));
  async function floorRoute(request: Request, hookId: string): Promise<Response> {
    const floorSecret = secrets.get(hookId) ?? "";
    const body = Buffer.from(await request.arrayBuffer());
    const header = request.headers.get("x-baton-signature") ?? "";
    const t = /t=(\d+)/.exec(header)?.[1] ?? "";
    const given = Buffer.from(/v1=([0-9a-f]+)/.exec(header)?.[1] ?? "", "hex");
    const expected = createHmac("sha256", floorSecret).update(`${t}.`).update(body).digest();
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return new Response('{"error":"unauthorized"}', { status: 401 });
    }
    const id = randomUUID();
    await sql.query(`INSERT INTO bench_floor (id, received_at, body) VALUES ($1, now(), $2)`, [
      id,
      body.toString("utf8"),
    ]);
    return new Response(JSON.stringify({ deliveryId: id }), {
      status: 202,
      headers: { "content-type": "application/json" },
    });
  }

  const sent = new Map<string, number>();
  async function deliver(
    route: "floor" | "baton",
    n: number,
    key: string,
    hook: { id: string; secret: string },
  ): Promise<number> {
    const body = JSON.stringify({
      ref: "refs/heads/main",
      n,
      commits: [{ id: randomUUID(), message: "bench" }],
    });
    const headers = {
      "content-type": "application/json",
      "x-baton-signature": signBody(hook.secret, body),
      "idempotency-key": key,
    };
    const request = new Request(`http://bench.local/api/hooks/${hook.id}`, { method: "POST", headers, body });
    const at = Date.now();
    const started = performance.now();
    const response =
      route === "floor"
        ? await floorRoute(request, hook.id)
        : await hookRoute(request, { params: Promise.resolve({ endpointId: hook.id }) });
    const answered = performance.now() - started;
    const answer = (await response.json()) as { runId?: string };
    if (response.status !== 202)
      throw new Error(`${route} answered ${response.status}: ${JSON.stringify(answer)}`);
    if (route === "baton") sent.set(answer.runId!, at);
    return answered;
  }

  /** SENDERS senders for SECONDS seconds, sender k delivering to hook k mod DAGS. */
  async function sustained(route: "floor" | "baton", phase: string) {
    const answers: number[] = [];
    const until = performance.now() + SECONDS * 1000;
    const t0 = performance.now();
    const load = loadavg()[0]!;
    await Promise.all(
      Array.from({ length: SENDERS }, async (_, sender) => {
        for (let i = 0; performance.now() < until; i++) {
          answers.push(await deliver(route, i, `${phase}-${sender}-${i}`, hooks[sender % hooks.length]!));
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    return { rate: answers.length / elapsed, answers, load };
  }

  /** Waits until no delivery is pending and the runs named have ended. */
  async function drain(runIds: string[], timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await sql.query<{ pending: number; open: number }>(
        `SELECT (SELECT count(*)::int FROM "WebhookDelivery" WHERE result = 'pending') AS pending,
                (SELECT count(*)::int FROM "DagRun" WHERE id = ANY($1::uuid[]) AND state IN ('queued', 'running')) AS open`,
        [runIds],
      );
      if ((rows[0]!.pending === 0 && rows[0]!.open === 0) || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function firstStarts(runIds: string[]): Promise<number[]> {
    const { rows } = await sql.query<{ runId: string; first: Date }>(
      `SELECT t."runId", min(a."startedAt") AS first FROM "TaskAttempt" a JOIN "TaskInstance" t ON t.id = a."taskInstanceId"
       WHERE t."runId" = ANY($1::uuid[]) GROUP BY t."runId"`,
      [runIds],
    );
    return rows.map((r) => r.first.getTime() - sent.get(r.runId)!);
  }

  let runner = await startWorker({ concurrency: WORKER_CONCURRENCY });
  try {
    // Warm-up: connections, caches, JIT, on both routes.
    for (let i = 0; i < 50; i++) {
      await deliver("floor", i, `warm-floor-${i}`, hooks[0]!);
      await deliver("baton", i, `warm-baton-${i}`, hooks[i % hooks.length]!);
    }
    await drain([...sent.keys()], 60_000);
    sent.clear();

    await runner.stop();
    const floor = await sustained("floor", "floor");
    const alone = await sustained("baton", "baton-alone");
    const backlog = [...sent.keys()];
    sent.clear();
    const t0 = performance.now();
    runner = await startWorker({ concurrency: WORKER_CONCURRENCY });
    await drain(backlog, 300_000);
    const backlogSeconds = (performance.now() - t0) / 1000;
    const baton = await sustained("baton", "baton-running");
    const runIds = [...sent.keys()];
    await drain(runIds, 300_000);
    const { rows: once } = await sql.query<{
      deliveries: number;
      runs: number;
      doubled: number;
      missing: number;
    }>(
      `SELECT count(*)::int AS deliveries,
              count(r.id)::int AS runs,
              (SELECT count(*)::int FROM (SELECT "runKey" FROM "DagRun" WHERE "triggeredBy" = 'webhook' GROUP BY "dagId", "runKey" HAVING count(*) > 1) x) AS doubled,
              count(*) FILTER (WHERE r.id IS NULL)::int AS missing
       FROM "WebhookDelivery" d LEFT JOIN "DagRun" r ON r.id = d."runId" AND r."runKey" = 'webhook__' || d.id
       WHERE d.result = 'accepted' AND d."idempotencyKey" LIKE 'baton-%' AND d."receivedAt" > $1`,
      [new Date(Date.now() - 3_600_000)],
    );
    const underLoad = await firstStarts(runIds);
    sent.clear();

    // Paced, on an idle system.
    const pacedAnswers: number[] = [];
    for (let i = 0; i < PACED; i++) {
      const next = performance.now() + 50;
      pacedAnswers.push(await deliver("baton", i, `paced-${i}`, hooks[0]!));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
    }
    const pacedRuns = [...sent.keys()];
    await drain(pacedRuns, 30_000);
    const idle = await firstStarts(pacedRuns);

    const pair = (values: number[]) => `${fmt(percentile(values, 50))} / ${fmt(percentile(values, 99))}`;
    const checked = once[0]!;
    console.log(
      `\n${SENDERS} senders, ${SECONDS} s each, ${DAGS} DAGs of one workspace, worker concurrency ${WORKER_CONCURRENCY}; ` +
        `1-minute load average at the start of each phase: floor ${fmt(floor.load)}, Baton ${fmt(alone.load)} and ${fmt(baton.load)} (2 cores).`,
    );
    console.table([
      {
        measure: "deliveries/s sustained, worker stopped",
        floor: fmt(floor.rate, 0),
        baton: fmt(alone.rate, 0),
        "baton / floor": fmt(alone.rate / floor.rate, 2),
      },
      {
        measure: "answer p50 / p99, worker stopped (ms)",
        floor: pair(floor.answers),
        baton: pair(alone.answers),
      },
      {
        measure: "runs created by the engine from that backlog, per s",
        floor: "",
        baton: `${fmt(backlog.length / backlogSeconds, 0)} (${backlog.length} in ${fmt(backlogSeconds, 1)} s, run to the end)`,
      },
      {
        measure: "deliveries/s sustained, worker running the runs",
        floor: "",
        baton: fmt(baton.rate, 0),
        "baton / floor": fmt(baton.rate / floor.rate, 2),
      },
      { measure: "answer p50 / p99, worker running the runs (ms)", floor: "", baton: pair(baton.answers) },
      { measure: "answer p50 / p99 idle (ms)", floor: "", baton: pair(pacedAnswers) },
      { measure: "delivery → first task start p50 / p99, idle (ms)", floor: "", baton: pair(idle) },
      {
        measure: "delivery → first task start p50 / p99, under the load (ms)",
        floor: "",
        baton: pair(underLoad),
      },
      {
        measure: "accepted deliveries; with their run; runs doubled; missing",
        floor: "",
        baton: `${checked.deliveries} (of ${alone.answers.length + baton.answers.length} answered 202); ${checked.runs}; ${checked.doubled}; ${checked.missing}`,
      },
    ]);
  } finally {
    await runner.stop();
    await closeDb();
    await database.stop();
  }
}
