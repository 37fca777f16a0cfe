// Backfills and the scheduler's own job on a real worker: progress and cancel, maxActiveRuns
// respected, dates that already have a run, the REST routes and the CLI; and `schedule:tick`
// creating runs as time passes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DagDocument } from "@/server/dags/definition";
import { pushDag, setPaused } from "@/server/dags/service";
import { db } from "@/server/db/client";
import { sql } from "@/server/engine/sql";
import { enqueue } from "@/server/jobs/catalog";
import { cancelBackfill, createBackfill, getBackfill } from "@/server/schedules/backfill";
import { openWorkspace, type WorkspaceScope } from "@/server/tenancy/door";
import { createToken } from "@/server/tokens/service";
import { baton } from "../support/cli";
import { startTestWorker, stopTestWorker } from "../support/engine";
import { createUser } from "../support/factories";
import { jsonCaller } from "../support/rest";

let owner: Awaited<ReturnType<typeof createUser>>;
let scope: WorkspaceScope;
let token: string;

beforeAll(async () => {
  owner = await createUser("backfill");
  await db.workspace.update({ where: { id: owner.workspace.id }, data: { maxConcurrentTasks: 50 } });
  scope = await openWorkspace(owner.caller, owner.workspace.slug, "tokens:manage");
  token = (await createToken(scope, { name: "ci", role: "OPERATOR" })).token;
  await startTestWorker(8);
});
afterAll(async () => {
  await stopTestWorker();
  await db.dag.updateMany({ data: { nextRunAt: null, paused: true } });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A daily DAG, paused so that only the backfill makes runs. */
async function dailyDag(id: string, extra: Partial<DagDocument> = {}, durationMs = 200) {
  await pushDag(scope, {
    document: {
      id,
      schedule: { type: "cron", cron: "0 0 * * *", timezone: "UTC" },
      startDate: "2025-01-01",
      tasks: [{ id: "work", operator: "test", config: { durationMs, output: "{{ run.logical_date }}" } }],
      ...extra,
    },
  });
  await setPaused(scope, { dagId: id, paused: true });
}

async function runsOf(key: string) {
  return db.dagRun.findMany({
    where: { workspaceId: owner.workspace.id, dag: { key } },
    orderBy: { logicalDate: "asc" },
    select: {
      id: true,
      state: true,
      logicalDate: true,
      dataIntervalEnd: true,
      triggeredBy: true,
      startedAt: true,
      endedAt: true,
    },
  });
}

async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe("backfill", () => {
  it("creates one run per logical date, at most maxActiveRuns at a time, with progress", async () => {
    await dailyDag("daily_report", { maxActiveRuns: 2 });
    const created = await createBackfill(scope, {
      dagId: "daily_report",
      from: "2025-01-01",
      to: "2025-01-10",
    });
    expect(created).toMatchObject({ state: "running", total: 10, dagId: "daily_report" });

    let mostRunning = 0;
    const done = await until("the backfill's runs", async () => {
      const runs = await runsOf("daily_report");
      mostRunning = Math.max(mostRunning, runs.filter((r) => r.state === "running").length);
      const progress = await getBackfill(scope, created.id);
      return progress.state === "done" && progress.finished === 10 && progress;
    });
    expect(done).toMatchObject({ total: 10, created: 10, existing: 0 });
    expect(done.runs).toEqual({ queued: 0, running: 0, success: 10, failed: 0, cancelled: 0 });
    expect(mostRunning).toBeLessThanOrEqual(2);

    const runs = await runsOf("daily_report");
    expect(runs.map((r) => r.logicalDate.toISOString().slice(0, 10))).toEqual(
      Array.from({ length: 10 }, (_, i) => `2025-01-${String(i + 1).padStart(2, "0")}`),
    );
    for (const run of runs) {
      expect(run.triggeredBy).toBe("backfill");
      expect(run.dataIntervalEnd!.getTime() - run.logicalDate.getTime()).toBe(86_400_000);
    }
    // Never more than two at once: each run started after all but one of the earlier ones ended.
    const starts = runs.map((r) => r.startedAt!.getTime()).sort((a, b) => a - b);
    const ends = runs.map((r) => r.endedAt!.getTime()).sort((a, b) => a - b);
    for (let i = 2; i < starts.length; i++) expect(starts[i]!).toBeGreaterThanOrEqual(ends[i - 2]!);

    // An overlapping range: dates with a run count as existing and are not run twice.
    const overlap = await createBackfill(scope, {
      dagId: "daily_report",
      from: "2025-01-09",
      to: "2025-01-12",
    });
    const second = await until("the overlapping backfill", async () => {
      const progress = await getBackfill(scope, overlap.id);
      return progress.state === "done" && progress.finished === 4 && progress;
    });
    expect(second).toMatchObject({ total: 4, created: 4, existing: 2 });
    expect(await runsOf("daily_report")).toHaveLength(12);
  });

  it("cancel stops creating runs and cancels the queued ones; the running one finishes", async () => {
    await dailyDag("slow_report", { maxActiveRuns: 1 }, 1500);
    const backfill = await createBackfill(scope, {
      dagId: "slow_report",
      from: "2025-01-01",
      to: "2025-01-31",
    });
    await until("a running run", async () =>
      (await runsOf("slow_report")).some((r) => r.state === "running"),
    );
    const cancelled = await cancelBackfill(scope, backfill.id);
    expect(cancelled.state).toBe("cancelled");
    expect(cancelled.created).toBeLessThan(31);
    await until("the running run to end", async () =>
      (await runsOf("slow_report")).every((r) => ["success", "cancelled"].includes(r.state)),
    );
    await sleep(1500);
    const runs = await runsOf("slow_report");
    expect(runs.filter((r) => r.state === "success")).toHaveLength(1);
    expect(runs.filter((r) => r.state === "cancelled").length).toBe(runs.length - 1);
    expect(runs.length).toBe((await getBackfill(scope, backfill.id)).created);
    await expect(cancelBackfill(scope, backfill.id)).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("refuses a DAG without a schedule, an empty or reversed range, and too many dates", async () => {
    await pushDag(scope, { document: { id: "manual_only", tasks: [{ id: "t", operator: "noop" }] } });
    await expect(
      createBackfill(scope, { dagId: "manual_only", from: "2025-01-01", to: "2025-01-02" }),
    ).rejects.toMatchObject({ code: "UNPROCESSABLE_CONTENT", problems: [{ path: "dagId" }] });
    await dailyDag("bounds");
    await expect(
      createBackfill(scope, { dagId: "bounds", from: "2025-02-01", to: "2025-01-01" }),
    ).rejects.toMatchObject({
      problems: [{ path: "to" }],
    });
    await expect(
      createBackfill(scope, { dagId: "bounds", from: "2025-01-01T01:00:00Z", to: "2025-01-01T02:00:00Z" }),
    ).rejects.toMatchObject({ problems: [{ path: "from" }] });
    await expect(
      createBackfill(scope, { dagId: "bounds", from: "1990-01-01", to: "2025-01-01" }),
    ).rejects.toMatchObject({
      problems: [{ path: "to" }],
    });
    await expect(
      createBackfill(scope, { dagId: "bounds", from: "2025-01-01", to: "2025-01-02", params: { nope: 1 } }),
    ).rejects.toMatchObject({ problems: [{ path: "params" }] });
  });

  it("works over REST: create (201), progress, cancel", async () => {
    await dailyDag("rest_report", { maxActiveRuns: 1 }, 1000);
    const call = jsonCaller(token);
    const created = await call("POST", "/dags/rest_report/backfills", {
      from: "2025-03-01",
      to: "2025-03-05",
    });
    expect(created).toMatchObject({ status: 201, body: { total: 5, state: "running" } });
    const progress = await call("GET", `/backfills/${created.body.id}`);
    expect(progress).toMatchObject({ status: 200, body: { id: created.body.id, total: 5 } });
    expect((await call("GET", "/backfills?dagId=rest_report")).body.items).toHaveLength(1);
    const cancelled = await call("POST", `/backfills/${created.body.id}/cancel`);
    expect(cancelled).toMatchObject({ status: 200, body: { state: "cancelled" } });
    expect(
      (await call("POST", "/dags/nope/backfills", { from: "2025-03-01", to: "2025-03-05" })).status,
    ).toBe(404);
  });

  it("works from the CLI: `baton backfill <dagId> --from --to` prints the backfill id", async () => {
    await dailyDag("cli_report");
    const { code, stdout, stderr } = await baton(
      ["backfill", "cli_report", "--from", "2025-04-01", "--to", "2025-04-03", "--wait"],
      { token },
    );
    expect(code, stderr).toBe(0);
    const id = stdout.trim();
    expect(await getBackfill(scope, id)).toMatchObject({ total: 3, state: "done", runs: { success: 3 } });
    expect(stderr).toContain("3/3 created");
  });
});

describe("schedule:tick on a worker", () => {
  it("creates runs as fire times pass, one per tick, and re-adds itself", async () => {
    await pushDag(scope, {
      document: {
        id: "every_two_seconds",
        schedule: { type: "cron", cron: "*/2 * * * * *", timezone: "UTC" },
        tasks: [{ id: "t", operator: "noop" }],
      },
    });
    await enqueue(sql, "schedule:tick", {}, { jobKey: "schedule:tick" });
    const runs = await until("three scheduled runs", async () => {
      const found = await runsOf("every_two_seconds");
      return found.length >= 3 && found;
    });
    await setPaused(scope, { dagId: "every_two_seconds", paused: true });
    for (let i = 0; i < runs.length; i++) {
      expect(runs[i]!.triggeredBy).toBe("schedule");
      expect(runs[i]!.dataIntervalEnd!.getTime() - runs[i]!.logicalDate.getTime()).toBe(2000);
      if (i > 0) expect(runs[i]!.logicalDate.getTime() - runs[i - 1]!.logicalDate.getTime()).toBe(2000);
    }
    const { rows } = await sql.query(`SELECT 1 FROM graphile_worker.jobs WHERE key = 'schedule:tick'`);
    expect(rows).toHaveLength(1);
  });
});
