// The scheduler against a real database: nextRunAt kept right by pushes, pauses and archives;
// exactly the missed runs after a downtime (or only the latest without catch-up); and several
// scheduler processes racing over the same due ticks creating exactly one run per tick.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DagDocument } from "@/server/dags/definition";
import { archiveDag, pushDag, setPaused, unarchiveDag } from "@/server/dags/service";
import { db } from "@/server/db/client";
import {
  type ClaimedTicks,
  claimDueTicks,
  createScheduledRuns,
  scheduledRunKey,
} from "@/server/schedules/scheduler";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

let scope: WorkspaceScope;

beforeAll(async () => {
  const owner = await createUser("scheduler");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 50 });
});
afterAll(async () => {
  // Nothing of this file stays due for a scheduler that might look later.
  await db.dag.updateMany({ data: { nextRunAt: null, paused: true } });
});

const noop = [{ id: "t", operator: "noop" }];

async function push(document: Omit<DagDocument, "tasks">) {
  await pushDag(scope, { document: { ...document, tasks: noop } });
  return db.dag.findFirstOrThrow({ where: { workspaceId: scope.workspace.id, key: document.id } });
}

/** What one scheduler tick and its create-runs jobs do, at a chosen `now`. */
async function runDue(now: Date) {
  for (const claim of await claimDueTicks({ now })) await createScheduledRuns(claim);
}

async function scheduledRuns(key: string) {
  return db.dagRun.findMany({
    where: { workspaceId: scope.workspace.id, dag: { key } },
    orderBy: { logicalDate: "asc" },
    select: {
      logicalDate: true,
      dataIntervalStart: true,
      dataIntervalEnd: true,
      triggeredBy: true,
      runKey: true,
    },
  });
}

const hours = (runs: { logicalDate: Date }[]) => runs.map((r) => r.logicalDate.toISOString().slice(11, 16));

describe("two or more schedulers racing (separate processes)", () => {
  it("create exactly one run per tick, and claim each tick once", async () => {
    const minute = 60_000;
    const t0 = new Date(Math.floor(Date.now() / minute) * minute - 60 * minute);
    const keys = Array.from({ length: 12 }, (_, i) => `race_${i}`);
    const expected = Array.from({ length: 30 }, (_, k) => new Date(t0.getTime() + k * minute));
    for (const key of keys) {
      const dag = await push({
        id: key,
        schedule: { type: "interval", every: "1m" },
        startDate: t0.toISOString(),
        endDate: expected.at(-1)!.toISOString(),
        catchup: true,
        maxActiveRuns: 1000,
      });
      expect(dag.nextRunAt?.toISOString()).toBe(new Date(t0.getTime() + minute).toISOString());
    }
    // Half the DAGs also get every tick created directly by each process, racing the claims.
    const dags = await db.dag.findMany({
      where: { workspaceId: scope.workspace.id, key: { in: keys.slice(0, 6) } },
    });
    const duplicates: ClaimedTicks[] = dags.map((dag) => ({
      workspaceId: scope.workspace.id,
      dagId: dag.id,
      dagKey: dag.key,
      ticks: expected.map((start): [string, string] => [
        start.toISOString(),
        new Date(start.getTime() + minute).toISOString(),
      ]),
    }));

    const goAt = Date.now() + 4000;
    const processes = Array.from(
      { length: 3 },
      () =>
        new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
          const child = spawn(process.execPath, ["--import", "tsx", "test/support/scheduler-race.ts"], {
            env: { ...process.env, RACE_GO_AT: String(goAt), RACE_TICKS: JSON.stringify(duplicates) },
          });
          let out = "";
          let err = "";
          child.stdout.on("data", (chunk) => (out += chunk));
          child.stderr.on("data", (chunk) => (err += chunk));
          child.on("close", (code) => resolve({ code, out, err }));
        }),
    );
    const results = await Promise.all(processes);
    for (const r of results) expect(r.code, r.err).toBe(0);
    const totals = results.map((r) => JSON.parse(r.out.trim().split("\n").at(-1)!) as Record<string, number>);

    // Every tick was claimed by exactly one scheduler, and every run created by exactly one call.
    expect(totals.reduce((n, t) => n + t.claimedTicks!, 0)).toBe(keys.length * expected.length);
    expect(totals.reduce((n, t) => n + t.created!, 0)).toBe(keys.length * expected.length);
    for (const key of keys) {
      const runs = await scheduledRuns(key);
      expect(
        runs.map((r) => r.logicalDate.toISOString()),
        key,
      ).toEqual(expected.map((d) => d.toISOString()));
      expect(new Set(runs.map((r) => r.runKey)).size).toBe(expected.length);
      for (const run of runs) {
        expect(run.runKey).toBe(scheduledRunKey(run.logicalDate));
        expect(run.dataIntervalEnd!.getTime() - run.dataIntervalStart!.getTime()).toBe(minute);
      }
      const dag = await db.dag.findFirstOrThrow({ where: { workspaceId: scope.workspace.id, key } });
      expect(dag.nextRunAt).toBeNull(); // past endDate
      expect(dag.lastScheduledEnd?.toISOString()).toBe(new Date(t0.getTime() + 30 * minute).toISOString());
    }
  }, 60_000);
});

