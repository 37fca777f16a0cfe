// A worker process for tests that kill workers: `node --import tsx test/support/worker-process.ts`
// with DATABASE_URL set. It runs until killed.
import { startWorker } from "@/worker/runner";
import { registerCrashOperator } from "./crash-operator";

registerCrashOperator();
await startWorker({ concurrency: Number(process.env.WORKER_CONCURRENCY ?? 4) });
process.stdout.write("ready\n");
