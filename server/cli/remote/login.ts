// `baton login`, `baton logout`, `baton whoami`: saved logins (profiles) to Baton installations.
// A login is checked against the API before it is saved.
import type { Command } from "commander";
import { unwrap } from "@/server/client";
import { type Cli, ExitError, exitCodes } from "../program";
import { apiFor, configDir, profileName, readProfiles, resolveConnection, writeProfiles } from "./connection";

export function registerLoginCommands(program: Command, cli: Cli): void {
  program
    .command("login")
    .description(
      "Save a login to a Baton (URL and API token) as a profile; the token is read from --token, BATON_TOKEN or standard input",
    )
    .option("--name <profile>", "the profile's name (default: the --profile given, else `default`)")
    .option("--default", "make it the profile used when none is named")
    .action(async (options: { name?: string; default?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals() as { url?: string; token?: string; profile?: string };
      const url = (globals.url ?? cli.io.env.BATON_URL)?.replace(/\/+$/, "");
      if (!url)
        throw new ExitError(exitCodes.usage, "say where: `baton login --url https://baton.example.com`");
      if (!/^https?:\/\//.test(url))
        throw new ExitError(exitCodes.usage, `--url must start with http:// or https://`);
      const token = globals.token ?? cli.io.env.BATON_TOKEN ?? (await readToken(cli));
      if (!token)
        throw new ExitError(exitCodes.usage, "no token given (--token, BATON_TOKEN or standard input)");
      const name = profileName.parse(options.name ?? globals.profile ?? "default");
      const me = await unwrap(apiFor(cli, command, { url, token }).GET("/workspace"));
      const profiles = readProfiles(cli.io.env);
      profiles.profiles[name] = { url, token, workspace: me.slug };
      if (options.default || !profiles.default || !profiles.profiles[profiles.default])
        profiles.default = name;
      const file = writeProfiles(cli.io.env, profiles);
      if (cli.json(command))
        return cli.printJson({ profile: name, url, workspace: me.slug, role: me.role, file });
      cli.out(`Logged in to ${url}: workspace ${me.slug} as ${me.role.toLowerCase()} (profile ${name}).`);
      cli.note(`Saved in ${file}, readable by you only.`);
    });

  program
    .command("logout")
    .description(
      "Forget a saved login (the --profile given, else the default one); the token itself stays valid",
    )
    .action((_options: object, command: Command) => {
      const profiles = readProfiles(cli.io.env);
      const name = (command.optsWithGlobals().profile as string | undefined) ?? profiles.default;
      if (!name || !profiles.profiles[name]) throw new ExitError(exitCodes.failure, "no such saved login");
      delete profiles.profiles[name];
      if (profiles.default === name) profiles.default = Object.keys(profiles.profiles)[0];
      writeProfiles(cli.io.env, profiles);
      if (cli.json(command)) return cli.printJson({ profile: name, forgotten: true });
      cli.out(
        `Forgot profile ${name}. Revoke the token in the web app or with \`baton token revoke\` if it leaked.`,
      );
    });

  program
    .command("whoami")
    .description("The Baton, workspace and role the current login acts as; the saved profiles")
    .action(async (_options: object, command: Command) => {
      const connection = resolveConnection(command, cli.io.env);
      const me = await unwrap(apiFor(cli, command, connection).GET("/workspace"));
      const saved = readProfiles(cli.io.env);
      if (cli.json(command)) {
        return cli.printJson({
          url: connection.url,
          profile: connection.profile ?? null,
          workspace: me.slug,
          role: me.role,
          permissions: me.permissions,
          profiles: Object.fromEntries(
            Object.entries(saved.profiles).map(([name, p]) => [name, { url: p.url, workspace: p.workspace }]),
          ),
          default: saved.default ?? null,
        });
      }
      cli.out(`${connection.url}  workspace ${me.slug}  role ${me.role.toLowerCase()}`);
      if (connection.profile) cli.note(`(profile ${connection.profile}, in ${configDir(cli.io.env)})`);
    });
}

/** A token from standard input: piped, or typed at a terminal without being shown. */
async function readToken(cli: Cli): Promise<string> {
  const stdin = cli.io.stdin as NodeJS.ReadStream;
  if (!stdin.isTTY || typeof stdin.setRawMode !== "function") return (await cli.readStdin()).trim();
  cli.io.stderr.write("API token (not shown): ");
  stdin.setRawMode(true);
  let token = "";
  try {
    for await (const chunk of stdin) {
      for (const char of chunk.toString()) {
        if (char === "\r" || char === "\n") return token;
        if (char === "\u0003") throw new ExitError(exitCodes.failure, "cancelled");
        token = char === "\u007f" ? token.slice(0, -1) : token + char;
      }
    }
    return token;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    cli.io.stderr.write("\n");
  }
}
