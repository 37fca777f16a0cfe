// Agents (issue 19): real `baton agent` processes (the client build, as a customer runs it: no
// database, only a URL and a join token) against the test server over HTTP, running a workspace's
// shell and python_script tasks on "its own machine". Shared workers never run them; another
// workspace's agents never see them; a SIGKILLed agent's attempt is retried on another agent; a
// revoked agent stops.
import type { ChildProcess } from "node:child_process";
import { connect, createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSecret } from "@/server/config/secrets";
import { db } from "@/server/db/client";
import { stopAgentWakeups } from "@/server/engine/agents";
import { getRun } from "@/server/engine/queries";
import { triggerRun } from "@/server/engine/runs";
import { generateKey } from "@/server/secrets/crypto";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { startApiServer } from "../support/api-server";
import { type ClientCli, clientCli } from "../support/client-cli";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { until } from "../support/until";

type Person = Awaited<ReturnType<typeof createUser>>;

const SECRET = "s3cr3t-agent-value-4711";

let acme: Person;
let other: Person;
let acmeScope: WorkspaceScope;
let otherScope: WorkspaceScope;
let server: Awaited<ReturnType<typeof startApiServer>>;
let cli: ClientCli;
const started: ChildProcess[] = [];

interface RunningAgent {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startAgent(joinToken: string, ...args: string[]): RunningAgent {
  const child = cli.spawn(["agent", "--url", server.url, "--token", joinToken, ...args]);
  started.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk) => (stderr += chunk));
  child.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

/** The agent id an agent process registered as (it says so on stderr). */
const agentIdOf = (agent: RunningAgent) =>
  until("the agent to register", () => /registered as ([0-9a-f-]{36})/.exec(agent.stderr())?.[1], 60_000);

async function createAgentPool(person: Person, name: string, slots = 10) {
  const pool = await person.api.pools.create({ workspace: person.workspace.slug, name, slots, agents: true });
  expect(pool).toMatchObject({ name, agents: true, workerPool: expect.stringMatching(/^agent:/) });
  expect(pool.joinToken).toMatch(/^baton_join_/);
  return pool.joinToken!;
}

async function logOf(attemptId: string): Promise<string> {
  const chunks = await db.taskLog.findMany({ where: { attemptId }, orderBy: { id: "asc" } });
  return chunks.map((c) => c.text).join("");
}