describe("catch-up after a downtime", () => {
  it("on: creates exactly the missed runs, with their data intervals", async () => {
    const dag = await push({
      id: "hourly_catchup",
      schedule: { type: "interval", every: "1h" },
      startDate: "2025-01-01",
      catchup: true,
    });
    expect(dag.nextRunAt?.toISOString()).toBe("2025-01-01T01:00:00.000Z");

    await runDue(new Date("2025-01-01T03:30:00Z"));
    expect(hours(await scheduledRuns("hourly_catchup"))).toEqual(["00:00", "01:00", "02:00"]);
    // Up to date: another tick in the same hour adds nothing.
    await runDue(new Date("2025-01-01T03:59:00Z"));
    expect(await scheduledRuns("hourly_catchup")).toHaveLength(3);

    // The scheduler was down from 03:59 to 09:10.
    await runDue(new Date("2025-01-01T09:10:00Z"));
    const runs = await scheduledRuns("hourly_catchup");
    expect(hours(runs)).toEqual([
      "00:00",
      "01:00",
      "02:00",
      "03:00",
      "04:00",
      "05:00",
      "06:00",
      "07:00",
      "08:00",
    ]);
    for (const run of runs) {
      expect(run.triggeredBy).toBe("schedule");
      expect(run.dataIntervalStart).toEqual(run.logicalDate);
      expect(run.dataIntervalEnd!.getTime() - run.logicalDate.getTime()).toBe(3_600_000);
    }
    const after = await db.dag.findFirstOrThrow({ where: { id: dag.id } });
    expect(after.nextRunAt?.toISOString()).toBe("2025-01-01T10:00:00.000Z");
    expect(after.lastScheduledEnd?.toISOString()).toBe("2025-01-01T09:00:00.000Z");
    await setPaused(scope, { dagId: "hourly_catchup", paused: true });
  });

  it("off: creates only the latest run", async () => {
    await push({ id: "hourly_latest", schedule: { type: "interval", every: "1h" }, startDate: "2025-01-01" });
    await runDue(new Date("2025-01-01T03:30:00Z"));
    expect(hours(await scheduledRuns("hourly_latest"))).toEqual(["02:00"]);
    await runDue(new Date("2025-01-01T09:10:00Z"));
    expect(hours(await scheduledRuns("hourly_latest"))).toEqual(["02:00", "08:00"]);
    await setPaused(scope, { dagId: "hourly_latest", paused: true });
  });

  it("on: a pause is caught up once unpaused", async () => {
    await push({
      id: "paused_catchup",
      schedule: { type: "cron", cron: "0 0 * * *", timezone: "UTC" },
      startDate: "2025-01-01",
      endDate: "2025-01-10",
      catchup: true,
    });
    await runDue(new Date("2025-01-03T12:00:00Z")); // logical dates 01-01, 01-02
    await setPaused(scope, { dagId: "paused_catchup", paused: true });
    await runDue(new Date("2025-01-06T12:00:00Z")); // paused: nothing
    expect(await scheduledRuns("paused_catchup")).toHaveLength(2);
    const unpaused = await setPaused(scope, { dagId: "paused_catchup", paused: false });
    expect(unpaused.nextRunAt?.toISOString()).toBe("2025-01-04T00:00:00.000Z"); // continues after 01-03
    await runDue(new Date("2025-01-06T12:00:00Z"));
    expect(
      (await scheduledRuns("paused_catchup")).map((r) => r.logicalDate.toISOString().slice(0, 10)),
    ).toEqual(["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04", "2025-01-05"]);
    await setPaused(scope, { dagId: "paused_catchup", paused: true });
  });
});

