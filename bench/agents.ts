// `npm run bench -- agents` (issue 19): agents against the shared workers, side by side in one run
// on one database server: task pickup latency on an idle agent (ready → started: the instance's
// queuedAt to its attempt's startedAt, both the database's clocks), and a 40-task chain of
// `true` commands on an agent against the same chain of noop tasks on a shared worker. The agent
// is the client build (`baton agent`), a process of its own talking HTTP to the web app
// (`next start`: run `npm run build` first), as a customer's machine would. Target: pickup p50 < 50 ms.
import { benchDatabase, benchWorkspace, fmt, percentile, table } from "./support";

const PICKUPS = 30;

export default async function agentsBench() {
  const database = await benchDatabase("agents");
  process.env.DATABASE_URL = database.url;
  const { closeDb } = await import("../server/db/client");
  const { triggerRun } = await import("../server/engine/runs");
  const { createPool } = await import("../server/pools/service");
  const { startWorker } = await import("../worker/runner");
  const { storeDag, waitForRun } = await import("../test/support/engine");
  const { startApp } = await import("../test/support/browser");
  const { clientCli } = await import("../test/support/client-cli");
  const { stopAgentWakeups } = await import("../server/engine/agents");

  const [server, cli] = await Promise.all([startApp(), clientCli()]);
  const runner = await startWorker({ concurrency: 4 });
  const scope = await benchWorkspace("agents", { maxConcurrentTasks: 100 });
  const { joinToken } = await createPool(scope, { name: "etl", slots: 10, agents: true });
  const agent = cli.spawn(["agent", "--url", server.url, "--token", joinToken!]);
  agent.stdout?.resume();
  let stderr = "";
  agent.stderr?.on("data", (chunk) => (stderr += chunk));
  try {
    while (!/registered as/.test(stderr)) await new Promise((resolve) => setTimeout(resolve, 100));
    const chain = (id: string, operator: string, config: object, pool?: string) => ({
      id,
      tasks: Array.from({ length: 40 }, (_, i) => ({
        id: `t${i}`,
        operator,
        config,
        ...(pool ? { pool } : {}),
        dependsOn: i ? [`t${i - 1}`] : [],
      })),
    });
    await storeDag(scope, {
      id: "one",
      tasks: [{ id: "t", operator: "shell", pool: "etl", config: { command: "true" } }],
    } as never);
    await storeDag(scope, { id: "one_shared", tasks: [{ id: "t", operator: "noop" }] } as never);
    await storeDag(scope, chain("agent_chain", "shell", { command: "true" }, "etl") as never);
    await storeDag(scope, chain("shared_chain", "noop", {}) as never);

    // Pickup on an idle agent (and on an idle shared worker): one task at a time, each after the last has ended.
    const pickup = async (dagKey: string) => {
      await waitForRun((await triggerRun(scope, { dagKey })).id, 60_000); // warm-up
      const waits: number[] = [];
      for (let i = 0; i < PICKUPS; i++) {
        const run = await waitForRun((await triggerRun(scope, { dagKey })).id, 60_000);
        const task = run.taskInstances[0]!;
        waits.push(task.attempts[0]!.startedAt.getTime() - task.queuedAt!.getTime());
      }
      return waits;
    };
    const pickups = await pickup("one");
    const sharedPickups = await pickup("one_shared");
    const timed = async (dagKey: string) => {
      const run = await waitForRun((await triggerRun(scope, { dagKey })).id, 120_000);
      if (run.state !== "success") throw new Error(`${dagKey} ended ${run.state}`);
      return run.endedAt!.getTime() - run.queuedAt.getTime();
    };
    const agentChain = await timed("agent_chain");
    const sharedChain = await timed("shared_chain");
    const row = (measure: string, agent: number, shared: number, digits: number, target = "") => ({
      measure,
      agent: fmt(agent, digits),
      "shared worker": fmt(shared, digits),
      ratio: fmt(agent / shared, 2),
      target,
    });
    table([
      row(
        "pickup p50 (ms), idle",
        percentile(pickups, 50),
        percentile(sharedPickups, 50),
        0,
        "agent < 50 ms",
      ),
      row("pickup p99 (ms), idle", percentile(pickups, 99), percentile(sharedPickups, 99), 0),
      row(
        "40-task chain (s): `true` on an agent, noop on a shared worker",
        agentChain / 1000,
        sharedChain / 1000,
        2,
      ),
    ]);
  } finally {
    agent.kill("SIGTERM");
    await new Promise((resolve) => agent.once("exit", resolve));
    await runner.stop();
    await server.stop();
    await stopAgentWakeups();
    await closeDb();
    await database.stop();
  }
}