function agentCall(path: string, token: string, body: unknown, protocol = "1") {
  return fetch(`${server.url}/api/v1/agent${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "baton-agent-protocol": protocol,
    },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;
  // Agents and workers count as gone after 20 s without heartbeats: a loaded machine gets 10 s
  // silences, and the network-drop test adds 3 s of outage and the agent's backoff to them.
  process.env.BATON_LOST_ATTEMPT_SECONDS = "20";
  process.env.BATON_REAP_EVERY_MS = "500";
  acme = await createUser("agents-acme");
  other = await createUser("agents-other");
  acmeScope = await workspaceScope(acme.workspace.id, { maxConcurrentTasks: 50 });
  otherScope = await workspaceScope(other.workspace.id, { maxConcurrentTasks: 50 });
  [server, cli] = await Promise.all([startApiServer(), clientCli()]);
  await startTestWorker(2);
}, 120_000);
afterAll(async () => {
  for (const child of started) if (child.exitCode === null) child.kill("SIGKILL");
  await stopTestWorker();
  await server?.close();
  await stopAgentWakeups();
});

describe("an agent pool", () => {
  it("runs shell and python_script tasks on its agent: outputs, logs, skips, failures, timeouts, secrets masked", async () => {
    const joinToken = await createAgentPool(acme, "etl");
    await createSecret(acmeScope, { name: "api_key", value: SECRET });
    await db.workspace.update({ where: { id: acme.workspace.id }, data: { maxOutputBytes: 1000 } });
    await storeDag(acmeScope, {
      id: "on_agents",
      params: { region: { type: "string", default: "us" } },
      defaults: { pool: "etl" },
      tasks: [
        {
          id: "hello",
          operator: "shell",
          config: {
            command: `echo "key=$API_KEY"; echo "to stderr" >&2; echo '{"rows": 3}'`,
            env: { API_KEY: "{{ secrets.api_key }}" },
          },
        },
        {
          id: "py",
          operator: "python_script",
          dependsOn: ["hello"],
          config: {
            script:
              "import json, sys\ninputs = json.load(sys.stdin)\nprint(json.dumps({'double': inputs['upstream']['hello']['rows'] * 2, 'p': inputs['params']}))",
          },
        },
        { id: "skipper", operator: "shell", config: { command: "exit 99" } },
        { id: "broken", operator: "shell", config: { command: "echo before; exit 3" } },
        { id: "slow", operator: "shell", timeoutSeconds: 1, config: { command: "sleep 60" } },
        { id: "big", operator: "shell", config: { command: `printf '"%05000d"\\n' 0` } },
      ],
    } as never);
    const run = await triggerRun(acmeScope, { dagKey: "on_agents", params: { region: "eu" } });

    // No agent yet: the tasks wait, saying why, and no shared worker takes them.
    const waiting = await until("the tasks to wait for an agent", async () => {
      const seen = await getRun(acmeScope, run.id);
      const hello = seen.tasks.find((t) => t.taskId === "hello");
      return hello?.waitingFor ? seen : undefined;
    });
    expect(waiting.tasks.find((t) => t.taskId === "hello")?.waitingFor).toBe("no agent online in pool 'etl'");

    const agent = startAgent(joinToken, "--concurrency", "3", "--labels", "region=eu,ssd", "--name", "box-1");
    const agentId = await agentIdOf(agent);
    const ended = await waitForRun(run.id, 90_000);
    const byTask = new Map(ended.taskInstances.map((t) => [t.taskId, t]));
    expect(Object.fromEntries(ended.taskInstances.map((t) => [t.taskId, t.state]))).toEqual({
      hello: "success",
      py: "success",
      skipper: "skipped",
      broken: "failed",
      slow: "failed",
      big: "success",
    });
    expect(byTask.get("hello")!.output).toEqual({ rows: 3 });
    expect(byTask.get("py")!.output).toEqual({ double: 6, p: { region: "eu" } });
    expect(byTask.get("big")!.output).toMatchObject({ truncated: true, limit: 1000 });
    expect(byTask.get("broken")!.attempts[0]!.error).toBe("The process exited with code 3");
    expect(byTask.get("slow")!.attempts[0]!.error).toBe("Timed out after 1 s");
    for (const task of ended.taskInstances) expect(task.attempts[0]!.workerId).toBe(`agent:${agentId}`);

    const helloLog = await logOf(byTask.get("hello")!.attempts[0]!.id);
    expect(helloLog).toContain("INFO key=***");
    expect(helloLog).toContain("WARN to stderr");
    expect(helloLog).not.toContain(SECRET);
    expect(await logOf(byTask.get("broken")!.attempts[0]!.id)).toContain("INFO before");

    // The pool page's list: the agent online, with its version, labels and slots.
    const listed = await acme.api.pools.agents({ workspace: acme.workspace.slug, name: "etl" });
    expect(listed.agents).toEqual([
      expect.objectContaining({
        id: agentId,
        name: "box-1",
        online: true,
        labels: ["region=eu", "ssd"],
        concurrency: 3,
      }),
    ]);

    // SIGTERM drains: a running task finishes, then the agent says it stopped and exits 0.
    await storeDag(acmeScope, {
      id: "drain",
      tasks: [{ id: "last", operator: "shell", pool: "etl", config: { command: "sleep 2; echo 1" } }],
    } as never);
    const draining = await triggerRun(acmeScope, { dagKey: "drain" });
    await until("the task to start", async () =>
      (await db.taskInstance.findFirst({ where: { runId: draining.id, state: "running" } }))
        ? true
        : undefined,
    );
    agent.child.kill("SIGTERM");
    expect(await agent.exited).toBe(0);
    expect((await waitForRun(draining.id, 60_000)).state).toBe("success");
    const after = await acme.api.pools.agents({ workspace: acme.workspace.slug, name: "etl" });
    expect(after.agents[0]).toMatchObject({ online: false, stoppedAt: expect.any(Date) });
  }, 240_000);

  it("never runs agent tasks on shared workers, nor shared tasks on agents", async () => {
    await storeDag(acmeScope, {
      id: "misplaced",
      tasks: [{ id: "sh", operator: "shell", config: { command: "true" } }],
    } as never);
    const run = await waitForRun((await triggerRun(acmeScope, { dagKey: "misplaced" })).id, 60_000);
    expect(run.taskInstances[0]!.state).toBe("failed");
    expect(run.taskInstances[0]!.attempts[0]!.error).toMatch(/runs only on agents/);
  }, 120_000);
});

describe("agents of two workspaces", () => {
  it("see only their own workspace's tasks, and cannot touch another's attempts", async () => {
    // Both workspaces name their pool "iso"; acme's join token is replaced once (the first stops working).
    const firstJoin = await createAgentPool(acme, "iso");
    const acmeJoin = (await acme.api.pools.rotateJoinToken({ workspace: acme.workspace.slug, name: "iso" }))
      .joinToken;
    expect((await agentCall("/register", firstJoin, { version: "test", concurrency: 1 })).status).toBe(401);
    const otherJoin = await createAgentPool(other, "iso");
    const dag = (id: string) => ({
      id,
      tasks: Array.from({ length: 4 }, (_, i) => ({
        id: `t${i}`,
        operator: "shell",
        pool: "iso",
        config: { command: `echo ${id}-${i}` },
      })),
    });
    await storeDag(acmeScope, dag("mine") as never);
    await storeDag(otherScope, dag("theirs") as never);
    const acmeAgent = startAgent(acmeJoin, "--concurrency", "2");
    const otherAgent = startAgent(otherJoin, "--concurrency", "2");
    const [acmeId, otherId] = await Promise.all([agentIdOf(acmeAgent), agentIdOf(otherAgent)]);
    const [mine, theirs] = await Promise.all([
      triggerRun(acmeScope, { dagKey: "mine" }),
      triggerRun(otherScope, { dagKey: "theirs" }),
    ]);
    const [mineEnded, theirsEnded] = await Promise.all([
      waitForRun(mine.id, 90_000),
      waitForRun(theirs.id, 90_000),
    ]);
    const story = () =>
      `${JSON.stringify(
        [mineEnded, theirsEnded].map((run) =>
          run.taskInstances.map((t) => t.attempts.map((a) => [t.taskId, a.state, a.workerId, a.error])),
        ),
      )}\nacme agent:\n${acmeAgent.stderr()}\nother agent:\n${otherAgent.stderr()}`;
    expect(mineEnded.state, story()).toBe("success");
    expect(theirsEnded.state, story()).toBe("success");
    expect(new Set(mineEnded.taskInstances.map((t) => t.attempts[0]!.workerId))).toEqual(
      new Set([`agent:${acmeId}`]),
    );
    expect(new Set(theirsEnded.taskInstances.map((t) => t.attempts[0]!.workerId))).toEqual(
      new Set([`agent:${otherId}`]),
    );

    // An agent token of acme's pool names one of other's attempts: not found, nothing changes.
    const registered = await agentCall("/register", acmeJoin, {
      name: "probe",
      version: "test",
      concurrency: 1,
    });
    expect(registered.status).toBe(200);
    const { token } = (await registered.json()) as { token: string };
    const theirAttempt = theirsEnded.taskInstances[0]!.attempts[0]!.id;
    const poked = await agentCall(`/attempts/${theirAttempt}/complete`, token, {
      state: "failed",
      error: "x",
    });
    expect(poked.status).toBe(404);
    const logged = await agentCall(`/attempts/${theirAttempt}/log`, token, {
      lines: [{ stream: "stdout", text: "x" }],
    });
    expect(logged.status).toBe(404);
    // A join token is no agent token, an API token is neither, and another protocol is refused by name.
    expect((await agentCall("/claim", acmeJoin, {})).status).toBe(401);
    const oldProtocol = await agentCall("/register", acmeJoin, { version: "0.0.1", concurrency: 1 }, "0");
    expect(oldProtocol.status).toBe(426);
    expect(((await oldProtocol.json()) as { error: { message: string } }).error.message).toMatch(
      /speaks agent protocol 1; the agent speaks 0/,
    );
    await stopAgents(acmeAgent, otherAgent);
  }, 240_000);
});

async function stopAgents(...agents: RunningAgent[]) {
  for (const agent of agents) agent.child.kill("SIGTERM");
  for (const agent of agents) await agent.exited;
}

describe("an agent that dies or is revoked", () => {
  it("SIGKILLed mid-task: the attempt is lost and retried on another agent, one success recorded", async () => {
    const joinToken = await createAgentPool(acme, "fragile");
    await storeDag(acmeScope, {
      id: "survives",
      tasks: [
        {
          id: "work",
          operator: "shell",
          pool: "fragile",
          retries: 1,
          retryDelaySeconds: 0,
          config: { command: "sleep 3; echo finished" },
        },
      ],
    } as never);
    const first = startAgent(joinToken);
    const firstId = await agentIdOf(first);
    const run = await triggerRun(acmeScope, { dagKey: "survives" });
    await until("the first agent to run the task", async () =>
      (await db.taskAttempt.findFirst({ where: { workerId: `agent:${firstId}`, state: "running" } }))
        ? true
        : undefined,
    );
    first.child.kill("SIGKILL");
    await first.exited;
    const second = startAgent(joinToken);
    const secondId = await agentIdOf(second);
    const ended = await waitForRun(run.id, 90_000);
    expect(ended.state).toBe("success");
    const attempts = ended.taskInstances[0]!.attempts;
    expect(attempts.map((a) => [a.state, a.workerId])).toEqual([
      ["failed", `agent:${firstId}`],
      ["success", `agent:${secondId}`],
    ]);
    expect(attempts[0]!.error).toMatch(/^Lost:/);

    // Revoked: the agent stops within its next heartbeats, killing what it runs.
    await storeDag(acmeScope, {
      id: "revoked",
      tasks: [{ id: "long", operator: "shell", pool: "fragile", config: { command: "sleep 60" } }],
    } as never);
    const revokedRun = await triggerRun(acmeScope, { dagKey: "revoked" });
    await until("the second agent to run the task", async () =>
      (await db.taskAttempt.findFirst({ where: { workerId: `agent:${secondId}`, state: "running" } }))
        ? true
        : undefined,
    );
    await acme.api.pools.revokeAgent({ workspace: acme.workspace.slug, name: "fragile", agentId: secondId });
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toMatch(/this agent was revoked/);
    const revokedEnded = await waitForRun(revokedRun.id, 60_000);
    expect(revokedEnded.taskInstances[0]!.attempts[0]!.error).toMatch(/^Lost:/);
    // Its join token revoked, the pool takes no new agent.
    await acme.api.pools.revokeJoinToken({ workspace: acme.workspace.slug, name: "fragile" });
    const refused = await agentCall("/register", joinToken, { version: "test", concurrency: 1 });
    expect(refused.status).toBe(401);
  }, 240_000);
});

/** A TCP proxy to the test server that can drop every connection and refuse new ones for a while. */
async function flakyProxy(target: string) {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let down = false;
  const proxy = createServer((client) => {
    if (down) return client.destroy();
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`,
    cut() {
      down = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      down = false;
    },
    close: () => new Promise<void>((resolve) => proxy.close(() => resolve())),
  };
}

