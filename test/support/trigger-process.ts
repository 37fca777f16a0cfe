// A process that triggers runs until killed, for the trigger path's atomicity test:
// `node --import tsx test/support/trigger-process.ts` with DATABASE_URL, TRIGGER_WORKSPACE and
// TRIGGER_DAG set; 8 triggers in flight, "ready" printed once the first run exists.
import { triggerRun } from "@/server/engine/runs";
import { systemScope } from "@/server/tenancy/door";

const scope = await systemScope(process.env.TRIGGER_WORKSPACE!);
let announced = false;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    for (;;) {
      await triggerRun(scope, { dagKey: process.env.TRIGGER_DAG!, triggeredBy: "api" });
      if (!announced) process.stdout.write("ready\n");
      announced = true;
    }
  }),
);
