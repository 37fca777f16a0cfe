// `baton token create --workspace`: the installation's way to make a workspace's first API token
// (listing and revoking tokens are workspace commands, over the API: ../remote/tokens.ts). It
// prints the token alone on stdout, so `TOKEN=$(baton token create …)` captures it; it is shown
// once and stored hashed.
import type { Command } from "commander";
import { z } from "zod";
import { createToken, DEFAULT_TOKEN_DAYS } from "@/server/tokens/service";
import { displayName, role, tokenExpiryDays, workspaceSlug } from "@/server/validation";
import type { InstallationCli } from "../main";

const roleOption = z.string().trim().toUpperCase().pipe(role);

export function registerTokenCreateCommand(program: Command, cli: InstallationCli): void {
  const token = program
    .command("token")
    .description("API tokens: list and revoke (API); create (installation)");

  token
    .command("create")
    .description(
      "Create an API token in a workspace (installation: on the database); prints only the token, shown once",
    )
    .requiredOption("--workspace <slug>", "the workspace the token acts in", cli.parser(workspaceSlug))
    .requiredOption("--name <name>", "what the token is for, shown in lists", cli.parser(displayName))
    .requiredOption("--role <role>", "owner|admin|editor|operator|viewer", cli.parser(roleOption))
    .option(
      "--expires-in-days <days>",
      `days until it stops working (default ${DEFAULT_TOKEN_DAYS})`,
      cli.parser(z.coerce.number().pipe(tokenExpiryDays.unwrap().unwrap())),
    )
    .option("--no-expiry", "a token that never expires (revoke it when no longer needed)")
    .addHelpText(
      "after",
      "\nTokens made here act for no member: they keep working until they expire or are revoked.",
    )
    .action(
      async (
        options: {
          workspace: string;
          name: string;
          role: z.infer<typeof role>;
          expiresInDays?: number;
          expiry: boolean;
        },
        command: Command,
      ) => {
        if (!options.expiry && options.expiresInDays !== undefined) {
          command.error("error: option '--no-expiry' cannot be used with option '--expires-in-days'", {
            exitCode: 2,
          });
        }
        const scope = await cli.workspace(options.workspace);
        const created = await createToken(scope, {
          name: options.name,
          role: options.role,
          expiresInDays: options.expiry ? options.expiresInDays : null,
        });
        if (cli.json(command)) return cli.printJson(created);
        cli.out(created.token);
        cli.note(
          `Created token "${created.name}" (${created.role.toLowerCase()}) in ${scope.workspace.slug}, id ${created.id}.`,
        );
        cli.note("It is shown only this once; store it now.");
      },
    );
}
