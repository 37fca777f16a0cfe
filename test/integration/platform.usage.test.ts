// Usage in the platform console: one tenant's history with storage over time and live figures,
// and every tenant's metered use of one month exported for billing, counted exactly.
import type { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, it } from "vitest";
import { problemsOf } from "@/server/api/trpc";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { flushUsage, meter } from "@/server/usage/meter";
import { baton } from "../support/cli";
import { storeDag, workspaceScope } from "../support/engine";
import { codeOf, createUser } from "../support/factories";

type Person = Awaited<ReturnType<typeof createUser>>;
let admin: Person;

beforeAll(async () => {
  admin = await createUser("admin");
  const granted = await baton(["admin", "grant", admin.email]);
  expect(granted, granted.stderr).toMatchObject({ code: 0 });
});

const utcDay = (offsetDays: number) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + offsetDays));
};

async function storageOn(workspaceId: string, day: Date, bytes: number) {
  await db.usageDay.upsert({
    where: { workspaceId_day: { workspaceId, day } },
    create: { workspaceId, day, storageBytes: BigInt(bytes) },
    update: { storageBytes: BigInt(bytes) },
  });
}

describe("one tenant's usage in the console", () => {
  it("has 30 days of history with storage carried between measurements, and live figures", async () => {
    const tenant = await createUser("tenant");
    const id = tenant.workspace.id;
    meter(id, { taskRuns: 4, taskSeconds: 9, runs: 2 });
    await flushUsage();
    await storageOn(id, utcDay(-3), 5_000);
    await storageOn(id, utcDay(-1), 7_000);
    // No worker here: the run starts and its task waits for one.
    const scope = await workspaceScope(id);
    await storeDag(scope, { id: "work", tasks: [{ id: "t", operator: "noop" }] });
    await triggerRun(scope, { dagKey: "work" });

    const usage = await admin.api.platform.workspaceUsage({ workspace: tenant.workspace.slug });
    expect(usage.days).toHaveLength(30);
    const today = usage.days.at(-1)!;
    expect(today).toMatchObject({ taskRuns: 4, taskSeconds: 9, runs: 2, storageBytes: 7_000 });
    // at(-1) is today, at(-4) three days ago.
    expect(usage.days.at(-5)!.storageBytes).toBe(0);
    expect(usage.days.at(-4)!.storageBytes).toBe(5_000);
    expect(usage.days.at(-3)!.storageBytes).toBe(5_000);
    expect(usage.days.at(-2)!.storageBytes).toBe(7_000);
    expect(usage.live.queuedRuns + usage.live.runningRuns).toBe(1);
    expect(usage.live.queuedTasks + usage.live.runningTasks).toBe(1);
    expect(usage.summary.quotas.find((q) => q.key === "maxTaskRunsPerMonth")?.used).toBeGreaterThanOrEqual(4);
    expect(await codeOf(admin.api.platform.workspaceUsage({ workspace: "no-such-workspace" }))).toBe(
      "NOT_FOUND",
    );
  });
});

describe("the monthly usage export", () => {
  it("sums each workspace's month exactly, lists idle workspaces with zeros, as CSV and JSON", async () => {
    const busy = await createUser("busy");
    const idle = await createUser("idle");
    const november = (day: number) => new Date(Date.UTC(2026, 10, day, 12));
    meter(busy.workspace.id, { taskRuns: 3, taskSeconds: 1.25, runs: 1, webhookDeliveries: 2 }, november(3));
    meter(busy.workspace.id, { taskRuns: 4, taskSeconds: 2.5, runs: 1 }, november(30));
    // Neither the month before nor the month after counts.
    meter(busy.workspace.id, { taskRuns: 100 }, new Date(Date.UTC(2026, 9, 31, 23)));
    meter(busy.workspace.id, { taskRuns: 100 }, new Date(Date.UTC(2026, 11, 1, 0)));
    await flushUsage();
    await storageOn(busy.workspace.id, new Date(Date.UTC(2026, 10, 3)), 3_000);
    await storageOn(busy.workspace.id, new Date(Date.UTC(2026, 10, 30)), 2_000);

    const json = await admin.api.platform.exportUsage({ month: "2026-11", format: "json" });
    expect(json).toMatchObject({ filename: "baton-usage-2026-11.json", contentType: "application/json" });
    const rows = JSON.parse(json.body) as Record<string, unknown>[];
    expect(rows.find((r) => r.workspaceId === busy.workspace.id)).toEqual({
      month: "2026-11",
      workspaceId: busy.workspace.id,
      slug: busy.workspace.slug,
      name: busy.workspace.name,
      plan: "free",
      deleted: false,
      taskRuns: 7,
      taskSeconds: 3.75,
      runs: 2,
      webhookDeliveries: 2,
      peakStorageBytes: 3_000,
    });
    expect(rows.find((r) => r.workspaceId === idle.workspace.id)).toMatchObject({
      taskRuns: 0,
      peakStorageBytes: 0,
    });

    const csv = await admin.api.platform.exportUsage({ month: "2026-11", format: "csv" });
    const lines = csv.body.trimEnd().split("\n");
    expect(lines[0]).toBe(
      "month,workspaceId,slug,name,plan,deleted,taskRuns,taskSeconds,runs,webhookDeliveries,peakStorageBytes",
    );
    expect(lines).toContain(
      `2026-11,${busy.workspace.id},${busy.workspace.slug},${busy.workspace.name},free,,7,3.75,2,2,3000`,
    );
    expect(lines).toHaveLength(rows.length + 1);
  });

  it("refuses a month that is not YYYY-MM, naming the field", async () => {
    for (const month of ["2026-13", "November", "2026-1"]) {
      const error = (await admin.api.platform
        .exportUsage({ month, format: "csv" })
        .catch((e) => e)) as TRPCError;
      expect(error.code, month).toBe("BAD_REQUEST");
      expect(problemsOf(error).map((p) => p.path)).toEqual(["month"]);
    }
  });
});
