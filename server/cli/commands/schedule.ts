// `baton schedule preview`: the next runs of a stored DAG's schedule, or of a cron expression or
// interval being written, with their logical dates (see docs/schedules.md).
import type { Command } from "commander";
import { z } from "zod";
import { dagIdPattern, scheduleSchema } from "@/server/dags/definition";
import { previewSchedule, previewSpec } from "@/server/schedules/preview";
import { offsetMs } from "@/server/schedules/zone";
import { workspaceSlug } from "@/server/validation";
import type { Cli } from "../main";

const count = z.coerce.number().int().min(1, "at least 1").max(500, "at most 500");
const dagId = z.string().regex(dagIdPattern, "not a DAG id");

/** An instant as wall-clock time in a zone, "2025-03-30 03:30:00". */
function wallClock(instant: Date, timezone: string): string {
  const local = new Date(instant.getTime() + offsetMs(instant.getTime(), timezone));
  return local.toISOString().slice(0, 19).replace("T", " ");
}

export function registerScheduleCommands(program: Command, cli: Cli): void {
  const schedule = program.command("schedule").description("Preview schedules");

  schedule
    .command("preview")
    .description("The next runs of a DAG's schedule, or of --cron / --every")
    .option("--workspace <slug>", "the workspace of --dag", cli.parser(workspaceSlug))
    .option("--dag <dagId>", "a stored DAG: its current schedule, startDate and endDate", cli.parser(dagId))
    .option("--cron <expression>", 'a cron expression (5 or 6 fields) or preset such as "@daily"')
    .option("--timezone <zone>", "IANA time zone of --cron", "UTC")
    .option("--every <duration>", 'a fixed interval such as "15m" or "1h30m"')
    .option("--start-date <date>", "first logical date (with --cron or --every)")
    .option("--end-date <date>", "last logical date (with --cron or --every)")
    .option("--count <n>", "how many runs", cli.parser(count), 10)
    .action(
      async (
        options: {
          workspace?: string;
          dag?: string;
          cron?: string;
          timezone: string;
          every?: string;
          startDate?: string;
          endDate?: string;
          count: number;
        },
        command: Command,
      ) => {
        const given = [options.dag, options.cron, options.every].filter((v) => v !== undefined).length;
        if (given !== 1)
          command.error("baton: give exactly one of --dag, --cron or --every", { exitCode: 2 });
        let preview: Awaited<ReturnType<typeof previewSchedule>>;
        if (options.dag) {
          if (!options.workspace) command.error("baton: --dag needs --workspace", { exitCode: 2 });
          preview = await previewSchedule(await cli.workspace(options.workspace!), {
            dagId: options.dag,
            count: options.count,
          });
        } else {
          const parsed = scheduleSchema.safeParse(
            options.cron
              ? { type: "cron", cron: options.cron, timezone: options.timezone }
              : { type: "interval", every: options.every },
          );
          if (!parsed.success) {
            const issue = parsed.error.issues[0]!;
            command.error(`baton: ${options.cron ? "--cron" : "--every"} ${issue.message}`, { exitCode: 2 });
          }
          preview = previewSpec(
            { schedule: parsed.data, startDate: options.startDate, endDate: options.endDate },
            options.count,
          );
        }
        if (cli.json(command)) return cli.printJson(preview);
        if (preview.paused) cli.note(`${preview.dagId} is paused: these runs happen once it is unpaused.`);
        cli.printTable(
          preview.runs.map((run) => ({
            runAt: run.runAt,
            local: wallClock(run.runAt, preview.timezone),
            logicalDate: run.logicalDate,
          })),
          { runAt: "RUNS AT", local: `LOCAL (${preview.timezone})`, logicalDate: "LOGICAL DATE" },
          preview.schedule ? "No more runs: the schedule's endDate has passed." : "This DAG has no schedule.",
        );
      },
    );
}