describe("an agent whose network drops for a few seconds", () => {
  it("resumes: the task's log is whole, its outcome recorded once, no retry", async () => {
    const joinToken = await createAgentPool(acme, "flaky");
    const proxy = await flakyProxy(server.url);
    await storeDag(acmeScope, {
      id: "blip",
      tasks: [
        {
          id: "steady",
          operator: "shell",
          pool: "flaky",
          retries: 2,
          config: { command: 'for i in 1 2 3 4 5 6 7 8; do echo "tick $i"; sleep 0.5; done; echo 42' },
        },
      ],
    } as never);
    const child = cli.spawn(["agent", "--url", proxy.url, "--token", joinToken]);
    started.push(child);
    let stderr = "";
    child.stderr?.on("data", (chunk) => (stderr += chunk));
    const agent = { child, stderr: () => stderr, exited: new Promise<number | null>(() => {}) };
    const agentId = await agentIdOf(agent);
    const run = await triggerRun(acmeScope, { dagKey: "blip" });
    await until("the task to start", async () =>
      (await db.taskAttempt.findFirst({ where: { workerId: `agent:${agentId}`, state: "running" } }))
        ? true
        : undefined,
    );
    // Cut for 3 s (well within the 20 s the engine waits before giving an agent up).
    proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    proxy.restore();
    const ended = await waitForRun(run.id, 90_000);
    const task = ended.taskInstances[0]!;
    expect(task.state, stderr).toBe("success");
    expect(task.output).toBe(42);
    expect(task.attempts).toHaveLength(1);
    const log = await logOf(task.attempts[0]!.id);
    for (let i = 1; i <= 8; i++) expect(log).toContain(`tick ${i}`);
    child.kill("SIGTERM");
    await proxy.close();
  }, 180_000);
});

