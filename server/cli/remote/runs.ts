// `baton run …` and `baton backfill`: trigger runs and wait for them, follow their logs, operate
// them, through the REST API. Waiting polls the run (every second); following a log reads what
// came after the last chunk until the attempt has ended.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { z } from "zod";
import { type BatonClient, type Schemas, unwrap } from "@/server/client";
import { allItems, MAX_PAGE_SIZE } from "@/server/pagination";
import { type Cli, ExitError, exitCodes } from "../program";
import { apiFor } from "./connection";

const uuid = z.uuid({ error: "not a valid id" });
const positive = z.coerce.number().int().min(1, "at least 1");
const mapIndex = z.coerce.number().int().min(-1, "-1 or more");
const jsonObject = (what: string) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: `${what} must be a JSON object, e.g. '{"city":"Oslo"}'` });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string(), z.unknown(), { error: `${what} must be a JSON object` }));
const paramsJson = jsonObject("params");
const runStates = ["queued", "running", "success", "failed", "cancelled"] as const;
const finished = new Set<string>(["success", "failed", "cancelled"]);
const POLL_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The params of --params or --params-file (a JSON object), or none. */
function paramsOf(cli: Cli, options: { params?: Record<string, unknown>; paramsFile?: string }) {
  if (options.params && options.paramsFile)
    throw new ExitError(exitCodes.usage, "give --params or --params-file, not both");
  if (!options.paramsFile) return options.params;
  const parsed = paramsJson.safeParse(readFileSync(cli.resolvePath(options.paramsFile), "utf8"));
  if (!parsed.success)
    throw new ExitError(exitCodes.usage, `--params-file ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

/** Polls a run until it has ended; `onChange` hears each new state. */
export async function waitForRun(api: BatonClient, runId: string, onChange: (state: string) => void) {
  let last = "";
  for (;;) {
    const run = await unwrap(api.GET("/runs/{runId}", { params: { path: { runId } } }));
    if (run.state !== last) onChange(run.state);
    last = run.state;
    if (finished.has(run.state)) return run;
    await sleep(POLL_MS);
  }
}

const taskLabel = (t: Schemas["TaskInstance"]) => (t.mapIndex >= 0 ? `${t.taskId}[${t.mapIndex}]` : t.taskId);
/** A mapped parent's state with its elements by state: "running (3 success, 1 running)". */
const taskState = (t: Schemas["TaskInstance"]) =>
  t.mapStates
    ? `${t.state} (${
        Object.entries(t.mapStates)
          .map(([state, count]) => `${count} ${state}`)
          .join(", ") || "no elements"
      })`
    : t.state;
const taskStates = [
  "none",
  "queued",
  "scheduled",
  "running",
  "deferred",
  "up_for_retry",
  "success",
  "failed",
  "skipped",
  "upstream_failed",
] as const satisfies readonly Schemas["TaskState"][];

export function registerRunCommands(program: Command, cli: Cli): void {
  const run = program.command("run").description("Trigger, watch and operate DAG runs");

  run
    .command("trigger")
    .description("Trigger a run of a DAG; prints the run id (with --wait: waits, exit 1 unless it succeeded)")
    .argument("<dagId>", "the DAG's id")
    .option("--params <json>", "run params as a JSON object", cli.parser(paramsJson))
    .option("--params-file <file>", "run params from a JSON file")
    .option("--note <text>", "a note shown with the run")
    .option(
      "--idempotency-key <key>",
      "a repeat with the same key answers the first run instead of starting one",
    )
    .option("--wait", "wait for the run to end; exit 1 unless it succeeded")
    .action(
      async (
        dagId: string,
        options: {
          params?: Record<string, unknown>;
          paramsFile?: string;
          note?: string;
          idempotencyKey?: string;
          wait?: boolean;
        },
        command: Command,
      ) => {
        const api = apiFor(cli, command);
        const params = paramsOf(cli, options);
        const triggered = await unwrap(
          api.POST("/dags/{dagId}/runs", {
            params: {
              path: { dagId },
              header: options.idempotencyKey ? { "Idempotency-Key": options.idempotencyKey } : {},
            },
            body: { ...(params ? { params } : {}), ...(options.note ? { note: options.note } : {}) },
          }),
        );
        if (!triggered.created) cli.note(`run ${triggered.id} was made by an earlier request with this key`);
        if (!options.wait) {
          if (cli.json(command)) return cli.printJson(triggered);
          return cli.out(triggered.id);
        }
        cli.note(`run ${triggered.id} triggered; waiting…`);
        const ended = await waitForRun(api, triggered.id, (state) => cli.note(`${triggered.id}: ${state}`));
        if (cli.json(command)) cli.printJson({ id: ended.id, state: ended.state });
        else cli.out(`${ended.id} ${ended.state}`);
        if (ended.state !== "success") {
          const failed = ended.tasks.filter((t) => t.state === "failed" || t.state === "upstream_failed");
          throw new ExitError(
            exitCodes.failure,
            `run ${ended.id} ended ${ended.state}${failed.length ? `: ${failed.map((t) => `${taskLabel(t)} ${t.state}${t.error ? ` (${t.error})` : ""}`).join("; ")}` : ""}`,
          );
        }
      },
    );

  run
    .command("status")
    .description("A run's state and its tasks (a mapped task once, its elements counted by state)")
    .argument("<runId>", "the run's id", cli.parser(uuid))
    .action(async (runId: string, _options: object, command: Command) => {
      const found = await unwrap(apiFor(cli, command).GET("/runs/{runId}", { params: { path: { runId } } }));
      if (cli.json(command)) return cli.printJson(found);
      cli.out(`${found.dagKey} v${found.versionNumber} run ${found.id}: ${found.state}`);
      cli.printTable(
        found.tasks.map((t) => ({
          task: taskLabel(t),
          state: taskState(t),
          tries: `${t.tryNumber}/${t.maxTries}`,
          started: t.startedAt ?? "",
          ended: t.endedAt ?? "",
          error: t.error ?? "",
        })),
        { task: "TASK", state: "STATE", tries: "TRIES", started: "STARTED", ended: "ENDED", error: "ERROR" },
        "No tasks.",
      );
    });

  run
    .command("tasks")
    .description("A run's task instances with the elements of mapped tasks")
    .argument("<runId>", "the run's id", cli.parser(uuid))
    .option("--task <taskId>", "only this task's")
    .option("--state <state>", taskStates.join("|"), cli.parser(z.enum(taskStates)))
    .action(
      async (
        runId: string,
        options: { task?: string; state?: (typeof taskStates)[number] },
        command: Command,
      ) => {
        const api = apiFor(cli, command);
        const instances = await allItems(async (cursor) =>
          unwrap(
            api.GET("/runs/{runId}/tasks", {
              params: {
                path: { runId },
                query: {
                  cursor,
                  limit: MAX_PAGE_SIZE,
                  ...(options.task ? { taskId: options.task } : {}),
                  ...(options.state ? { state: options.state } : {}),
                },
              },
            }),
          ),
        );
        if (cli.json(command)) return cli.printJson(instances);
        cli.printTable(
          instances.map((t) => ({
            task: taskLabel(t),
            state: taskState(t),
            tries: `${t.tryNumber}/${t.maxTries}`,
            started: t.startedAt ?? "",
            ended: t.endedAt ?? "",
            error: t.error ?? "",
          })),
          {
            task: "TASK",
            state: "STATE",
            tries: "TRIES",
            started: "STARTED",
            ended: "ENDED",
            error: "ERROR",
          },
          "No task instances.",
        );
      },
    );

  run
    .command("list")
    .description("Runs, newest first")
    .option("--dag <dagId>", "only this DAG's")
    .option("--state <state>", runStates.join("|"), cli.parser(z.enum(runStates)))
    .option("--limit <n>", "how many (default 20)", cli.parser(positive), 20)
    .action(
      async (
        options: { dag?: string; state?: (typeof runStates)[number]; limit: number },
        command: Command,
      ) => {
        const api = apiFor(cli, command);
        const runs: Schemas["Run"][] = [];
        let cursor: string | undefined;
        do {
          const page = await unwrap(
            api.GET("/runs", {
              params: {
                query: {
                  cursor,
                  limit: Math.min(MAX_PAGE_SIZE, options.limit - runs.length),
                  ...(options.dag ? { dagId: options.dag } : {}),
                  ...(options.state ? { state: options.state } : {}),
                },
              },
            }),
          );
          runs.push(...page.items);
          cursor = page.nextCursor ?? undefined;
        } while (cursor && runs.length < options.limit);
        if (cli.json(command)) return cli.printJson(runs);
        cli.printTable(
          runs.map((r) => ({
            ...r,
            triggered: `${r.triggeredBy}${r.triggeredByLabel ? ` ${r.triggeredByLabel}` : ""}`,
          })),
          {
            id: "RUN",
            dagKey: "DAG",
            state: "STATE",
            logicalDate: "LOGICAL DATE",
            triggered: "TRIGGERED",
            endedAt: "ENDED",
          },
          "No runs.",
        );
      },
    );

  run
    .command("logs")
    .description(
      "A task attempt's log (the latest attempt unless --attempt); --follow prints lines as they come",
    )
    .argument("<runId>", "the run's id", cli.parser(uuid))
    .argument("<taskId>", "the task's id")
    .option("--attempt <n>", "attempt number", cli.parser(positive))
    .option("--map-index <n>", "item of a mapped task", cli.parser(mapIndex))
    .option("-f, --follow", "keep printing until the attempt has ended")
    .action(
      async (
        runId: string,
        taskId: string,
        options: { attempt?: number; mapIndex?: number; follow?: boolean },
        command: Command,
      ) => {
        const api = apiFor(cli, command);
        let afterId: string | undefined;
        let printed = 0;
        for (;;) {
          const log = await unwrap(
            api.GET("/runs/{runId}/tasks/{taskId}/logs", {
              params: {
                path: { runId, taskId },
                query: {
                  ...(options.attempt ? { attempt: options.attempt } : {}),
                  ...(options.mapIndex !== undefined ? { mapIndex: options.mapIndex } : {}),
                  ...(afterId ? { afterId } : {}),
                },
              },
            }),
          );
          for (const chunk of log.chunks) {
            if (cli.json(command)) cli.printJson(chunk);
            else cli.io.stdout.write(chunk.text);
            printed++;
          }
          afterId = log.chunks.at(-1)?.id ?? afterId;
          // A running attempt may write more: wait for it. Otherwise read on until nothing is left.
          if (options.follow && log.running) await sleep(POLL_MS);
          else if (log.chunks.length === 0) {
            if (printed === 0) cli.note(`attempt ${log.attempt} has no log lines (${log.state})`);
            return;
          }
        }
      },
    );

  run
    .command("cancel")
    .description("Cancel a run; running attempts are aborted")
    .argument("<runId>", "the run's id", cli.parser(uuid))
    .action(async (runId: string, _options: object, command: Command) => {
      await unwrap(apiFor(cli, command).POST("/runs/{runId}/cancel", { params: { path: { runId } } }));
      if (cli.json(command)) return cli.printJson({ id: runId, cancelled: true });
      cli.out(`Cancelled run ${runId}.`);
    });

  run
    .command("clear")
    .description("Run tasks again, keeping their upstream outputs")
    .argument("<runId>", "the run's id", cli.parser(uuid))
    .argument("<taskIds...>", "the tasks to clear")
    .option("--downstream", "clear their downstream tasks too")
    .option("--latest-version", "move the run to the DAG's current version first (same graph only)")
    .action(
      async (
        runId: string,
        taskIds: string[],
        options: { downstream?: boolean; latestVersion?: boolean },
        command: Command,
      ) => {
        const cleared = await unwrap(
          apiFor(cli, command).POST("/runs/{runId}/clear", {
            params: { path: { runId } },
            body: {
              taskIds,
              downstream: Boolean(options.downstream),
              latestVersion: Boolean(options.latestVersion),
            },
          }),
        );
        if (cli.json(command)) return cli.printJson(cleared);
        cli.out(`Cleared ${cleared.cleared.join(", ")}.`);
      },
    );

  run
    .command("retry-failed")
    .description("Run a run's failed and upstream-failed tasks again")
    .argument("<runId>", "the run's id", cli.parser(uuid))
    .action(async (runId: string, _options: object, command: Command) => {
      const cleared = await unwrap(
        apiFor(cli, command).POST("/runs/{runId}/retry-failed", { params: { path: { runId } } }),
      );
      if (cli.json(command)) return cli.printJson(cleared);
      cli.out(`Cleared ${cleared.cleared.join(", ")}.`);
    });

  program
    .command("backfill")
    .description("Create one run per scheduled logical date between --from and --to (both included)")
    .argument("<dagId>", "the DAG's id")
    .requiredOption(
      "--from <date>",
      "first logical date: 2025-01-01 (in the schedule's time zone) or a date-time",
    )
    .requiredOption("--to <date>", "last logical date")
    .option("--params <json>", "params of every run, as a JSON object", cli.parser(paramsJson))
    .option("--params-file <file>", "params of every run, from a JSON file")
    .option("--note <text>", "a note shown with the runs")
    .option("--wait", "follow the progress until every run has ended; exit 1 if one failed")
    .action(
      async (
        dagId: string,
        options: {
          from: string;
          to: string;
          params?: Record<string, unknown>;
          paramsFile?: string;
          note?: string;
          wait?: boolean;
        },
        command: Command,
      ) => {
        const api = apiFor(cli, command);
        const params = paramsOf(cli, options);
        let backfill = await unwrap(
          api.POST("/dags/{dagId}/backfills", {
            params: { path: { dagId } },
            body: {
              from: options.from,
              to: options.to,
              ...(params ? { params } : {}),
              ...(options.note ? { note: options.note } : {}),
            },
          }),
        );
        cli.note(
          `Backfill of ${backfill.total} logical date(s) of ${dagId}, ${backfill.from} to ${backfill.to}.`,
        );
        if (options.wait) {
          let last = "";
          while (backfill.state === "running" || backfill.finished < backfill.created - backfill.existing) {
            await sleep(POLL_MS);
            backfill = await unwrap(
              api.GET("/backfills/{backfillId}", { params: { path: { backfillId: backfill.id } } }),
            );
            const line = `${backfill.created}/${backfill.total} created; runs: ${Object.entries(backfill.runs)
              .map(([state, n]) => `${n} ${state}`)
              .join(", ")}`;
            if (line !== last) cli.note(line);
            last = line;
            if (backfill.state === "cancelled") break;
          }
        }
        if (cli.json(command)) cli.printJson(backfill);
        else cli.out(backfill.id);
        if (options.wait && (backfill.runs.failed > 0 || backfill.state === "cancelled")) {
          throw new ExitError(
            exitCodes.failure,
            `backfill ${backfill.id}: ${backfill.runs.failed} run(s) failed${backfill.state === "cancelled" ? ", cancelled" : ""}`,
          );
        }
      },
    );

  program
    .command("backfills")
    .description("The workspace's backfills, newest first")
    .option("--dag <dagId>", "only this DAG's")
    .action(async (options: { dag?: string }, command: Command) => {
      const api = apiFor(cli, command);
      const backfills = await allItems(async (cursor) =>
        unwrap(
          api.GET("/backfills", {
            params: {
              query: { cursor, limit: MAX_PAGE_SIZE, ...(options.dag ? { dagId: options.dag } : {}) },
            },
          }),
        ),
      );
      if (cli.json(command)) return cli.printJson(backfills);
      cli.printTable(
        backfills.map((b) => ({ ...b, progress: `${b.created}/${b.total}` })),
        { id: "ID", dagId: "DAG", state: "STATE", from: "FROM", to: "TO", progress: "CREATED" },
        "No backfills.",
      );
    });
}
