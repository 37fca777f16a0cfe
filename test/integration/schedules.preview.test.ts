// Previewing schedules: tRPC (a stored DAG or a schedule being written), REST and the CLI.
import { beforeAll, describe, expect, it } from "vitest";
import { pushDag } from "@/server/dags/service";
import { openWorkspace } from "@/server/tenancy/door";
import { createToken } from "@/server/tokens/service";
import { baton } from "../support/cli";
import { createUser } from "../support/factories";
import { raw } from "../support/rest";

let owner: Awaited<ReturnType<typeof createUser>>;
let token: string;

beforeAll(async () => {
  owner = await createUser("preview");
  const scope = await openWorkspace(owner.caller, owner.workspace.slug, "tokens:manage");
  token = (await createToken(scope, { name: "viewer", role: "VIEWER" })).token;
  await pushDag(scope, {
    document: {
      id: "paris_morning",
      schedule: { type: "cron", cron: "30 2 * * *", timezone: "Europe/Paris" },
      startDate: "2030-03-30",
      tasks: [{ id: "t", operator: "noop" }],
    },
  });
});

describe("schedule preview", () => {
  it("of a stored DAG: its next runs, across the spring change, from its startDate", async () => {
    const preview = await owner.api.schedules.preview({
      workspace: owner.workspace.slug,
      dagId: "paris_morning",
      count: 3,
    });
    expect(preview).toMatchObject({ dagId: "paris_morning", timezone: "Europe/Paris", paused: false });
    // Clocks go forward on 2030-03-31: 02:30 does not exist that day and fires at 03:30 CEST.
    expect(preview.nextRunAt?.toISOString()).toBe("2030-03-31T01:30:00.000Z");
    expect(preview.runs.map((r) => [r.logicalDate.toISOString(), r.runAt.toISOString()])).toEqual([
      ["2030-03-30T01:30:00.000Z", "2030-03-31T01:30:00.000Z"], // 02:30 CET → 03:30 CEST
      ["2030-03-31T01:30:00.000Z", "2030-04-01T00:30:00.000Z"], // → 02:30 CEST: 23 h
      ["2030-04-01T00:30:00.000Z", "2030-04-02T00:30:00.000Z"],
    ]);
  });

  it("of a schedule being written", async () => {
    const preview = await owner.api.schedules.preview({
      workspace: owner.workspace.slug,
      schedule: { type: "interval", every: "90m" },
      startDate: "2031-01-01T00:00:00Z",
      count: 2,
    });
    expect(preview.runs.map((r) => r.runAt.toISOString())).toEqual([
      "2031-01-01T01:30:00.000Z",
      "2031-01-01T03:00:00.000Z",
    ]);
    await expect(
      owner.api.schedules.preview({
        workspace: owner.workspace.slug,
        schedule: { type: "cron", cron: "61 * * * *", timezone: "UTC" },
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("over REST", async () => {
    const path = "/dags/paris_morning/schedule/preview";
    const { status, body } = await raw("GET", `${path}?count=2`, { token });
    expect(status).toBe(200);
    expect(body.runs).toHaveLength(2);
    expect(body.runs[0].runAt).toBe("2030-03-31T01:30:00.000Z");
  });

  it("from the CLI, with wall-clock times in the zone", async () => {
    const cron = await baton(
      [
        "schedule",
        "preview",
        "--cron",
        "30 2 * * *",
        "--timezone",
        "Europe/Paris",
        "--start-date",
        "2030-03-28",
        "--count",
        "3",
      ],
      { token },
    );
    expect(cron.code, cron.stderr).toBe(0);
    const lines = cron.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^RUNS AT\s+LOCAL \(Europe\/Paris\)\s+LOGICAL DATE$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[1])).toEqual([
      "2030-03-29 02:30:00",
      "2030-03-30 02:30:00",
      "2030-03-31 03:30:00", // 02:30 does not exist that day
    ]);
    const dag = await baton(["schedule", "preview", "--dag", "paris_morning", "--json"], { token });
    expect(JSON.parse(dag.stdout).runs).toHaveLength(10);
    const every = await baton(["schedule", "preview", "--every", "1h30m", "--count", "1"], { token });
    expect(every.code).toBe(0);
  });

  it("refuses unusable options (exit 2) and schedules the Baton refuses (exit 1, naming the field)", async () => {
    const badCron = await baton(["schedule", "preview", "--cron", "* * *"], { token });
    expect(badCron.code).toBe(1);
    expect(badCron.stderr).toMatch(/\n {2}schedule\.cron: has 3 field\(s\)/);
    expect((await baton(["schedule", "preview", "--every", "10s"], { token })).stderr).toMatch(
      /schedule\.every: must be at least 1m/,
    );
    expect((await baton(["schedule", "preview", "--cron", "@daily", "--every", "1h"], { token })).code).toBe(
      2,
    );
    expect((await baton(["schedule", "preview", "--dag", "paris_morning"])).code).toBe(2);
    expect((await baton(["schedule", "preview", "--dag", "nope"], { token })).code).toBe(1);
  });
});

describe("zones whose clock changes used to fail the preview", () => {
  it("previews hourly in Australia/Lord_Howe (it answered 500) and a fixed offset", async () => {
    const lordHowe = await owner.api.schedules.preview({
      workspace: owner.workspace.slug,
      schedule: { type: "cron", cron: "0 * * * *", timezone: "Australia/Lord_Howe" },
      startDate: "2026-04-04T12:00:00Z",
      count: 6,
    });
    expect(lordHowe.runs).toHaveLength(6);
    const offset = await owner.api.schedules.preview({
      workspace: owner.workspace.slug,
      schedule: { type: "cron", cron: "0 9 * * *", timezone: "+05:30" },
      startDate: "2031-01-01",
      count: 1,
    });
    expect(offset.runs[0]!.logicalDate.toISOString()).toBe("2031-01-01T03:30:00.000Z");
  });
});
