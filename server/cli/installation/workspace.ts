// `baton workspace …`: tenants, seen from the installation (every workspace, not one user's).
import type { Command } from "commander";
import { db } from "@/server/db/client";
import { displayName, email } from "@/server/validation";
import { createWorkspace } from "@/server/workspaces/service";
import type { InstallationCli as Cli } from "../main";

export function registerWorkspaceCommands(program: Command, cli: Cli): void {
  const workspace = program.command("workspace").description("Create and list workspaces");

  workspace
    .command("create")
    .description("Create a workspace owned by an existing user; prints its slug")
    .requiredOption("--name <name>", "display name; the slug is derived from it", cli.parser(displayName))
    .requiredOption("--owner <email>", "e-mail of the user who becomes its owner", cli.parser(email))
    .action(async (options: { name: string; owner: string }, command: Command) => {
      const owner = await cli.userByEmail(options.owner, "owner");
      const created = await createWorkspace({ userId: owner.id, name: options.name });
      if (cli.json(command)) return cli.printJson({ ...created, owner: owner.email });
      cli.out(created.slug);
      cli.note(`Created workspace "${created.name}" owned by ${owner.email}.`);
    });

  workspace
    .command("list")
    .description("List every workspace with its owners and member count")
    .action(async (_options: unknown, command: Command) => {
      const workspaces = await db.workspace.findMany({
        select: {
          id: true,
          slug: true,
          name: true,
          createdAt: true,
          _count: { select: { memberships: true } },
          memberships: {
            where: { role: "OWNER" },
            select: { user: { select: { email: true } } },
            orderBy: { createdAt: "asc" },
          },
        },
        orderBy: { createdAt: "asc" },
      });
      const rows = workspaces.map(({ _count, memberships, ...w }) => ({
        ...w,
        members: _count.memberships,
        owners: memberships.map((m) => m.user.email),
      }));
      if (cli.json(command)) return cli.printJson(rows);
      cli.printTable(
        rows.map((row) => ({ ...row, owners: row.owners.join(", ") })),
        { slug: "SLUG", name: "NAME", members: "MEMBERS", owners: "OWNERS", createdAt: "CREATED" },
        "No workspaces yet: `baton user create` makes one for each new user.",
      );
    });
}
