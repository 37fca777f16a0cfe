// `baton agent`: runs a workspace's agent-pool tasks on this machine (docs/agents.md). It needs no
// database and nothing of the server: it talks to a Baton over HTTPS only, outbound. It registers
// with the pool's join token (getting a token of its own), then long-polls for attempts as long as
// it has free slots, heartbeats, streams each process's output to the task log as it is written,
// and reports each outcome. Network trouble is waited out with backoff: a claim, log chunk or
// outcome is sent again until the Baton answers (outcomes are fenced by attempt on the server, so
// one sent twice counts once). SIGTERM drains: no more claims, running tasks finish, then the
// agent says it stopped. A revoked agent (its heartbeat refused) kills what it runs and exits.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";

/** The agent protocol this agent speaks (server/engine/agents.ts AGENT_PROTOCOL). */
export const AGENT_PROTOCOL = 1;

export interface AgentOptions {
  url: string;
  joinToken: string;
  concurrency: number;
  labels: string[];
  name?: string | undefined;
  version: string;
  /** Lines for the person running the agent (stderr). */
  note(text: string): void;
  fetch?: (request: Request) => Promise<Response>;
}

/** What the Baton answers a claim with (server/engine/agents.ts AgentAttempt). */
interface Attempt {
  attemptId: string;
  tryNumber: number;
  taskId: string;
  runId: string;
  operator: string;
  config: {
    command?: string;
    script?: string;
    python?: string;
    env: Record<string, string>;
    cwd?: string;
    skipOnExitCode: number[];
    output: "last_line" | "none";
  };
  timeoutSeconds: number | null;
  inputs: unknown;
}

type Outcome =
  | { state: "success"; output: unknown }
  | { state: "failed"; error: string; retryable: boolean }
  | { state: "skipped"; reason: string };

