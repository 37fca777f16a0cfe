// `baton agent --url https://… --token <join token> [--concurrency N] [--labels a,b] [--name n]`:
// runs an agent of an agent pool on this machine (server/cli/agent/agent.ts, docs/agents.md).
import type { Command } from "commander";
import { z } from "zod";
import packageJson from "@/package.json" with { type: "json" };
import { Agent, Refused } from "../agent/agent";
import { type Cli, ExitError, exitCodes } from "../program";

export function registerAgentCommand(program: Command, cli: Cli): void {
  program
    .command("agent")
    .description(
      "Run tasks of an agent pool on this machine: registers with the pool's join token (--token or BATON_AGENT_TOKEN), pulls work over HTTPS, SIGTERM drains",
    )
    .option(
      "--concurrency <n>",
      "tasks run at once (1 to 64)",
      cli.parser(z.coerce.number().int().min(1, "at least 1").max(64, "at most 64")),
      1,
    )
    .option(
      "--labels <labels>",
      "comma-separated labels shown on the pool page (e.g. region=eu,gpu)",
      (value: string) =>
        value
          .split(",")
          .map((l) => l.trim())
          .filter(Boolean),
      [] as string[],
    )
    .option("--name <name>", "the name the pool page shows (default: this host's name)")
    .action(async (options: { concurrency: number; labels: string[]; name?: string }, command: Command) => {
      const globals = command.optsWithGlobals() as { url?: string; token?: string };
      const url = globals.url ?? cli.io.env.BATON_URL;
      const token = globals.token ?? cli.io.env.BATON_AGENT_TOKEN;
      if (!url)
        throw new ExitError(exitCodes.usage, "give the Baton's address: --url https://baton.example.com");
      if (!token)
        throw new ExitError(exitCodes.usage, "give the pool's join token: --token (or BATON_AGENT_TOKEN)");
      const agent = new Agent({
        url,
        joinToken: token,
        concurrency: options.concurrency,
        labels: options.labels,
        name: options.name,
        version: packageJson.version,
        note: (text) => cli.note(`${new Date().toISOString()} ${text}`),
        ...(cli.io.fetch ? { fetch: cli.io.fetch } : {}),
      });
      const drain = () => agent.drain();
      process.on("SIGTERM", drain);
      process.on("SIGINT", drain);
      try {
        const code = await agent.run();
        if (code !== 0) throw new ExitError(code, "");
      } catch (error) {
        if (error instanceof Refused) throw new ExitError(exitCodes.failure, error.message);
        throw error;
      } finally {
        process.off("SIGTERM", drain);
        process.off("SIGINT", drain);
      }
    });
}
