// One scheduler in a process of its own, for the race test in
// test/integration/schedules.scheduler.test.ts. Run as `node --import tsx test/support/scheduler-race.ts`
// with DATABASE_URL set. It waits until RACE_GO_AT (epoch ms) so that every process starts at once,
// then, concurrently:
//  - claims due ticks and creates their runs until nothing has been due for a while, as
//    `schedule:tick` and `schedule:create-runs` do;
//  - creates the runs of RACE_TICKS directly, as a duplicated or retried job would.
// Prints `{ claimedTicks, created, existing }` as one JSON line.
import { closeDb } from "@/server/db/client";
import { type ClaimedTicks, claimDueTicks, createScheduledRuns } from "@/server/schedules/scheduler";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const goAt = Number(process.env.RACE_GO_AT ?? 0);
const duplicates = JSON.parse(process.env.RACE_TICKS ?? "[]") as ClaimedTicks[];

const totals = { claimedTicks: 0, created: 0, existing: 0 };
async function create(claim: ClaimedTicks) {
  const result = await createScheduledRuns(claim);
  totals.created += result.created;
  totals.existing += result.existing;
  if (result.skipped.length > 0) throw new Error(`skipped ticks: ${JSON.stringify(result.skipped)}`);
}

await sleep(Math.max(0, goAt - Date.now()));
await Promise.all([
  (async () => {
    for (let idle = 0; idle < 10; ) {
      const claims = await claimDueTicks({ limit: 3 });
      if (claims.length === 0) {
        idle++;
        await sleep(20);
        continue;
      }
      idle = 0;
      for (const claim of claims) {
        totals.claimedTicks += claim.ticks.length;
        await create(claim);
      }
    }
  })(),
  (async () => {
    for (const claim of duplicates) await create(claim);
  })(),
]);
console.log(JSON.stringify(totals));
await closeDb();
