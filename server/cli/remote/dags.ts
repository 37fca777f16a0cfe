// `baton dag validate|push|pull|list|diff`: DAG files kept in a repository, checked and deployed
// through the REST API (see docs/cli.md, "Using a Baton").
import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import type { Command } from "commander";
import { z } from "zod";
import { ApiError, type BatonClient, type Schemas, unwrap } from "@/server/client";
import { allItems, MAX_PAGE_SIZE } from "@/server/pagination";
import { type Cli, ExitError, exitCodes } from "../program";
import { apiFor, resolveConnection } from "./connection";
import { type DagFile, documentDiff, readDagFile, renderDocument } from "./documents";

const versionNumber = z.coerce.number().int().min(1, "versions start at 1");
type Problem = Schemas["Problem"];

/**
 * Files larger than this go gzip-compressed (the server decodes `Content-Encoding: gzip`): a
 * 20,000-task document is megabytes of text that compresses about tenfold, while small files are
 * not worth the round of compression.
 */
export const GZIP_ABOVE_BYTES = 64 * 1024;

/** Sends a file's text as it is, with the content type of its format; gzip-compressed when large. */
export const asFile = (file: DagFile) => {
  const gzip = Buffer.byteLength(file.text) > GZIP_ABOVE_BYTES;
  return {
    body: file.text as never,
    bodySerializer: (body: unknown) => (gzip ? new Uint8Array(gzipSync(body as string)) : (body as string)),
    headers: { "content-type": file.contentType, ...(gzip ? { "content-encoding": "gzip" } : {}) },
  };
};

/** Checks a file with the server; the normalised document when it is valid. */
export async function validateFile(api: BatonClient, file: DagFile) {
  return unwrap(api.POST("/dags/validate", { params: { query: {} }, ...asFile(file) }));
}

export function printProblems(cli: Cli, file: string, problems: Problem[]): void {
  for (const problem of problems) cli.out(`${file}: ${problem.path || "(document)"}: ${problem.message}`);
}

/** Offline validation, for CLIs that carry the validator (the repository's, not the client build). */
export type LocalValidator = (
  text: string,
  format: "yaml" | "json",
) => { ok: true; dagId: string; tasks: number } | { ok: false; problems: Problem[] };

