// `baton status`: the installation at a glance for its operator (server/observability/status.ts):
// live workers with their pools, slots and running attempts; each worker pool's capacity and
// queue; the task that has waited longest. Read from the database, like the other installation
// commands, so it answers whether or not the web app is up.
import type { Command } from "commander";
import { installationStatus } from "@/server/observability/status";
import type { InstallationCli } from "../main";

/** 75 s → "1m15s": ages an operator reads at a glance. */
export function age(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, "0")}h`;
}

export function registerStatusCommand(program: Command, cli: InstallationCli): void {
  program
    .command("status")
    .description(
      "Live workers (their worker pools, slots and running attempts), each worker pool's queue, and the oldest waiting task",
    )
    .action(async (_options: unknown, command: Command) => {
      const status = await installationStatus();
      if (cli.json(command)) return cli.printJson(status);
      const now = Date.now();
      const since = (date: Date | null) => (date ? age((now - date.getTime()) / 1000) : null);

      cli.out(`Workers: ${status.workers.length} live`);
      cli.printTable(
        status.workers.map((w) => ({
          ...w,
          pools: w.pools.join(","),
          up: since(w.startedAt),
          heartbeat: `${since(w.heartbeatAt)} ago`,
        })),
        {
          name: "NAME",
          pools: "POOLS",
          slots: "SLOTS",
          running: "RUNNING",
          up: "UP",
          heartbeat: "HEARTBEAT",
        },
        "No live worker: no task runs until one starts (`npm run worker`).",
      );
      if (status.goneWorkers > 0) {
        cli.out(
          `${status.goneWorkers} registered worker(s) stopped sending heartbeats; their attempts are retried elsewhere.`,
        );
      }

      cli.out("\nWorker pools:");
      cli.printTable(
        status.pools.map((p) => ({
          ...p,
          waiting: p.queued + p.scheduled,
          oldest: since(p.oldestWaitingSince),
        })),
        {
          name: "POOL",
          workers: "WORKERS",
          slots: "SLOTS",
          running: "RUNNING",
          waiting: "WAITING",
          queued: "NOT ADMITTED",
          scheduled: "ADMITTED",
          waitingWorkspaces: "WORKSPACES HELD",
          oldest: "OLDEST",
        },
        "No worker pools.",
      );

      const task = status.oldestWaitingTask;
      cli.out(
        task
          ? `\nOldest waiting task: ${task.workspace}/${task.dag} task ${task.taskId}${task.mapIndex >= 0 ? `[${task.mapIndex}]` : ""} (run ${task.runId}), ${task.state} in pool ${task.pool}, waiting ${age(task.waitingSeconds)} since ${task.since.toISOString()}`
          : "\nNo task is waiting.",
      );
    });
}
