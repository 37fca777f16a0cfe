// A worker process's resident memory stays bounded while code tasks print hundreds of megabytes:
// each line is cut inside the sandbox, so the host never holds more of it than the log takes, and
// a sandbox whose heap grew large is ended after its run rather than kept holding that heap.
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { triggerRun } from "@/server/engine/runs";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { logOf } from "../support/operators";
import { startWorkerProcess } from "../support/worker-processes";

const MiB = 1024 * 1024;
const TASKS = 4;
const TASK_MEMORY_MiB = 128;

let scope: WorkspaceScope;
let worker: ChildProcess | undefined;

/** A field of /proc/<pid>/status in bytes: VmRSS (resident now) or VmHWM (the peak so far). */
function memoryOf(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kB = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  if (!kB) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(kB[1]) * 1024;
}

beforeAll(async () => {
  const owner = await createUser("flood");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: TASKS });
  worker = await startWorkerProcess({ WORKER_CONCURRENCY: String(TASKS) });
});
afterAll(() => {
  worker?.kill("SIGKILL");
});

it("keeps the worker's memory bounded while four tasks each print 100 MB, and gives it back", async () => {
  const pid = worker!.pid!;
  // A warm-up run, so that the baseline includes the sandbox's own start-up.
  await storeDag(scope, {
    id: "warm",
    tasks: [{ id: "t", operator: "code", config: { source: "return 1" } }],
  });
  expect((await waitForRun((await triggerRun(scope, { dagKey: "warm" })).id, 60_000)).state).toBe("success");
  const baseline = memoryOf(pid, "VmRSS");

  await storeDag(scope, {
    id: "flood",
    tasks: Array.from({ length: TASKS }, (_, i) => ({
      id: `print_${i}`,
      operator: "code",
      config: {
        source: "console.log('z'.repeat(100 * 1024 * 1024));\nreturn 'printed';",
        limits: { memoryMiB: TASK_MEMORY_MiB, cpuMs: 30_000 },
      },
    })),
  });
  const run = await waitForRun((await triggerRun(scope, { dagKey: "flood" })).id, 120_000);
  expect(run.state).toBe("success");
  expect(run.taskInstances.map((t) => t.output)).toEqual(Array(TASKS).fill("printed"));
  expect(await logOf(scope, run.id, "print_0")).toMatch(/Log output truncated|log cut/);

  // The sandboxes' own heaps (the 100 MB strings, up to their limit each) are the only growth
  // allowed, with some slack; copying the lines out used to add about 300 MB per task.
  const peak = memoryOf(pid, "VmHWM");
  expect((peak - baseline) / MiB).toBeLessThan(TASKS * TASK_MEMORY_MiB + 128);

  // And it is given back: the large heaps end with their sandbox workers.
  let now = memoryOf(pid, "VmRSS");
  for (let i = 0; i < 100 && now - baseline > 160 * MiB; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    now = memoryOf(pid, "VmRSS");
  }
  expect((now - baseline) / MiB).toBeLessThan(160);
});
