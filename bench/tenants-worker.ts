// The worker process of `npm run bench -- tenants`: a Baton worker (10 slots) that also answers
// "stats" on stdin with how many DAG versions it has read and compiled (its cache's misses).
import { createInterface } from "node:readline";
import { dagCacheStats } from "@/server/engine/graph";
import { startWorker } from "@/worker/runner";

await startWorker({ concurrency: Number(process.env.WORKER_CONCURRENCY ?? 10) });
process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "stats") process.stdout.write(`stats ${JSON.stringify(dagCacheStats)}\n`);
}
