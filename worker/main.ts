// Production entry point of a worker process: `npm run worker` with DATABASE_URL set.
import { checkConfig } from "@/server/config";
import { closeDb } from "@/server/db/client";
import { startWorker } from "./runner";

checkConfig("worker", { production: true });
const runner = await startWorker();
console.log("baton worker running");

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`baton worker: ${signal}, finishing running jobs…`);
  await runner.stop();
  await closeDb();
  process.exit(0);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
await runner.promise;