export function registerDagCommands(program: Command, cli: Cli, local?: LocalValidator): void {
  const dag = program.command("dag").description("Validate, push, pull, list and compare DAG documents");

  dag
    .command("validate")
    .description(
      "Check DAG files with the Baton (variables and operators of the workspace included); every problem with its path, exit 1 if there is one",
    )
    .argument("<files...>", ".json, .yaml or .yml DAG documents")
    .action(async (files: string[], _options: object, command: Command) => {
      let connected = true;
      try {
        resolveConnection(command, cli.io.env);
      } catch (error) {
        if (!local) throw error;
        connected = false;
      }
      const results = [];
      for (const name of files) {
        const file = readDagFile(cli.resolvePath(name), name);
        if (connected) {
          const result = await validateFile(apiFor(cli, command), file);
          results.push(
            result.ok
              ? { file: name, ok: true, dagId: result.document.id, tasks: result.document.tasks.length }
              : { file: name, ok: false, problems: result.problems },
          );
        } else {
          const result = local!(file.text, file.format);
          results.push(result.ok ? { file: name, ...result } : { file: name, ...result });
        }
      }
      if (cli.json(command)) cli.printJson(files.length === 1 ? results[0] : results);
      else
        for (const result of results) {
          if (result.ok) cli.out(`${result.file}: valid DAG "${result.dagId}" with ${result.tasks} task(s)`);
          else printProblems(cli, result.file, result.problems ?? []);
        }
      const invalid = results.filter((r) => !r.ok).length;
      if (invalid > 0)
        throw new ExitError(exitCodes.failure, `${invalid} of ${results.length} file(s) are not valid DAGs`);
    });

  dag
    .command("push")
    .description("Save DAG files as their DAGs' next versions (an unchanged file stores nothing)")
    .argument("<files...>", ".json, .yaml or .yml DAG documents")
    .option("-m, --message <message>", "what changed (default: $GIT_COMMIT when set)")
    .option(
      "--if-match <etag>",
      "refuse (412) unless the DAG's current version is this one (its ETag or hash)",
    )
    .action(async (files: string[], options: { message?: string; ifMatch?: string }, command: Command) => {
      const api = apiFor(cli, command);
      const message = options.message ?? cli.io.env.GIT_COMMIT ?? "";
      const pushed = [];
      for (const name of files) {
        const file = readDagFile(cli.resolvePath(name), name);
        const result = await unwrap(
          api.PUT("/dags/{dagId}", {
            params: {
              path: { dagId: file.dagId },
              query: { message },
              header: options.ifMatch ? { "If-Match": quoteTag(options.ifMatch) } : {},
            },
            ...asFile(file),
          }),
        ).catch((error: unknown) => {
          throw inFile(name, error);
        });
        pushed.push(result);
        if (!cli.json(command)) cli.out(describePush(result));
      }
      if (cli.json(command)) cli.printJson(files.length === 1 ? pushed[0] : pushed);
    });

  dag
    .command("pull")
    .description("Write a DAG's current (or an older) version's document, as YAML or JSON")
    .argument("<dagId>", "the DAG's id")
    .option("--number <n>", "an older version's number", cli.parser(versionNumber))
    .option("-o, --output <file>", "write to this file (default: standard output)")
    .option("--format <format>", "yaml or json (default: the output file's extension, else yaml)")
    .action(
      async (
        dagId: string,
        options: { number?: number; output?: string; format?: string },
        command: Command,
      ) => {
        const api = apiFor(cli, command);
        const document = options.number
          ? (
              await unwrap(
                api.GET("/dags/{dagId}/versions/{number}", {
                  params: { path: { dagId, number: options.number } },
                }),
              )
            ).document
          : (await unwrap(api.GET("/dags/{dagId}", { params: { path: { dagId } } }))).document;
        const format =
          options.format === "json" || (!options.format && /\.json$/i.test(options.output ?? ""))
            ? "json"
            : "yaml";
        const text = cli.json(command) ? renderDocument(document, "json") : renderDocument(document, format);
        if (options.output) {
          writeFileSync(cli.resolvePath(options.output), text);
          cli.note(
            `Wrote ${dagId}${options.number ? ` version ${options.number}` : ""} to ${options.output}.`,
          );
        } else cli.io.stdout.write(text);
      },
    );

  dag
    .command("list")
    .description("The workspace's DAGs with their current version, schedule and state")
    .option("--tag <tag>", "only DAGs with this tag")
    .option("--archived", "include archived DAGs")
    .action(async (options: { tag?: string; archived?: boolean }, command: Command) => {
      const dags = await listDags(apiFor(cli, command), {
        tag: options.tag,
        includeArchived: options.archived,
      });
      if (cli.json(command)) return cli.printJson(dags);
      cli.printTable(
        dags.map((d) => ({
          ...d,
          state: d.archived ? "archived" : d.paused ? "paused" : "active",
          schedule: !d.schedule
            ? ""
            : d.schedule.type === "cron"
              ? `${d.schedule.cron} ${d.schedule.timezone}`
              : `every ${d.schedule.every}`,
          tags: d.tags.join(","),
        })),
        {
          dagId: "DAG",
          currentVersion: "VERSION",
          state: "STATE",
          schedule: "SCHEDULE",
          nextRunAt: "NEXT RUN",
          tags: "TAGS",
        },
        "No DAGs.",
      );
    });

  dag
    .command("diff")
    .description("What a DAG file would change (file against the current version), or between two versions")
    .argument("<fileOrDagId>", "a DAG file, or a DAG id with --from")
    .option("--from <n>", "compare versions: from this one", cli.parser(versionNumber))
    .option("--to <n>", "…to this one (default: the current version)", cli.parser(versionNumber))
    .action(async (target: string, options: { from?: number; to?: number }, command: Command) => {
      const api = apiFor(cli, command);
      if (options.from) {
        const current =
          options.to ??
          (await unwrap(api.GET("/dags/{dagId}", { params: { path: { dagId: target } } }))).version.number;
        const diff = await unwrap(
          api.GET("/dags/{dagId}/diff", {
            params: { path: { dagId: target }, query: { from: options.from, to: current } },
          }),
        );
        if (cli.json(command)) return cli.printJson(diff);
        const lines = [
          ...diff.added.map((id) => `+ task ${id}`),
          ...diff.removed.map((id) => `- task ${id}`),
          ...diff.changed.map((c) => `~ task ${c.taskId}: ${c.fields.join(", ")}`),
          ...diff.dagFields.map((field) => `~ ${field}`),
        ];
        if (lines.length === 0) cli.note(`Versions ${diff.from} and ${diff.to} are the same.`);
        for (const line of lines) cli.out(line);
        return;
      }
      const file = readDagFile(cli.resolvePath(target), target);
      const checked = await validateFile(api, file);
      if (!checked.ok) {
        printProblems(cli, target, checked.problems);
        throw new ExitError(exitCodes.failure, `${target} is not a valid DAG`);
      }
      const remote = await currentDocument(api, checked.document.id);
      const diff = documentDiff(remote, checked.document, [
        remote ? `${checked.document.id} (current)` : "/dev/null",
        target,
      ]);
      if (cli.json(command)) return cli.printJson({ dagId: checked.document.id, changed: diff !== "", diff });
      if (!diff) cli.note(`${target}: the same as ${checked.document.id}'s current version.`);
      else cli.io.stdout.write(diff.endsWith("\n") ? diff : `${diff}\n`);
    });
}

/** An API error about a file, saying which. */
export function inFile(file: string, error: unknown): unknown {
  return error instanceof ApiError
    ? new ApiError(error.status, error.code, `${file}: ${error.message}`, error.problems)
    : error;
}

/** An ETag as given (quoted) or a bare hash. */
const quoteTag = (tag: string) => (tag.startsWith('"') || tag === "*" ? tag : `"${tag}"`);

export function describePush(p: {
  dagId: string;
  version: number;
  created: boolean;
  unchanged: boolean;
}): string {
  return p.unchanged
    ? `${p.dagId}: unchanged (version ${p.version})`
    : `${p.dagId}: ${p.created ? "created" : "saved"} version ${p.version}`;
}

export function listDags(
  api: BatonClient,
  filter: { tag?: string | undefined; includeArchived?: boolean | undefined },
) {
  return allItems(async (cursor) =>
    unwrap(
      api.GET("/dags", {
        params: {
          query: {
            cursor,
            limit: MAX_PAGE_SIZE,
            ...(filter.tag ? { tag: filter.tag } : {}),
            ...(filter.includeArchived ? { includeArchived: true } : {}),
          },
        },
      }),
    ),
  );
}

/** The current document of a DAG, or undefined when there is no such DAG. */
export async function currentDocument(api: BatonClient, dagId: string): Promise<unknown> {
  const answer = await api.GET("/dags/{dagId}", { params: { path: { dagId } } });
  if (answer.response.status === 404) return undefined;
  return (await unwrap(Promise.resolve(answer))).document;
}
