// `baton`, the full command line (run from the repository: `npm run baton`, scripts/baton.mjs):
//
//  - the workspace commands (./remote): what a user of a Baton does, over the REST API with a URL
//    and a token — the same commands the client build (client-main.ts) carries;
//  - the installation commands (./installation): what the operator of an installation does on its
//    database (in the manner of `airflow users create`): users, workspaces, members, a workspace's
//    first token, platform administrators, master keys, the status of its workers and queues. They act as the operator, not as a user:
//    account services are called directly and workspace services through `systemScope`, so their
//    audit events read "system". The database is opened only for them.
//
// Exit codes and output: program.ts.
import type { Command } from "commander";
import { checkConfig } from "@/server/config";
import { parseAndValidateDag } from "@/server/dags/serialize";
import { closeDb, db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { systemScope, type WorkspaceScope } from "@/server/tenancy/door";
import { type CliDatabase, openDatabase } from "./database";
import { registerAdminCommands } from "./installation/admin";
import { registerKeyCommands } from "./installation/keys";
import { registerMemberCommands } from "./installation/member";
import { registerStatusCommand } from "./installation/status";
import { registerTokenCreateCommand } from "./installation/token";
import { registerUserCommands } from "./installation/user";
import { registerWorkspaceCommands } from "./installation/workspace";
import { type Cli, type CliIo, createCli, exitCodes, isEntryPoint, runProgram } from "./program";
import type { LocalValidator } from "./remote/dags";
import { registerRemoteCommands } from "./remote/index";

export type { CliIo };

/** Installation commands that need no database after all (`keys generate`). */
export const worksWithoutDatabase = new WeakMap<Command, (options: Record<string, unknown>) => boolean>();

/** What installation command modules get besides output and parsing: database lookups. */
export interface InstallationCli extends Cli {
  /** The operator's scope in the workspace with this slug; NOT_FOUND when there is none. */
  workspace(slug: string): Promise<WorkspaceScope>;
  /** The user with this (already validated) e-mail; NOT_FOUND when there is none. */
  userByEmail(email: string, option: string): Promise<{ id: string; email: string; name: string }>;
}

const installationGroups = [
  registerUserCommands,
  registerWorkspaceCommands,
  registerMemberCommands,
  registerTokenCreateCommand,
  registerKeyCommands,
  registerAdminCommands,
  registerStatusCommand,
];

/** Offline `baton dag validate` (no Baton given): the validator this repository carries. */
const localValidate: LocalValidator = (text, format) => {
  const result = parseAndValidateDag(text, { format });
  return result.ok ? { ok: true, dagId: result.dag.id, tasks: result.dag.tasks.length } : result;
};

/** Runs one command line (without the leading `node main.ts`) and returns its exit code. */
export async function runCli(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const cli: InstallationCli = {
    ...createCli({
      stdout: io.stdout ?? process.stdout,
      stderr: io.stderr ?? process.stderr,
      stdin: io.stdin ?? process.stdin,
      env: io.env ?? process.env,
      ...(io.fetch ? { fetch: io.fetch } : {}),
    }),
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
  };
  // The installation commands are the ones that need the database: collected as they register.
  const onDatabase = new WeakSet<Command>();
  let database: CliDatabase | undefined;
  try {
    return await runProgram(argv, cli, {
      description:
        "Use a Baton from a terminal or CI (over its REST API: `baton login` first), and operate a Baton installation (user, workspace, member, token create, keys, admin, status: on its database).",
      groups: [
        (program) => {
          for (const register of installationGroups) register(program, cli);
          for (const group of program.commands) {
            group.description(`${group.description()} (installation: on the database)`);
            for (const command of [group, ...group.commands]) onDatabase.add(command);
          }
        },
        (program) => registerRemoteCommands(program, cli, { localValidate }),
      ],
      // Opened only once parsing succeeded, so `--help` and usage errors never start a database.
      beforeAction: async (action) => {
        if (!onDatabase.has(action) || worksWithoutDatabase.get(action)?.(action.opts()) === true) return;
        database ??= await openDatabase(cli.note);
      },
      report: (error) => {
        if (!(error instanceof AppError)) return undefined;
        const options = [...new Set(error.problems.map((p) => `--${p.path}`))];
        cli.note(`baton: ${error.message}${options.length ? ` (${options.join(", ")})` : ""}`);
        return exitCodes.failure;
      },
    });
  } finally {
    await database
      ?.close()
      .catch((error: Error) => cli.note(`baton: closing the database: ${error.message}`));
  }
}

if (isEntryPoint(import.meta.url)) {
  checkConfig("cli");
  const code = await runCli(process.argv.slice(2));
  await closeDb();
  process.exit(code);
}
