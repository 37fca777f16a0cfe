// `baton user …`: accounts, created by the operator (the first user of an installation, or
// anyone when sign-up is closed). Each new user gets a first workspace, as on sign-up.
import { randomBytes } from "node:crypto";
import { type Command, Option } from "commander";
import { createAccount } from "@/server/auth/accounts";
import { resetLinkFor } from "@/server/auth/password-reset";
import { passwordWeakness } from "@/server/auth/password-strength";
import { env } from "@/server/config";
import { db } from "@/server/db/client";
import { displayName, email, password } from "@/server/validation";
import type { InstallationCli as Cli } from "../main";

export function registerUserCommands(program: Command, cli: Cli): void {
  const user = program.command("user").description("Create and list users; reset links");

  user
    .command("create")
    .description("Create a user and their first workspace; prints the user id and the workspace slug")
    .requiredOption("--email <address>", "e-mail address, used to sign in", cli.parser(email))
    .requiredOption("--name <name>", "display name", cli.parser(displayName))
    .addOption(new Option("--password <password>", "the password (visible in shell history and `ps`)"))
    .addOption(new Option("--password-stdin", "read the password from standard input").conflicts("password"))
    .addHelpText(
      "after",
      "\nWithout --password or --password-stdin a strong password is generated and printed once.",
    )
    .action(
      async (
        options: { email: string; name: string; password?: string; passwordStdin?: boolean },
        command: Command,
      ) => {
        const given = options.passwordStdin ? await cli.readStdin() : options.password;
        const generated = given === undefined;
        const secret = given ?? randomBytes(18).toString("base64url");
        const checked = password.safeParse(secret);
        const problem = checked.success
          ? passwordWeakness(secret, [options.email, options.name])
          : checked.error.issues[0]?.message;
        if (problem) {
          const option = options.passwordStdin ? "--password-stdin" : "--password";
          command.error(`option '${option}' is invalid. ${problem}`, { exitCode: 2 });
        }
        const { user: created, workspace } = await createAccount({
          email: options.email,
          name: options.name,
          password: secret,
        });
        if (cli.json(command)) {
          cli.printJson({
            id: created.id,
            email: created.email,
            name: created.name,
            workspace: workspace.slug,
            ...(generated ? { password: secret } : {}),
          });
        } else {
          cli.out(`id         ${created.id}`);
          cli.out(`email      ${created.email}`);
          cli.out(`workspace  ${workspace.slug}`);
          if (generated) cli.out(`password   ${secret}`);
        }
        if (generated) cli.note("The generated password is shown only this once; store it now.");
      },
    );

  user
    .command("reset-link")
    .description(
      "Print a password-reset link for a user, to hand over yourself (for installations without SMTP)",
    )
    .argument("<email>", "the user's e-mail address", cli.parser(email))
    .addHelpText(
      "after",
      "\nThe link works once, within 30 minutes; using it ends all the account's sessions.\nLinks start with NEXTAUTH_URL (or BATON_URL), else http://localhost:3000.",
    )
    .action(async (address: string, _options: unknown, command: Command) => {
      const link = await resetLinkFor(address, env.BATON_URL ?? env.NEXTAUTH_URL ?? "http://localhost:3000");
      if (cli.json(command)) return cli.printJson({ email: address, link });
      cli.out(link);
      cli.note(`A password-reset link for ${address}: it works once, within 30 minutes.`);
    });

  user
    .command("list")
    .description("List every user of the installation")
    .action(async (_options: unknown, command: Command) => {
      const users = await db.user.findMany({
        select: {
          id: true,
          email: true,
          name: true,
          createdAt: true,
          _count: { select: { memberships: true } },
        },
        orderBy: { createdAt: "asc" },
      });
      const rows = users.map(({ _count, ...u }) => ({ ...u, workspaces: _count.memberships }));
      if (cli.json(command)) return cli.printJson(rows);
      cli.printTable(
        rows,
        { email: "EMAIL", name: "NAME", workspaces: "WORKSPACES", id: "ID", createdAt: "CREATED" },
        "No users yet: create one with `baton user create`.",
      );
    });
}