describe("nextRunAt follows the DAG", () => {
  it("is set on push, cleared on pause and archive, recomputed on unpause and on a new schedule", async () => {
    const before = Date.now();
    let dag = await push({ id: "follows", schedule: { type: "cron", cron: "*/5 * * * *", timezone: "UTC" } });
    // No startDate: the next fire time after now.
    expect(dag.nextRunAt!.getTime()).toBeGreaterThan(before);
    expect(dag.nextRunAt!.getTime()).toBeLessThanOrEqual(before + 5 * 60_000);
    expect(dag.nextRunAt!.getUTCMinutes() % 5).toBe(0);

    expect((await setPaused(scope, { dagId: "follows", paused: true })).nextRunAt).toBeNull();
    expect((await setPaused(scope, { dagId: "follows", paused: false })).nextRunAt).not.toBeNull();
    expect((await archiveDag(scope, "follows")).nextRunAt).toBeNull();
    expect((await unarchiveDag(scope, "follows")).nextRunAt).toBeNull(); // still paused

    await setPaused(scope, { dagId: "follows", paused: false });
    dag = await push({
      id: "follows",
      schedule: { type: "cron", cron: "0 6 * * *", timezone: "Europe/Paris" },
      startDate: "2030-01-01",
    });
    expect(dag.nextRunAt?.toISOString()).toBe("2030-01-02T05:00:00.000Z");
    dag = await push({ id: "follows" });
    expect(dag.nextRunAt).toBeNull(); // no schedule any more
  });
});

