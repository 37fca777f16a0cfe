// `baton run …`: trigger a DAG run, follow its state and logs, cancel it, clear tasks.
import type { Command } from "commander";
import { z } from "zod";
import { cancelRun, clearTasks } from "@/server/engine/operations";
import { getRun, readLogs } from "@/server/engine/queries";
import { triggerRun } from "@/server/engine/runs";
import { AppError } from "@/server/errors";
import { uuid, workspaceSlug } from "@/server/validation";
import type { Cli } from "../main";

const paramsJson = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: 'must be a JSON object, e.g. \'{"city":"Oslo"}\'' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string(), z.unknown(), { error: "must be a JSON object" }));

const terminal = new Set(["success", "failed", "cancelled"]);

export function registerRunCommands(program: Command, cli: Cli): void {
  const run = program.command("run").description("Trigger, inspect and operate DAG runs");

  run
    .command("trigger")
    .description("Trigger a run of a DAG; prints the run id")
    .argument("<dagId>", "the DAG's id")
    .requiredOption("--workspace <slug>", "the workspace", cli.parser(workspaceSlug))
    .option("--params <json>", "run params as a JSON object", cli.parser(paramsJson))
    .option("--note <text>", "a note shown with the run")
    .option("--wait", "wait for the run to end; exit 1 unless it succeeded")
    .action(
      async (
        dagId: string,
        options: { workspace: string; params?: Record<string, unknown>; note?: string; wait?: boolean },
        command: Command,
      ) => {
        const scope = await cli.workspace(options.workspace);
        const { id } = await triggerRun(scope, { dagKey: dagId, params: options.params, note: options.note });
        if (!options.wait) {
          if (cli.json(command)) return cli.printJson({ id });
          return cli.out(id);
        }
        cli.note(`run ${id} triggered; waiting…`);
        for (;;) {
          const state = (await getRun(scope, id)).state;
          if (terminal.has(state)) {
            if (cli.json(command)) cli.printJson({ id, state });
            else cli.out(`${id} ${state}`);
            if (state !== "success") throw new AppError("CONFLICT", `run ${id} ended ${state}`);
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      },
    );

  run
    .command("status")
    .description("A run's state and its task instances")
    .argument("<runId>", "the run's id", cli.parser(uuid))
    .requiredOption("--workspace <slug>", "the workspace", cli.parser(workspaceSlug))
    .action(async (runId: string, options: { workspace: string }, command: Command) => {
      const found = await getRun(await cli.workspace(options.workspace), runId);
      if (cli.json(command)) return cli.printJson(found);
      cli.out(`${found.dagKey} v${found.versionNumber} run ${found.id}: ${found.state}`);
      cli.printTable(
        found.tasks.map((t) => ({
          task: t.mapIndex >= 0 ? `${t.taskId}[${t.mapIndex}]` : t.taskId,
          state: t.state,
          tries: `${t.tryNumber}/${t.maxTries}`,
          started: t.startedAt?.toISOString() ?? "",
          ended: t.endedAt?.toISOString() ?? "",
          error: t.error ?? "",
        })),
        { task: "TASK", state: "STATE", tries: "TRIES", started: "STARTED", ended: "ENDED", error: "ERROR" },
        "No tasks.",
      );
    });

  run
    .command("logs")
    .description("A task attempt's log (the latest attempt unless --attempt)")
    .argument("<runId>", "the run's id", cli.parser(uuid))
    .argument("<taskId>", "the task's id")
    .requiredOption("--workspace <slug>", "the workspace", cli.parser(workspaceSlug))
    .option("--attempt <n>", "attempt number", cli.parser(z.coerce.number().int().min(1)))
    .option("--map-index <n>", "item of a mapped task", cli.parser(z.coerce.number().int().min(-1)))
    .action(
      async (
        runId: string,
        taskId: string,
        options: { workspace: string; attempt?: number; mapIndex?: number },
      ) => {
        const scope = await cli.workspace(options.workspace);
        const logs = await readLogs(scope, {
          runId,
          taskId,
          mapIndex: options.mapIndex ?? -1,
          attempt: options.attempt,
        });
        const text = logs.chunks.map((chunk) => chunk.text).join("");
        if (text) cli.out(text.replace(/\n$/, ""));
        else cli.note(`attempt ${logs.attempt} has no log lines (${logs.state})`);
      },
    );

  run
    .command("cancel")
    .description("Cancel a run; running attempts are aborted")
    .argument("<runId>", "the run's id", cli.parser(uuid))
    .requiredOption("--workspace <slug>", "the workspace", cli.parser(workspaceSlug))
    .action(async (runId: string, options: { workspace: string }) => {
      await cancelRun(await cli.workspace(options.workspace), runId);
      cli.out(`Cancelled run ${runId}.`);
    });

  run
    .command("clear")
    .description("Run tasks again, keeping their upstream outputs")
    .argument("<runId>", "the run's id", cli.parser(uuid))
    .argument("<taskIds...>", "the tasks to clear")
    .requiredOption("--workspace <slug>", "the workspace", cli.parser(workspaceSlug))
    .option("--downstream", "clear their downstream tasks too")
    .option("--latest-version", "move the run to the DAG's current version first (same graph only)")
    .action(
      async (
        runId: string,
        taskIds: string[],
        options: { workspace: string; downstream?: boolean; latestVersion?: boolean },
      ) => {
        const { cleared } = await clearTasks(await cli.workspace(options.workspace), {
          runId,
          taskIds,
          downstream: Boolean(options.downstream),
          latestVersion: Boolean(options.latestVersion),
        });
        cli.out(`Cleared ${cleared.join(", ")}.`);
      },
    );
}
