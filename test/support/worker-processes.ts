// Starting worker processes for tests that measure or kill them (test/support/worker-process.ts is
// what each one runs): resolves once the worker is serving.
import { type ChildProcess, spawn } from "node:child_process";

export function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/support/worker-process.ts"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
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
