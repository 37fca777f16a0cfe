// The `baton` program: commander set-up, output helpers, error reporting and exit codes, shared by
// the full CLI (main.ts: the installation commands on the database, and the workspace commands on
// the REST API) and the client build (client-main.ts: the REST commands alone, no database driver,
// bundled into one file by `npm run build:cli`). Nothing here may import the database.
//
// Exit codes: 0 success, 1 a failure (refused by the API, a run that failed, a domain error), 2 a
// usage error (unknown command or option, missing or invalid argument), 3 `baton sync` found
// changes it did not apply. Errors go to stderr as `baton: <message>`, then one line per problem
// (`  <path>: <message>`); stdout carries only results, so `ID=$(baton run trigger etl)` works.
import { realpathSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import type { z } from "zod";
import packageJson from "@/package.json" with { type: "json" };
import { ApiError } from "@/server/client";

export const exitCodes = { ok: 0, failure: 1, usage: 2, pending: 3 } as const;

/** Ends the command with an exit code (and a message on stderr, unless empty). */
export class ExitError extends Error {
  constructor(
    readonly exitCode: number,
    message = "",
  ) {
    super(message);
    this.name = "ExitError";
  }
}

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Read by options such as `--password-stdin` and `baton secret set`. */
  stdin: AsyncIterable<string | Buffer> & { isTTY?: boolean };
  /** The environment (BATON_URL, BATON_TOKEN, BATON_PROFILE…); tests pass their own. */
  env: Record<string, string | undefined>;
  /** Sends API requests (default: fetch); tests answer them in-process. */
  fetch?: (request: Request) => Promise<Response>;
}

/** What every command module gets besides the commander program: output, input and parsing. */
export interface Cli {
  io: CliIo;
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
   * An option parser validating with a zod shape. A failure is a usage error naming the option:
   * `baton: option '--role <role>' argument 'x' is invalid. …`.
   */
  parser<T>(schema: z.ZodType<T>): (value: string) => T;
  /** A path argument resolved against the directory the user ran `baton` in (BATON_CWD). */
  resolvePath(file: string): string;
}

export type CommandGroup<C extends Cli = Cli> = (program: Command, cli: C) => void;

export function createCli(io: CliIo): Cli {
  const { stdout, stderr, stdin } = io;
  return {
    io,
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
    resolvePath: (file) => path.resolve(io.env.BATON_CWD ?? io.env.INIT_CWD ?? process.cwd(), file),
  };
}

export interface ProgramOptions<C extends Cli> {
  description: string;
  groups: CommandGroup<C>[];
  /** Runs once the command line parsed, before the command (the full CLI opens its database). */
  beforeAction?: (action: Command) => Promise<void>;
  /** Turns errors of the caller's own kinds into an exit code (after printing them), or undefined. */
  report?: (error: unknown) => number | undefined;
}

/** Parses one command line (without `node baton`), runs it and answers its exit code. */
export async function runProgram<C extends Cli>(
  argv: string[],
  cli: C,
  options: ProgramOptions<C>,
): Promise<number> {
  const { stdout, stderr } = cli.io;
  const program = new Command("baton")
    .description(options.description)
    .version(packageJson.version, "-V, --version")
    .option("--json", "print results as JSON")
    .option("--profile <name>", "the saved login to use (`baton login`; or BATON_PROFILE)")
    .option("--url <url>", "the Baton to talk to, e.g. https://baton.example.com (or BATON_URL)")
    .option("--token <token>", "an API token for --url (or BATON_TOKEN)")
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => stderr.write(text),
      outputError: (text, write) => write(`baton: ${text.replace(/^error: /, "")}`),
    });
  if (options.beforeAction) {
    const before = options.beforeAction;
    program.hook("preAction", (_program, action) => before(action));
  }
  for (const register of options.groups) register(program, cli);
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCodes.ok;
  } catch (error) {
    return options.report?.(error) ?? reportError(error, cli);
  }
}

/** Whether the module at `moduleUrl` is the script node was started with (not imported by a test). */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

function reportError(error: unknown, cli: Cli): number {
  // Commander has already printed its message (through outputError above).
  if (error instanceof CommanderError) return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
  if (error instanceof ExitError) {
    if (error.message) cli.note(`baton: ${error.message}`);
    return error.exitCode;
  }
  if (error instanceof ApiError) {
    cli.note(`baton: ${error.describe()}`);
    return exitCodes.failure;
  }
  const message = error instanceof Error ? error.message : String(error);
  cli.note(`baton: ${message}`);
  if (cli.io.env.BATON_DEBUG && error instanceof Error && error.stack) cli.note(error.stack);
  return exitCodes.failure;
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
