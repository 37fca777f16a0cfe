// `baton member …`: memberships, set directly by the operator (no invitation e-mail). Changes go
// through the members service in the system's scope, so the member quota and the last-owner rule
// still hold and the workspace's audit log records them as done by "system".
import type { Command } from "commander";
import { z } from "zod";
import { addMember, changeRole, listMembers } from "@/server/members/service";
import { allItems, MAX_PAGE_SIZE } from "@/server/pagination";
import { email, role, workspaceSlug } from "@/server/validation";
import type { InstallationCli as Cli } from "../main";

const roleOption = z.string().trim().toUpperCase().pipe(role);

export function registerMemberCommands(program: Command, cli: Cli): void {
  const member = program.command("member").description("Add members to workspaces and list them");

  member
    .command("add")
    .description("Make an existing user a member of a workspace, or change their role there")
    .requiredOption("--workspace <slug>", "the workspace", cli.parser(workspaceSlug))
    .requiredOption("--email <address>", "e-mail of an existing user", cli.parser(email))
    .requiredOption("--role <role>", "owner|admin|editor|operator|viewer", cli.parser(roleOption))
    .action(
      async (options: { workspace: string; email: string; role: z.infer<typeof role> }, command: Command) => {
        const scope = await cli.workspace(options.workspace);
        const user = await cli.userByEmail(options.email, "email");
        const existing = await scope.db.membership.findUnique({
          where: { workspaceId_userId: { workspaceId: scope.workspace.id, userId: user.id } },
          select: { id: true, role: true },
        });
        let change: "added" | "updated" | "unchanged";
        if (!existing) {
          await addMember(scope, { userId: user.id, email: user.email, role: options.role });
          change = "added";
        } else if (existing.role !== options.role) {
          await changeRole(scope, { memberId: existing.id, role: options.role });
          change = "updated";
        } else {
          change = "unchanged";
        }
        const result = {
          workspace: scope.workspace.slug,
          email: user.email,
          role: options.role,
          previousRole: existing?.role ?? null,
          change,
        };
        if (cli.json(command)) return cli.printJson(result);
        const as = options.role.toLowerCase();
        if (change === "added") cli.out(`Added ${user.email} to ${scope.workspace.slug} as ${as}.`);
        if (change === "updated") {
          cli.out(
            `Changed ${user.email}'s role in ${scope.workspace.slug} from ${existing?.role.toLowerCase()} to ${as}.`,
          );
        }
        if (change === "unchanged") cli.out(`${user.email} already is ${as} in ${scope.workspace.slug}.`);
      },
    );

  member
    .command("list")
    .description("List the members of a workspace")
    .requiredOption("--workspace <slug>", "the workspace", cli.parser(workspaceSlug))
    .action(async (options: { workspace: string }, command: Command) => {
      const scope = await cli.workspace(options.workspace);
      const members = await allItems((cursor) => listMembers(scope, { cursor, limit: MAX_PAGE_SIZE }));
      if (cli.json(command)) return cli.printJson(members);
      cli.printTable(
        members.map((m) => ({ ...m, role: m.role.toLowerCase() })),
        { email: "EMAIL", name: "NAME", role: "ROLE", joinedAt: "JOINED" },
        "No members.",
      );
    });
}
