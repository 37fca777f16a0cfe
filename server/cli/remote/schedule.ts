// `baton schedule preview`: the next runs of a stored DAG's schedule, or of a cron expression or
// interval being written, with their logical dates (see docs/schedules.md).
import type { Command } from "commander";
import { z } from "zod";
import { unwrap } from "@/server/client";
import { type Cli, ExitError, exitCodes } from "../program";
import { apiFor } from "./connection";

const count = z.coerce.number().int().min(1, "at least 1").max(500, "at most 500");

/** An instant as wall-clock time in a zone, "2025-03-30 03:30:00". */
function wallClock(instant: string, timezone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(instant));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}:${part("second")}`;
}

export function registerScheduleCommands(program: Command, cli: Cli): void {
  const schedule = program.command("schedule").description("Preview schedules");

  schedule
    .command("preview")
    .description("The next runs of a DAG's schedule, or of --cron / --every")
    .option("--dag <dagId>", "a stored DAG: its current schedule, startDate and endDate")
    .option("--cron <expression>", 'a cron expression (5 or 6 fields) or preset such as "@daily"')
    .option("--timezone <zone>", "IANA time zone of --cron", "UTC")
    .option("--every <duration>", 'a fixed interval such as "15m" or "1h30m"')
    .option("--start-date <date>", "first logical date (with --cron or --every)")
    .option("--end-date <date>", "last logical date (with --cron or --every)")
    .option("--count <n>", "how many runs", cli.parser(count), 10)
    .action(
      async (
        options: {
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
        if (given !== 1) throw new ExitError(exitCodes.usage, "give exactly one of --dag, --cron or --every");
        const api = apiFor(cli, command);
        const preview = options.dag
          ? await unwrap(
              api.GET("/dags/{dagId}/schedule/preview", {
                params: { path: { dagId: options.dag }, query: { count: options.count } },
              }),
            )
          : await unwrap(
              api.POST("/schedules/preview", {
                body: {
                  schedule: options.cron
                    ? { type: "cron", cron: options.cron, timezone: options.timezone }
                    : { type: "interval", every: options.every! },
                  ...(options.startDate ? { startDate: options.startDate } : {}),
                  ...(options.endDate ? { endDate: options.endDate } : {}),
                  count: options.count,
                },
              }),
            );
        if (cli.json(command)) return cli.printJson(preview);
        if (preview.paused) cli.note(`${preview.dagId} is paused: these runs happen once it is unpaused.`);
        cli.printTable(
          preview.runs.map((run) => ({
            runAt: run.runAt.replace(/\.\d{3}Z$/, "Z"),
            local: wallClock(run.runAt, preview.timezone),
            logicalDate: run.logicalDate.replace(/\.\d{3}Z$/, "Z"),
          })),
          { runAt: "RUNS AT", local: `LOCAL (${preview.timezone})`, logicalDate: "LOGICAL DATE" },
          preview.schedule ? "No more runs: the schedule's endDate has passed." : "This DAG has no schedule.",
        );
      },
    );
}
