// Worker processes of their own for tests (test/support/worker-process.ts), started with extra
// environment (its pools, its concurrency, …) against the test's database; killed at the end.
import { type ChildProcess, spawn } from "node:child_process";

const started = new Set<ChildProcess>();

/** Starts a worker process and resolves once it runs. */
export function startWorkerProcess(env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/support/worker-process.ts"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  started.add(child);
  child.on("exit", () => started.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("worker process did not start in 60 s")), 60_000);
    child.stdout!.on("data", (data: Buffer) => {
      if (data.toString().includes("ready")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on("error", reject);
  });
}

/** The worker processes started and still alive. */
export function workerProcesses(): ChildProcess[] {
  return [...started];
}

/** Kills every worker process still alive. */
export function killWorkerProcesses(): void {
  for (const child of started) child.kill("SIGKILL");
}
