// `baton admin …`: platform administrators, who use the platform console (/admin) to see and
// steer every workspace. Only the operator grants the role, from here: no web request can.
import type { Command } from "commander";
import { listPlatformAdmins, setPlatformAdmin } from "@/server/platform/admins";
import { email } from "@/server/validation";
import type { InstallationCli as Cli } from "../main";

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
      .action(async (address: string, _options: unknown, command: Command) => {
        const result = await setPlatformAdmin({ email: address, platformAdmin, by: "system" });
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
