// `baton admin …`: platform administrators, who use the platform console (/admin) to see and
// steer every workspace. Only the operator grants the role, from here: no web request can.
import os from "node:os";
import type { Command } from "commander";
import { cliActor, listPlatformAdmins, setPlatformAdmin } from "@/server/platform/admins";
import { email } from "@/server/validation";
import type { InstallationCli as Cli } from "../main";

/** The operator's login name on the server (a container without a passwd entry has none). */
function loginName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER || process.env.LOGNAME || "operator";
  }
}

export function registerAdminCommands(program: Command, cli: Cli): void {
  const admin = program.command("admin").description("Grant, revoke and list platform administrators");

  for (const [name, platformAdmin] of [
    ["grant", true],
    ["revoke", false],
  ] as const) {
    admin
      .command(name)
      .description(
        platformAdmin
          ? "Make an existing user a platform administrator (the platform console at /admin)"
          : "Take the platform administrator role away from a user; their next request is refused",
      )
      .argument("<email>", "the user's e-mail address", cli.parser(email))
      .option("--as <name>", "who is doing it, for the installation's audit log (default: your login name)")
      .action(async (address: string, options: { as?: string }, command: Command) => {
        const name = options.as?.trim().slice(0, 200) || loginName();
        const result = await setPlatformAdmin({ email: address, platformAdmin, by: cliActor(name) });
        if (cli.json(command)) return cli.printJson(result);
        const [changed, unchanged] = platformAdmin
          ? ["is now a platform administrator", "is already a platform administrator"]
          : ["is no longer a platform administrator", "was not a platform administrator"];
        cli.out(`${result.email} ${result.changed ? changed : unchanged}.`);
      });
  }

  admin
    .command("list")
    .description("List the platform administrators")
    .action(async (_options: unknown, command: Command) => {
      const admins = await listPlatformAdmins();
      if (cli.json(command)) return cli.printJson(admins);
      cli.printTable(
        admins,
        { email: "EMAIL", name: "NAME", id: "ID" },
        "No platform administrators yet: grant the role with `baton admin grant <email>`.",
      );
    });
}
