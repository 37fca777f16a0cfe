// `baton sync <folder>`: GitOps for a workspace. Every DAG file of the folder (YAML or JSON, in
// subfolders too) is validated by the Baton; the plan compares each file's normalised document
// with its DAG's current version and lists the workspace's DAGs the folder lacks. `--apply`
// pushes the new and changed ones (each onto the version the plan saw: If-Match, so a change made
// meanwhile is refused, not overwritten), and with `--prune` archives the DAGs the folder lacks.
//
// Exit codes for CI: 0 in sync (or applied), 1 an invalid file or a refused change (nothing is
// applied when a file is invalid), 2 a usage error, 3 changes found and not applied.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import type { Command } from "commander";
import { ApiError, type BatonClient, type Schemas, unwrap } from "@/server/client";
import { type Cli, ExitError, exitCodes } from "../program";
import { apiFor } from "./connection";
import { asFile, describePush, listDags, printProblems, validateFile } from "./dags";
import { type DagFile, dagFilePattern, documentDiff, readDagFile } from "./documents";

type Action =
  | { kind: "create"; dagId: string; file: string }
  | { kind: "change"; dagId: string; file: string; diff: string; etag: string }
  | { kind: "unchanged"; dagId: string; file: string }
  | { kind: "archived"; dagId: string; file: string }
  | { kind: "missing"; dagId: string };

/** DAG files under a folder, in a stable order (hidden folders and node_modules skipped). */
function dagFiles(folder: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (dagFilePattern.test(entry.name)) found.push(full);
    }
  };
  walk(folder);
  return found;
}

async function plan(api: BatonClient, folder: string, shown: string) {
  const files = dagFiles(folder);
  const invalid: { file: string; problems: Schemas["Problem"][] }[] = [];
  const documents = new Map<string, { file: string; dagFile: DagFile; document: unknown }>();
  for (const full of files) {
    const name = path.join(shown, path.relative(folder, full));
    const file = readDagFile(full, name);
    const result = await validateFile(api, file);
    if (!result.ok) {
      invalid.push({ file: name, problems: result.problems });
      continue;
    }
    const id = result.document.id;
    const twin = documents.get(id);
    if (twin) {
      invalid.push({
        file: name,
        problems: [{ path: "id", message: `DAG "${id}" is also defined by ${twin.file}` }],
      });
      continue;
    }
    documents.set(id, { file: name, dagFile: file, document: result.document });
  }
  const remote = new Map((await listDags(api, { includeArchived: true })).map((dag) => [dag.dagId, dag]));
  const actions: Action[] = [];
  for (const [dagId, local] of documents) {
    const existing = remote.get(dagId);
    if (!existing) actions.push({ kind: "create", dagId, file: local.file });
    else if (existing.archived) actions.push({ kind: "archived", dagId, file: local.file });
    else {
      const current = await api.GET("/dags/{dagId}", { params: { path: { dagId } } });
      const stored = await unwrap(Promise.resolve(current));
      if (isDeepStrictEqual(stored.document, local.document))
        actions.push({ kind: "unchanged", dagId, file: local.file });
      else
        actions.push({
          kind: "change",
          dagId,
          file: local.file,
          diff: documentDiff(stored.document, local.document, [
            `${dagId} (version ${stored.version.number})`,
            local.file,
          ]),
          etag: current.response.headers.get("etag") ?? `"${stored.version.hash}"`,
        });
    }
  }
  for (const [dagId, dag] of remote)
    if (!dag.archived && !documents.has(dagId)) actions.push({ kind: "missing", dagId });
  return { files: files.length, invalid, actions, documents };
}

