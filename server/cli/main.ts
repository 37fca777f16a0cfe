// `baton`, the installation operator's command line (in the manner of `airflow users create`):
// parses argv with commander, runs one command against the database and answers with an exit
// code. It acts as the operator, not as a user: account services are called directly and
// workspace services through `systemScope`, so their audit events read "system".
//
// Exit codes: 0 success, 1 a domain error (AppError) or failure, 2 a usage error (unknown
// command or option, missing or invalid argument). Errors are one line, `baton: <message>`, on
// stderr; stdout carries only results, so `TOKEN=$(baton token create …)` works.
//
// A command group is one module in ./commands exporting `register…(program, cli)`; add it to
// `commandGroups` below.
import { readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import type { z } from "zod";
import { checkConfig, env } from "@/server/config";
import { closeDb, db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { systemScope, type WorkspaceScope } from "@/server/tenancy/door";
import { registerAdminCommands } from "./commands/admin";
import { registerBackfillCommands } from "./commands/backfill";
import { registerDagCommands } from "./commands/dag";
import { registerKeyCommands } from "./commands/keys";
import { registerMemberCommands } from "./commands/member";
import { registerRunCommands } from "./commands/run";
import { registerScheduleCommands } from "./commands/schedule";
import { registerTokenCommands } from "./commands/token";
import { registerUserCommands } from "./commands/user";
import { registerWebhookCommands } from "./commands/webhook";
import { registerWorkspaceCommands } from "./commands/workspace";
import { type CliDatabase, openDatabase } from "./database";

/**
 * Commands that may run without a database (validating a file, pushing through the REST API):
 * given their options, say whether this invocation needs none.
 */
export const worksWithoutDatabase = new WeakMap<Command, (options: Record<string, unknown>) => boolean>();

const commandGroups = [
  registerUserCommands,
  registerWorkspaceCommands,
  registerMemberCommands,
  registerTokenCommands,
  registerRunCommands,
  registerDagCommands,
  registerKeyCommands,
  registerScheduleCommands,
  registerBackfillCommands,
  registerWebhookCommands,
  registerAdminCommands,
];

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Read only by options such as `--password-stdin`. */
  stdin: AsyncIterable<string | Buffer> & { isTTY?: boolean };
}

/** What every command module gets besides the commander program: output, input and lookups. */
export interface Cli {
  /** A result line on stdout: what a script captures. */
  out(text: string): void;
  /** A message for the person at the terminal, on stderr, so it never pollutes captured output. */
  note(text: string): void;
  /** Whether the global `--json` option was given. */
  json(command: Command): boolean;
  printJson(value: unknown): void;
  /** Rows as aligned columns (or a note on stderr when there are none). */
  printTable(rows: Record<string, unknown>[], columns: Record<string, string>, empty: string): void;
  /** All of stdin, without its final line break. */
  readStdin(): Promise<string>;
  /**
   * An option parser validating with a zod shape from server/validation.ts. A failure is a usage
   * error naming the option: `baton: option '--role <role>' argument 'x' is invalid. …`.
   */
  parser<T>(schema: z.ZodType<T>): (value: string) => T;
  /** The operator's scope in the workspace with this slug; NOT_FOUND when there is none. */
  workspace(slug: string): Promise<WorkspaceScope>;
  /** The user with this (already validated) e-mail; NOT_FOUND when there is none. */
  userByEmail(email: string, option: string): Promise<{ id: string; email: string; name: string }>;
  /**
   * A path argument resolved against the directory the user ran `baton` in: scripts/baton.mjs
   * and `npm run` both run the CLI from the repository root.
   */
  resolvePath(file: string): string;
}

const packageJson = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

/** Runs one command line (without the leading `node main.ts`) and returns its exit code. */
export async function runCli(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const stdin = io.stdin ?? process.stdin;
  let database: CliDatabase | undefined;

  const cli: Cli = {
    out: (text) => stdout.write(`${text}\n`),
    note: (text) => stderr.write(`${text}\n`),
    json: (command) => Boolean(command.optsWithGlobals().json),
    printJson: (value) => stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    printTable: (rows, columns, empty) => {
      if (rows.length === 0) stderr.write(`${empty}\n`);
      else stdout.write(formatTable(rows, columns));
    },
    readStdin: async () => {
      if (stdin.isTTY) stderr.write("Reading from standard input; end with Ctrl-D.\n");
      let text = "";
      for await (const chunk of stdin) text += chunk.toString();
      return text.replace(/\r?\n$/, "");
    },
    parser: (schema) => (value) => {
      const parsed = schema.safeParse(value);
      if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]?.message ?? "Invalid value");
      return parsed.data;
    },
    workspace: async (slug) => {
      const workspace = await db.workspace.findUnique({ where: { slug }, select: { id: true } });
      if (!workspace) {
        throw new AppError("NOT_FOUND", `Workspace "${slug}" not found`, [
          { path: "workspace", message: "No workspace has this slug; `baton workspace list` shows them" },
        ]);
      }
      return systemScope(workspace.id);
    },
    userByEmail: async (email, option) => {
      const user = await db.user.findUnique({
        where: { email },
        select: { id: true, email: true, name: true },
      });
      if (!user) {
        throw new AppError(
          "NOT_FOUND",
          `No user with the e-mail ${email}; create one with \`baton user create\``,
          [{ path: option, message: "No such user" }],
        );
      }
      return user;
    },
    resolvePath: (file) => path.resolve(env.BATON_CWD ?? process.env.INIT_CWD ?? process.cwd(), file),
  };

  const program = new Command("baton")
    .description("Operate a Baton installation: users, workspaces, members and API tokens.")
    .version(packageJson.version, "-V, --version")
    .option("--json", "print results as JSON")
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => stderr.write(text),
      outputError: (text, write) => write(`baton: ${text.replace(/^error: /, "")}`),
    })
    // Opened only once parsing succeeded, so `--help` and usage errors never start a database.
    .hook("preAction", async (_program, action) => {
      if (worksWithoutDatabase.get(action)?.(action.opts()) === true) return;
      database ??= await openDatabase(cli.note);
    });
  for (const register of commandGroups) register(program, cli);

  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    return reportError(error, stderr);
  } finally {
    await database
      ?.close()
      .catch((error: Error) => stderr.write(`baton: closing the database: ${error.message}\n`));
  }
}

function reportError(error: unknown, stderr: CliIo["stderr"]): number {
  // Commander has already printed its message (through outputError above).
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof AppError) {
    const options = [...new Set(error.problems.map((p) => `--${p.path}`))];
    stderr.write(`baton: ${error.message}${options.length ? ` (${options.join(", ")})` : ""}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(`baton: ${message}\n`);
  if (env.BATON_DEBUG && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
  return 1;
}

function formatTable(rows: Record<string, unknown>[], columns: Record<string, string>): string {
  const keys = Object.keys(columns);
  const cell = (value: unknown) =>
    value === null || value === undefined
      ? "-"
      : value instanceof Date
        ? value.toISOString().replace(/\.\d{3}Z$/, "Z")
        : String(value);
  const lines = [keys.map((key) => columns[key]!), ...rows.map((row) => keys.map((key) => cell(row[key])))];
  const widths = keys.map((_, i) => Math.max(...lines.map((line) => line[i]!.length)));
  return lines
    .map(
      (line) =>
        `${line
          .map((text, i) => text.padEnd(widths[i]!))
          .join("  ")
          .trimEnd()}\n`,
    )
    .join("");
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  checkConfig("cli");
  const code = await runCli(process.argv.slice(2));
  await closeDb();
  process.exit(code);
}