describe("the CLI", () => {
  it("creates an agent pool (join token alone on stdout), lists its agents and revokes one", async () => {
    const { token } = await acme.api.tokens.create({
      workspace: acme.workspace.slug,
      name: "cli",
      role: "ADMIN",
    });
    const env = { BATON_URL: server.url, BATON_TOKEN: token };
    const created = await cli.run(["pool", "create", "from_cli", "--slots", "2", "--agents"], { env });
    expect(created.code, created.stderr).toBe(0);
    const joinToken = created.stdout.trim();
    expect(joinToken).toMatch(/^baton_join_[\w-]+$/);
    const agent = startAgent(joinToken, "--labels", "cli");
    const agentId = await agentIdOf(agent);
    const listed = await cli.run(["pool", "agents", "from_cli", "--json"], { env });
    expect(JSON.parse(listed.stdout).agents).toEqual([
      expect.objectContaining({ id: agentId, online: true, labels: ["cli"] }),
    ]);
    expect((await cli.run(["pool", "list"], { env })).stdout).toMatch(/^from_cli\s+agents\s+0 of 2/m);
    const revoked = await cli.run(["pool", "revoke-agent", "from_cli", agentId], { env });
    expect(revoked).toMatchObject({ code: 0, stdout: `Revoked agent ${agentId}.\n` });
    expect(await agent.exited).toBe(1);
  }, 120_000);
});

