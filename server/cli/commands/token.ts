// `baton token …`: API tokens for a workspace, e.g. for CI. `create` prints the token alone on
// stdout, so `TOKEN=$(baton token create …)` captures it; it is shown once and stored hashed.
import type { Command } from "commander";
import { z } from "zod";
import { allItems, MAX_PAGE_SIZE } from "@/server/pagination";
import { createToken, DEFAULT_TOKEN_DAYS, listTokens, revokeToken } from "@/server/tokens/service";
import { displayName, role, tokenExpiryDays, uuid, workspaceSlug } from "@/server/validation";
import type { Cli } from "../main";

const roleOption = z.string().trim().toUpperCase().pipe(role);

export function registerTokenCommands(program: Command, cli: Cli): void {
  const token = program.command("token").description("Create, list and revoke API tokens");

  token
    .command("create")
    .description("Create an API token; prints only the token (shown this once)")
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

  token
    .command("list")
    .description("List a workspace's active tokens (never the tokens themselves)")
    .requiredOption("--workspace <slug>", "the workspace", cli.parser(workspaceSlug))
    .action(async (options: { workspace: string }, command: Command) => {
      const scope = await cli.workspace(options.workspace);
      const tokens = await allItems((cursor) => listTokens(scope, { cursor, limit: MAX_PAGE_SIZE }));
      if (cli.json(command)) return cli.printJson(tokens);
      cli.printTable(
        tokens.map(({ createdBy: _, ...t }) => ({
          ...t,
          role: t.role.toLowerCase(),
          prefix: `${t.prefix}…`,
          expiresAt: t.expiresAt ?? "never",
        })),
        {
          id: "ID",
          name: "NAME",
          role: "ROLE",
          prefix: "PREFIX",
          lastUsedAt: "LAST USED",
          lastUsedIp: "FROM",
          expiresAt: "EXPIRES",
          createdAt: "CREATED",
        },
        "No active tokens.",
      );
    });

  token
    .command("revoke")
    .description("Revoke a token; requests using it fail from now on")
    .requiredOption("--workspace <slug>", "the workspace", cli.parser(workspaceSlug))
    .requiredOption("--id <id>", "the token's id, from `baton token list`", cli.parser(uuid))
    .action(async (options: { workspace: string; id: string }, command: Command) => {
      const scope = await cli.workspace(options.workspace);
      await revokeToken(scope, options.id);
      if (cli.json(command)) return cli.printJson({ id: options.id, revoked: true });
      cli.out(`Revoked token ${options.id} in ${scope.workspace.slug}.`);
    });
}
