// `npm start` in a newcomer's checkout in a private folder (mode 0700; test/support/checkout.ts),
// with this tree's production build (the system suite builds it first; a first `npm start` would
// build the same): it starts the embedded PostgreSQL (for root, with its data where the `postgres`
// user can reach it), applies the migrations, and serves the web app and a worker until SIGTERM
// stops them all cleanly. As root when the suite runs as root (as `nobody` the build's hard links
// are not its own), else as the suite's ordinary user.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort } from "@/server/db/embedded";
import { checkout, newcomerEnv, removeCheckouts, run } from "../support/checkout";
import { until } from "../support/until";

let root: string;
let start: ChildProcess | undefined;
let output = "";

beforeAll(() => {
  root = checkout(undefined, { build: true });
});

afterAll(() => {
  if (start?.exitCode === null) process.kill(-start.pid!, "SIGKILL");
  removeCheckouts();
});

it("npm start brings the product up (web ready, a worker live) and SIGTERM stops it cleanly", async () => {
  const port = await freePort();
  start = spawn("npm", ["start"], {
    cwd: root,
    env: { ...newcomerEnv(path.dirname(root)), PORT: String(port) } as unknown as NodeJS.ProcessEnv,
    detached: true,
  });
  start.stdout!.on("data", (data: Buffer) => (output += data));
  start.stderr!.on("data", (data: Buffer) => (output += data));
  // Closed: npm and everything writing to its output (the script, the web, the worker) have ended.
  const closed = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    start!.once("close", (code, signal) => resolve({ code, signal })),
  );

  await until(
    "the web app to be ready",
    async () => {
      const answer = await fetch(`http://127.0.0.1:${port}/api/ready`);
      return answer.status === 200 && ((await answer.json()) as { ready: boolean }).ready;
    },
    240_000,
  );
  expect(output).toContain(`Baton is running at http://localhost:${port}`);
  // The worker is up and registered: the installation's own status says so.
  const status = await until(
    "a live worker",
    () => {
      const result = run("npx", ["baton", "--json", "status"], root);
      const parsed = result.status === 0 ? (JSON.parse(result.out) as { workers: unknown[] }) : undefined;
      return parsed && parsed.workers.length === 1 && parsed;
    },
    120_000,
  );
  expect(status.workers).toHaveLength(1);

  // What Ctrl-C in a terminal does: the signal to the whole process group.
  process.kill(-start.pid!, "SIGTERM");
  const { code, signal } = await closed;
  // `npm start`'s script exits 0; npm itself ends by the signal it received.
  expect(code === 0 || signal === "SIGTERM", `exit ${code}, signal ${signal}`).toBe(true);
  expect(output).toContain("[baton] stopped");
  await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();
  // Nothing a newcomer would read as trouble, stopping included (pretty logs under npm start).
  expect(output).not.toMatch(/EACCES|EBADENGINE|ERROR|connection lost/);
}, 600_000);
