// A CPU hog for tests that must hold on a loaded machine: one thread spinning per core, beside
// whatever the test runs (CI shares two cores with other work; this makes that the normal case).
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/** Spins every core until the returned function is called. */
export function startCpuHog(threads = availableParallelism()): () => Promise<void> {
  const spinners = Array.from({ length: threads }, () => {
    const spinner = new Worker("for (;;) {}", { eval: true });
    spinner.unref();
    return spinner;
  });
  return async () => {
    await Promise.all(spinners.map((spinner) => spinner.terminate()));
  };
}
