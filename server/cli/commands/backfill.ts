// `baton backfill <dagId> --from --to`: one run per logical date of the DAG's schedule in the
// range, created progressively by the workers (respecting maxActiveRuns). Prints the backfill id;
// with --wait, follows its progress until every run has ended.
import type { Command } from "commander";
import { z } from "zod";
import { dagSchema } from "@/server/dags/definition";
import { createBackfill, getBackfill } from "@/server/schedules/backfill";
import { workspaceSlug } from "@/server/validation";
import type { Cli } from "../main";

const date = dagSchema.shape.startDate.unwrap();
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

export function registerBackfillCommands(program: Command, cli: Cli): void {
  program
    .command("backfill")
    .description("Create one run per scheduled logical date between --from and --to (both included)")
    .argument("<dagId>", "the DAG's id")
    .requiredOption("--workspace <slug>", "the workspace", cli.parser(workspaceSlug))
    .requiredOption(
      "--from <date>",
      "first logical date: 2025-01-01 (in the schedule's time zone) or a date-time",
      cli.parser(date),
    )
    .requiredOption("--to <date>", "last logical date", cli.parser(date))
    .option("--params <json>", "params of every run, as a JSON object", cli.parser(paramsJson))
    .option("--note <text>", "a note shown with the runs")
    .option("--wait", "follow the progress until every run has ended (needs running workers)")
    .action(
      async (
        dagId: string,
        options: {
          workspace: string;
          from: string;
          to: string;
          params?: Record<string, unknown>;
          note?: string;
          wait?: boolean;
        },
        command: Command,
      ) => {
        const scope = await cli.workspace(options.workspace);
        let backfill = await createBackfill(scope, {
          dagId,
          from: options.from,
          to: options.to,
          params: options.params,
          note: options.note,
        });
        cli.note(
          `Backfill of ${backfill.total} logical date(s) of ${dagId}, ${backfill.from.toISOString()} to ${backfill.to.toISOString()}.`,
        );
        if (options.wait) {
          let last = "";
          while (backfill.state === "running" || backfill.finished < backfill.created - backfill.existing) {
            await new Promise((resolve) => setTimeout(resolve, 1000));
            backfill = await getBackfill(scope, backfill.id);
            const line = `${backfill.created}/${backfill.total} created; runs: ${Object.entries(backfill.runs)
              .map(([state, n]) => `${n} ${state}`)
              .join(", ")}`;
            if (line !== last) cli.note(line);
            last = line;
            if (backfill.state === "cancelled") break;
          }
          if (backfill.runs.failed > 0 || backfill.state === "cancelled") process.exitCode = 1;
        }
        if (cli.json(command)) return cli.printJson(backfill);
        cli.out(backfill.id);
      },
    );
}
