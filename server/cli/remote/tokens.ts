// `baton token list|revoke`: the workspace's API tokens, through the API (a token with
// tokens:manage). Making the first token of a workspace is an installation command
// (`baton token create --workspace`, on the database).
import type { Command } from "commander";
import { z } from "zod";
import { unwrap } from "@/server/client";
import { allItems, MAX_PAGE_SIZE } from "@/server/pagination";
import { type Cli, ExitError, exitCodes } from "../program";
import { apiFor } from "./connection";

const uuid = z.uuid({ error: "not a valid id" });

/** Adds `list` and `revoke` to the `token` command (made here when no other module did). */
export function registerTokenCommands(program: Command, cli: Cli): void {
  const token =
    program.commands.find((c) => c.name() === "token") ??
    program.command("token").description("List and revoke API tokens");

  token
    .command("list")
    .description("The workspace's tokens: name, role, expiry, last use (never the tokens themselves)")
    .action(async (_options: object, command: Command) => {
      const api = apiFor(cli, command);
      const tokens = await allItems(async (cursor) =>
        unwrap(api.GET("/tokens", { params: { query: { cursor, limit: MAX_PAGE_SIZE } } })),
      );
      if (cli.json(command)) return cli.printJson(tokens);
      cli.printTable(
        tokens.map((t) => ({
          ...t,
          role: t.effectiveRole.toLowerCase(),
          prefix: `${t.prefix}…`,
          expires: t.expired ? "expired" : (t.expiresAt ?? "never"),
        })),
        {
          id: "ID",
          name: "NAME",
          role: "ROLE",
          prefix: "PREFIX",
          expires: "EXPIRES",
          lastUsedAt: "LAST USED",
        },
        "No tokens.",
      );
    });

  token
    .command("revoke")
    .description("Revoke a token; requests using it fail from now on")
    .argument("[id]", "the token's id, from `baton token list`")
    .option("--id <id>", "the token's id (as an option)")
    .action(async (positional: string | undefined, options: { id?: string }, command: Command) => {
      const parsed = uuid.safeParse(positional ?? options.id);
      if (!parsed.success)
        throw new ExitError(exitCodes.usage, "give the token's id (a uuid from `baton token list`)");
      const id = parsed.data;
      await unwrap(apiFor(cli, command).DELETE("/tokens/{tokenId}", { params: { path: { tokenId: id } } }));
      if (cli.json(command)) return cli.printJson({ id, revoked: true });
      cli.out(`Revoked token ${id}.`);
    });
}
