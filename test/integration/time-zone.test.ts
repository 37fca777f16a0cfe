// Any host time zone: timestamps read and written through the engine's raw SQL (node-postgres)
// and through Prisma agree, and are UTC, on a host in New York. (.ci/run also runs the unit and
// integration suites under TZ=America/New_York.)
process.env.TZ = "America/New_York";

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { sql } from "@/server/engine/sql";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

beforeAll(() => startTestWorker(2));
afterAll(() => stopTestWorker());

describe("on a host in New York", () => {
  it("is in New York (the test would prove nothing on UTC)", () => {
    expect(new Date("2026-07-01T12:00:00Z").getTimezoneOffset()).toBe(240);
  });

  it("reads and writes timestamp(3) columns as UTC through node-postgres, as Prisma does", async () => {
    const owner = await createUser("tz");
    const scope = await workspaceScope(owner.workspace.id);
    await storeDag(scope, { id: "tz", tasks: [{ id: "only", operator: "noop" }] });
    const logicalDate = new Date("2026-03-08T06:30:00.123Z");
    const run = await triggerRun(scope, { dagKey: "tz", triggeredBy: "manual", logicalDate });
    const { rows } = await sql.query<{ logicalDate: Date; text: string }>(
      `SELECT "logicalDate", to_char("logicalDate", 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS text FROM "DagRun" WHERE id = $1`,
      [run.id],
    );
    expect(rows[0]!.text).toBe("2026-03-08T06:30:00.123");
    expect(rows[0]!.logicalDate.toISOString()).toBe(logicalDate.toISOString());
    const viaPrisma = await db.dagRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(viaPrisma.logicalDate.toISOString()).toBe(logicalDate.toISOString());

    // A Date written through node-postgres is stored as UTC too.
    await sql.query(`UPDATE "DagRun" SET "queuedAt" = $2 WHERE id = $1`, [run.id, logicalDate]);
    const written = await db.dagRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(written.queuedAt?.toISOString()).toBe(logicalDate.toISOString());
    await waitForRun(run.id);
  });

  it("runs every database session in UTC, so SQL comparing those columns with now() agrees", async () => {
    const { rows } = await sql.query<{ zone: string; lag: number }>(
      `SELECT current_setting('TimeZone') AS zone,
              abs(extract(epoch FROM (now()::timestamp - $1::timestamp)))::float AS lag`,
      [new Date()],
    );
    expect(rows[0]!.zone).toBe("UTC");
    // Off by the zone's offset (hours) otherwise.
    expect(rows[0]!.lag).toBeLessThan(600);
  });
});