describe("cancelling a run", () => {
  it("kills the agent's process group, and its slot takes the next task", async () => {
    const joinToken = await createAgentPool(acme, "cancels");
    const marker = `baton-cancel-${Date.now()}`;
    await storeDag(acmeScope, {
      id: "cancelled",
      tasks: [
        // A child of the shell that would outlive a kill of the shell alone.
        {
          id: "long",
          operator: "shell",
          pool: "cancels",
          config: { command: `python3 -c "import time; time.sleep(300)" ${marker} & wait` },
        },
      ],
    } as never);
    await storeDag(acmeScope, {
      id: "after",
      tasks: [{ id: "next", operator: "shell", pool: "cancels", config: { command: "echo done" } }],
    } as never);
    const agent = startAgent(joinToken); // one slot
    const agentId = await agentIdOf(agent);
    const run = await triggerRun(acmeScope, { dagKey: "cancelled" });
    await until("the task to start", async () =>
      (await db.taskAttempt.findFirst({ where: { workerId: `agent:${agentId}`, state: "running" } }))
        ? true
        : undefined,
    );
    await acme.api.runs.cancel({ workspace: acme.workspace.slug, runId: run.id });
    expect((await waitForRun(run.id, 60_000)).state).toBe("cancelled");
    // The only slot is free again: the next task runs on the same agent.
    const after = await waitForRun((await triggerRun(acmeScope, { dagKey: "after" })).id, 60_000);
    expect(after.taskInstances[0]!.attempts[0]!.workerId).toBe(`agent:${agentId}`);
    expect(after.state).toBe("success");
    // No process of the cancelled task is left (the whole group was killed).
    const { execFileSync } = await import("node:child_process");
    await until("the task's processes to be gone", () => {
      try {
        execFileSync("pgrep", ["-f", marker]);
        return false;
      } catch {
        return true;
      }
    });
    agent.child.kill("SIGTERM");
    await agent.exited;
  }, 120_000);
});
