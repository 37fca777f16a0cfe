// `baton` for the users of a Baton: the workspace commands alone, over the REST API with a URL and
// an API token, and nothing of the server (no database driver, no validator). `npm run build:cli`
// bundles it into one file, dist/baton.mjs, that runs with Node 20 or later in any folder.
// The installation commands exist only in the repository's CLI (main.ts); here they say so.
import { type CliIo, createCli, ExitError, exitCodes, isEntryPoint, runProgram } from "./program";
import { registerRemoteCommands } from "./remote/index";

const installationCommands = ["user", "workspace", "member", "keys", "admin", "status"];

export async function runClient(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const cli = createCli({
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    stdin: io.stdin ?? process.stdin,
    env: io.env ?? process.env,
    ...(io.fetch ? { fetch: io.fetch } : {}),
  });
  return runProgram(argv, cli, {
    description:
      "Use a Baton from a terminal or CI, over its REST API: `baton login --url https://baton.example.com` first (or BATON_URL and BATON_TOKEN).",
    groups: [
      (program) => registerRemoteCommands(program, cli),
      (program) => {
        const refuse = (name: string) => () => {
          throw new ExitError(
            exitCodes.usage,
            `\`baton ${name}\` is an installation command: run it where Baton is installed (\`npm run baton -- ${name} …\` in its repository)`,
          );
        };
        for (const name of installationCommands) {
          program
            .command(name, { hidden: true })
            .allowUnknownOption()
            .argument("[args...]")
            .action(refuse(name));
        }
        program.commands
          .find((c) => c.name() === "token")
          ?.command("create", { hidden: true })
          .allowUnknownOption()
          .argument("[args...]")
          .action(refuse("token create"));
      },
    ],
  });
}

if (isEntryPoint(import.meta.url)) process.exit(await runClient(process.argv.slice(2)));