/** The Baton refused a request (4xx other than 429): retrying will not help. */
export class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const LOG_FLUSH_MS = 500;
/** Lines longer than this are cut (a log is for reading). */
const MAX_LINE_CHARS = 16_384;
/** One log request carries at most this much, well under the API's body limit. */
const MAX_CHUNK_CHARS = 256_000;
/** Lines kept while the Baton cannot be reached; older ones are dropped with a note. */
const MAX_PENDING_CHARS = 4_000_000;
/** Grace between SIGTERM and SIGKILL of a task's process group. */
const KILL_GRACE_MS = 5_000;

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Agent {
  private token = "";
  private heartbeatMs = 2_000;
  private readonly running = new Map<string, RunningTask>();
  private draining = false;
  private revoked = false;
  private claim: AbortController | undefined;
  private slotFreed: (() => void) | undefined;
  readonly stopped: Promise<number>;
  private stop!: (code: number) => void;

  constructor(private readonly options: AgentOptions) {
    this.stopped = new Promise((resolve) => {
      this.stop = resolve;
    });
  }

  /** Registers, then claims and runs until drained or revoked; resolves with the exit code. */
  async run(): Promise<number> {
    type Registered = { agentId: string; token: string; pool: string; heartbeatSeconds: number };
    const registering = this.call<Registered>(
      "/register",
      {
        name: this.options.name ?? hostname(),
        version: this.options.version,
        concurrency: this.options.concurrency,
        labels: this.options.labels,
      },
      { token: this.options.joinToken },
    );
    const registered = await Promise.race([registering, this.stopped]);
    if (typeof registered === "number") return registered;
    this.token = registered.token;
    this.heartbeatMs = registered.heartbeatSeconds * 1000;
    this.options.note(
      `baton agent ${this.options.version}: registered as ${registered.agentId} in pool ${registered.pool} ` +
        `(${this.options.concurrency} slot${this.options.concurrency === 1 ? "" : "s"})`,
    );
    void this.heartbeats();
    void this.claims();
    return this.stopped;
  }

  /** SIGTERM: take no more work, let running tasks finish, then say so and exit. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    // Not registered yet (the Baton unreachable): nothing runs, nothing to say.
    if (!this.token) {
      this.stop(0);
      return;
    }
    this.options.note(`draining: waiting for ${this.running.size} running task(s)`);
    this.claim?.abort();
    void this.finishWhenIdle();
  }

  private async finishWhenIdle() {
    while (this.running.size > 0) await new Promise<void>((resolve) => (this.slotFreed = resolve));
    await this.call("/stop", {}).catch(() => {});
    this.options.note("stopped");
    this.stop(0);
  }

  private async heartbeats() {
    while (!this.revoked) {
      await wait(this.heartbeatMs);
      try {
        const answer = await this.call<{ cancel: string[] }>(
          "/heartbeat",
          { running: [...this.running.keys()], draining: this.draining },
          { retries: 0 },
        );
        for (const id of answer.cancel) this.running.get(id)?.kill("The task was cancelled");
      } catch (error) {
        if (error instanceof Refused && error.status === 401) return this.revoke(error.message);
        this.options.note(`heartbeat failed (${(error as Error).message}); trying again`);
      }
    }
  }

  private revoke(message: string) {
    this.revoked = true;
    this.draining = true;
    this.claim?.abort();
    this.options.note(`this agent was revoked: ${message}`);
    for (const task of this.running.values()) task.kill("The agent was revoked");
    this.stop(1);
  }

  private async claims() {
    while (!this.draining) {
      const free = this.options.concurrency - this.running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      this.claim = new AbortController();
      try {
        const { attempts } = await this.call<{ attempts: Attempt[] }>(
          "/claim",
          { max: free, waitSeconds: 20 },
          { signal: this.claim.signal },
        );
        for (const attempt of attempts) this.start(attempt);
      } catch (error) {
        if (this.draining) return;
        if (error instanceof Refused && error.status === 401) return this.revoke(error.message);
        this.options.note(`claim failed: ${(error as Error).message}`);
        await wait(1_000);
      }
    }
  }

  private start(attempt: Attempt) {
    // Never the same attempt twice at once.
    if (this.running.has(attempt.attemptId)) return;
    const task = new RunningTask(attempt, this);
    this.running.set(attempt.attemptId, task);
    void task.run().finally(() => {
      this.running.delete(attempt.attemptId);
      const freed = this.slotFreed;
      this.slotFreed = undefined;
      freed?.();
    });
  }

  note(text: string) {
    this.options.note(text);
  }

  get isRevoked() {
    return this.revoked;
  }

  /**
   * POSTs to /api/v1/agent<path>. Network errors, 5xx and 429 are retried with backoff (forever
   * unless `retries` is given); any other 4xx is Refused.
   */
  async call<T>(
    endpoint: string,
    body: unknown,
    options: { token?: string; signal?: AbortSignal; retries?: number } = {},
  ): Promise<T> {
    let delay = 250;
    for (let attempt = 0; ; attempt++) {
      let retryAfter: number | undefined;
      try {
        const request = new Request(new URL(`/api/v1/agent${endpoint}`, this.options.url), {
          method: "POST",
          headers: {
            authorization: `Bearer ${options.token ?? this.token}`,
            "content-type": "application/json",
            "baton-agent-protocol": String(AGENT_PROTOCOL),
            "user-agent": `baton-agent/${this.options.version}`,
          },
          body: JSON.stringify(body),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        const response = await (this.options.fetch ?? fetch)(request);
        const text = await response.text();
        if (response.ok) return JSON.parse(text) as T;
        const message = (() => {
          try {
            return (JSON.parse(text) as { error: { message: string } }).error.message;
          } catch {
            return `HTTP ${response.status}`;
          }
        })();
        if (response.status !== 429 && response.status < 500) throw new Refused(response.status, message);
        retryAfter = Number(response.headers.get("retry-after")) * 1000 || undefined;
        if (options.retries !== undefined && attempt >= options.retries) throw new Error(message);
      } catch (error) {
        if (error instanceof Refused || options.signal?.aborted) throw error;
        if (options.retries !== undefined && attempt >= options.retries) throw error;
      }
      await wait(retryAfter ?? delay);
      delay = Math.min(delay * 2, 5_000);
    }
  }
}

/** One attempt's process on this machine: its log stream, timeout, cancellation and outcome. */
class RunningTask {
  private child: ChildProcess | undefined;
  private killedFor: string | undefined;
  private pending: Array<{ stream: "stdout" | "stderr" | "agent"; text: string }> = [];
  private pendingChars = 0;
  private dropped = 0;
  private logCapped = false;
  private flushing: Promise<void> = Promise.resolve();
  private lastLine = "";

  constructor(
    private readonly attempt: Attempt,
    private readonly agent: Agent,
  ) {}

  kill(reason: string) {
    if (this.killedFor) return;
    this.killedFor = reason;
    const pid = this.child?.pid;
    if (!pid) return;
    // The whole process group: a shell's children die with it.
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-pid, name);
      } catch {}
    };
    signal("SIGTERM");
    setTimeout(() => signal("SIGKILL"), KILL_GRACE_MS).unref();
  }

  async run(): Promise<void> {
    const { attempt } = this;
    this.agent.note(`${attempt.attemptId}: ${attempt.operator} ${attempt.taskId} (try ${attempt.tryNumber})`);
    const flusher = setInterval(() => void this.flush(), LOG_FLUSH_MS);
    let outcome: Outcome;
    let scratch: string | undefined;
    try {
      let command: string;
      let args: string[];
      if (attempt.operator === "shell" && attempt.config.command) {
        command = "/bin/sh";
        args = ["-c", attempt.config.command];
      } else if (attempt.operator === "python_script" && attempt.config.script) {
        scratch = mkdtempSync(path.join(tmpdir(), "baton-task-"));
        const file = path.join(scratch, "task.py");
        writeFileSync(file, attempt.config.script);
        command = attempt.config.python ?? "python3";
        args = [file];
      } else {
        throw new Error(`This agent does not run ${attempt.operator} tasks`);
      }
      const code = await this.spawn(command, args);
      outcome = this.outcomeOf(code);
    } catch (error) {
      outcome = { state: "failed", error: (error as Error).message, retryable: true };
    } finally {
      clearInterval(flusher);
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }
    if (outcome.state === "failed") this.line("agent", outcome.error);
    await this.flush();
    await this.flushing;
    if (this.killedFor === "The task was cancelled" || this.agent.isRevoked) return;
    try {
      const answer = await this.agent.call<{ recorded: boolean }>(
        `/attempts/${attempt.attemptId}/complete`,
        outcome,
      );
      this.agent.note(
        `${attempt.attemptId}: ${outcome.state}${answer.recorded ? "" : " (not recorded: the attempt had ended)"}`,
      );
    } catch (error) {
      this.agent.note(`${attempt.attemptId}: the outcome was refused: ${(error as Error).message}`);
    }
  }

  private spawn(command: string, args: string[]): Promise<number | string> {
    const { config, timeoutSeconds } = this.attempt;
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: config.cwd,
        env: { ...process.env, ...config.env },
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
      });
      this.child = child;
      child.on("error", reject);
      if (this.attempt.operator === "python_script") child.stdin?.end(JSON.stringify(this.attempt.inputs));
      else child.stdin?.end();
      child.stdin?.on("error", () => {});
      const timer = timeoutSeconds
        ? setTimeout(() => this.kill(`Timed out after ${timeoutSeconds} s`), timeoutSeconds * 1000)
        : undefined;
      let open = 2;
      let exit: number | string | undefined;
      const done = () => {
        if (open > 0 || exit === undefined) return;
        clearTimeout(timer);
        resolve(exit);
      };
      for (const stream of ["stdout", "stderr"] as const) {
        const lines = createInterface({ input: child[stream]!, crlfDelay: Number.POSITIVE_INFINITY });
        lines.on("line", (line) => {
          if (stream === "stdout" && line.trim() !== "") this.lastLine = line;
          this.line(stream, line);
        });
        lines.on("close", () => {
          open--;
          done();
        });
      }
      child.on("exit", (code, signal) => {
        exit = code ?? `signal ${signal}`;
        done();
      });
    });
  }

  private outcomeOf(exit: number | string): Outcome {
    const { config } = this.attempt;
    if (this.killedFor) return { state: "failed", error: this.killedFor, retryable: true };
    if (exit === 0) {
      if (config.output === "none" || this.lastLine === "") return { state: "success", output: null };
      try {
        return { state: "success", output: JSON.parse(this.lastLine) };
      } catch {
        return { state: "success", output: this.lastLine };
      }
    }
    if (typeof exit === "number" && config.skipOnExitCode.includes(exit))
      return { state: "skipped", reason: `The process exited with code ${exit}, a skip code` };
    return {
      state: "failed",
      error:
        typeof exit === "number"
          ? `The process exited with code ${exit}`
          : `The process was killed (${exit})`,
      retryable: true,
    };
  }

  private line(stream: "stdout" | "stderr" | "agent", text: string) {
    if (this.logCapped) return;
    const cut = text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}… (line cut)` : text;
    this.pending.push({ stream, text: cut });
    this.pendingChars += cut.length;
    // The Baton unreachable for long: keep the newest lines, say how many were dropped.
    while (this.pendingChars > MAX_PENDING_CHARS && this.pending.length > 1) {
      this.pendingChars -= this.pending.shift()!.text.length;
      this.dropped++;
    }
  }

  /** Sends what the process wrote since the last flush, one request at a time, in order. */
  private flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      while (this.pending.length > 0 && !this.logCapped) {
        const batch: typeof this.pending = [];
        let chars = 0;
        if (this.dropped > 0) {
          batch.push({
            stream: "agent",
            text: `… ${this.dropped} lines dropped while the Baton was unreachable`,
          });
          this.dropped = 0;
        }
        while (this.pending.length > 0 && chars + this.pending[0]!.text.length <= MAX_CHUNK_CHARS) {
          const next = this.pending.shift()!;
          chars += next.text.length;
          batch.push(next);
        }
        if (batch.length === 0) batch.push(this.pending.shift()!);
        this.pendingChars -= chars;
        try {
          const answer = await this.agent.call<{ running: boolean; capped: boolean }>(
            `/attempts/${this.attempt.attemptId}/log`,
            { lines: batch },
            { retries: 5 },
          );
          if (answer.capped) this.logCapped = true;
          if (!answer.running) this.kill("The task was cancelled");
        } catch (error) {
          if (error instanceof Refused) {
            this.logCapped = true;
            return;
          }
          // Still unreachable: put the lines back for the next flush.
          this.pending.unshift(...batch);
          this.pendingChars += chars;
          return;
        }
      }
    });
    return this.flushing;
  }
}