describe("schedules near clock changes, and a schedule that cannot be computed", () => {
  it("Australia/Lord_Howe hourly is pushed and scheduled (it used to answer 500 and be saved anyway)", async () => {
    const dag = await push({
      id: "lord_howe",
      schedule: { type: "cron", cron: "0 * * * *", timezone: "Australia/Lord_Howe" },
    });
    expect(dag.nextRunAt).not.toBeNull();
    expect(dag.scheduleError).toBeNull();
  });

  it("Africa/Cairo daily at midnight creates a run every day across the change, with catch-up", async () => {
    await push({
      id: "cairo_midnight",
      schedule: { type: "cron", cron: "0 0 * * *", timezone: "Africa/Cairo" },
      startDate: "2026-04-24",
      catchup: true,
    });
    await runDue(new Date("2026-04-28T12:00:00Z"));
    expect((await scheduledRuns("cairo_midnight")).map((r) => r.logicalDate.toISOString())).toEqual([
      "2026-04-23T22:00:00.000Z", // 01:00 EEST (UTC+3): midnight was skipped
      "2026-04-24T21:00:00.000Z",
      "2026-04-25T21:00:00.000Z",
      "2026-04-26T21:00:00.000Z",
    ]);
  });

  it("stops visibly: the DAG says why (API), the audit log and its editors are told once", async () => {
    const owner = await createUser("schedule-error");
    const ownerScope = await workspaceScope(owner.workspace.id);
    await pushDag(ownerScope, {
      document: {
        id: "far_away",
        schedule: { type: "cron", cron: "0 3 * * *", timezone: "Europe/Paris" },
        tasks: noop,
      },
    });
    // The world changes under a stored DAG: its zone is no longer in the runtime's tz data.
    const dag = await db.dag.findFirstOrThrow({
      where: { workspaceId: owner.workspace.id, key: "far_away" },
    });
    const stored = await db.dagVersion.findUniqueOrThrow({ where: { id: dag.currentVersionId! } });
    const definition = stored.definition as { schedule: { timezone: string } };
    definition.schedule.timezone = "Mars/Olympus";
    await db.dagVersion.update({ where: { id: stored.id }, data: { definition } });
    await db.dag.update({ where: { id: dag.id }, data: { nextRunAt: new Date(Date.now() - 60_000) } });
    await claimDueTicks({ now: new Date() });
    await claimDueTicks({ now: new Date() }); // nothing more to say: it is no longer claimed

    const shown = await owner.api.dags.get({ workspace: owner.workspace.slug, dagId: "far_away" });
    expect(shown.nextRunAt).toBeNull();
    expect(shown.scheduleError).toMatch(/^The schedule stopped: .*Mars\/Olympus/);
    const listed = await owner.api.dags.list({ workspace: owner.workspace.slug });
    expect(listed.items.find((d: { dagId: string }) => d.dagId === "far_away")?.scheduleError).toBe(
      shown.scheduleError,
    );
    const audit = await db.auditEvent.findMany({
      where: { workspaceId: owner.workspace.id, action: "schedule.error" },
    });
    expect(audit).toHaveLength(1);
    const notices = await db.notification.findMany({
      where: { workspaceId: owner.workspace.id, kind: "schedule_error" },
    });
    expect(notices).toMatchObject([{ userId: owner.user.id, title: "DAG far_away: schedule stopped" }]);

    // Its preview says why with a 422, not a 500.
    await expect(
      owner.api.schedules.preview({ workspace: owner.workspace.slug, dagId: "far_away", count: 3 }),
    ).rejects.toMatchObject({ code: "UNPROCESSABLE_CONTENT" });
    // A push of a schedule that cannot be computed is refused and saves nothing.
    const before = await db.dagVersion.count({ where: { dagId: dag.id } });
    await expect(
      owner.api.dags.push({
        workspace: owner.workspace.slug,
        document: {
          id: "far_away",
          schedule: { type: "cron", cron: "0 3 * * *", timezone: "Mars/Olympus" },
          tasks: noop,
        },
      }),
    ).rejects.toMatchObject({ code: "UNPROCESSABLE_CONTENT" });
    expect(await db.dagVersion.count({ where: { dagId: dag.id } })).toBe(before);
    // A fixed schedule clears the error.
    await pushDag(ownerScope, {
      document: {
        id: "far_away",
        schedule: { type: "cron", cron: "0 3 * * *", timezone: "+05:30" },
        tasks: noop,
      },
    });
    const fixed = await owner.api.dags.get({ workspace: owner.workspace.slug, dagId: "far_away" });
    expect(fixed.scheduleError).toBeNull();
    expect(fixed.nextRunAt).not.toBeNull();
    await db.dag.updateMany({
      where: { workspaceId: owner.workspace.id },
      data: { nextRunAt: null, paused: true },
    });
  });

  it("@once: one run, at startDate, then the DAG is no longer scheduled", async () => {
    await push({
      id: "just_once",
      schedule: { type: "cron", cron: "@once" },
      startDate: "2026-01-05T10:00:00Z",
    });
    await runDue(new Date("2026-01-06T00:00:00Z"));
    await runDue(new Date("2026-02-06T00:00:00Z"));
    const runs = await scheduledRuns("just_once");
    expect(runs).toMatchObject([
      {
        logicalDate: new Date("2026-01-05T10:00:00Z"),
        dataIntervalStart: new Date("2026-01-05T10:00:00Z"),
        dataIntervalEnd: new Date("2026-01-05T10:00:00Z"),
      },
    ]);
    expect(
      (await db.dag.findFirstOrThrow({ where: { workspaceId: scope.workspace.id, key: "just_once" } }))
        .nextRunAt,
    ).toBeNull();
  });
});