export function registerSyncCommand(program: Command, cli: Cli): void {
  program
    .command("sync")
    .description(
      "Keep a workspace's DAGs in step with a folder of DAG files: shows the plan (exit 3 when there are changes); --apply pushes them, --prune archives DAGs the folder lacks",
    )
    .argument("<folder>", "a folder of .yaml, .yml and .json DAG files (subfolders included)")
    .option("--apply", "push new and changed DAGs")
    .option("--prune", "with --apply, archive the workspace's DAGs that have no file")
    .option("-m, --message <message>", "the versions' message (default: $GIT_COMMIT when set)")
    .action(
      async (
        folder: string,
        options: { apply?: boolean; prune?: boolean; message?: string },
        command: Command,
      ) => {
        const dir = cli.resolvePath(folder);
        if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
          throw new ExitError(exitCodes.usage, `${folder} is not a folder`);
        }
        const api = apiFor(cli, command);
        const json = cli.json(command);
        const { files, invalid, actions, documents } = await plan(api, dir, folder);
        const count = (kind: Action["kind"]) => actions.filter((a) => a.kind === kind).length;
        const summary = {
          files,
          create: count("create"),
          change: count("change"),
          unchanged: count("unchanged"),
          archived: count("archived"),
          missing: count("missing"),
        };

        if (!json) {
          for (const { file, problems } of invalid) printProblems(cli, file, problems);
          for (const action of actions) {
            if (action.kind === "create") cli.out(`+ ${action.dagId}  new  (${action.file})`);
            else if (action.kind === "change") {
              cli.out(`~ ${action.dagId}  changed  (${action.file})`);
              for (const line of action.diff.trimEnd().split("\n")) cli.out(`    ${line}`);
            } else if (action.kind === "unchanged") cli.out(`= ${action.dagId}  unchanged  (${action.file})`);
            else if (action.kind === "archived")
              cli.out(`! ${action.dagId}  archived in the workspace: unarchive it to push ${action.file}`);
            else
              cli.out(
                `- ${action.dagId}  not in the folder${options.prune ? ": to archive" : " (--prune archives it)"}`,
              );
          }
          cli.note(
            `Plan: ${summary.create} new, ${summary.change} changed, ${summary.unchanged} unchanged, ${summary.missing} not in the folder${options.prune ? " (to archive)" : ""}${summary.archived ? `, ${summary.archived} archived` : ""}; ${invalid.length} invalid file(s).`,
          );
        }
        if (invalid.length > 0 || summary.archived > 0) {
          if (json) cli.printJson({ summary, invalid, actions, applied: [] });
          throw new ExitError(
            exitCodes.failure,
            invalid.length > 0
              ? `${invalid.length} invalid DAG file(s): nothing applied`
              : `${summary.archived} file(s) name archived DAGs: nothing applied`,
          );
        }
        const pending = summary.create + summary.change + (options.prune ? summary.missing : 0);
        if (!options.apply) {
          if (json) cli.printJson({ summary, invalid, actions, applied: [] });
          if (pending > 0)
            throw new ExitError(exitCodes.pending, json ? "" : "changes not applied (run with --apply)");
          return;
        }

        const message = options.message ?? cli.io.env.GIT_COMMIT ?? "";
        const applied: { dagId: string; result: string }[] = [];
        const failures: string[] = [];
        for (const action of actions) {
          try {
            if (action.kind === "create" || action.kind === "change") {
              const local = documents.get(action.dagId)!;
              const pushed = await unwrap(
                api.PUT("/dags/{dagId}", {
                  params: {
                    path: { dagId: action.dagId },
                    query: { message },
                    header: action.kind === "change" ? { "If-Match": action.etag } : { "If-None-Match": "*" },
                  },
                  ...asFile(local.dagFile),
                }),
              );
              applied.push({ dagId: action.dagId, result: describePush(pushed) });
            } else if (action.kind === "missing" && options.prune) {
              await unwrap(api.POST("/dags/{dagId}/archive", { params: { path: { dagId: action.dagId } } }));
              applied.push({ dagId: action.dagId, result: `${action.dagId}: archived` });
            }
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            failures.push(`${action.dagId}: ${error.describe()}`);
          }
        }
        if (json) cli.printJson({ summary, invalid, actions, applied, failures });
        else for (const { result } of applied) cli.out(result);
        if (failures.length > 0)
          throw new ExitError(
            exitCodes.failure,
            `${failures.length} change(s) refused:\n${failures.join("\n")}`,
          );
        if (!json) cli.note(`Applied ${applied.length} change(s).`);
      },
    );
}
