// `baton pool create|list|agents|join-token|revoke-agent`: the workspace's pools over the API, and
// its agent pools' agents (docs/agents.md). An agent pool's join token is printed alone on stdout,
// once, so `TOKEN=$(baton pool create etl --slots 4 --agents)` captures it.
import type { Command } from "commander";
import { z } from "zod";
import { unwrap } from "@/server/client";
import { MAX_PAGE_SIZE } from "@/server/pagination";
import { type Cli, ExitError, exitCodes } from "../program";
import { apiFor } from "./connection";

const slots = z.coerce.number().int("a whole number").min(0, "0 or more");

export function registerPoolCommands(program: Command, cli: Cli): void {
  const pool = program
    .command("pool")
    .description("Create and list pools; an agent pool's agents and join token");

  pool
    .command("create")
    .description("Create a pool; with --agents an agent pool, printing its join token (shown once)")
    .argument("<name>", "what tasks write as their pool")
    .requiredOption("--slots <n>", "tasks of the pool that may run at once", cli.parser(slots))
    .option("--agents", "an agent pool: its tasks run on your own machines (`baton agent`)")
    .option("--description <text>", "for people")
    .action(
      async (
        name: string,
        options: { slots: number; agents?: boolean; description?: string },
        command: Command,
      ) => {
        const created = await unwrap(
          apiFor(cli, command).POST("/pools", {
            body: {
              name,
              slots: options.slots,
              ...(options.agents ? { agents: true } : {}),
              ...(options.description !== undefined ? { description: options.description } : {}),
            },
          }),
        );
        if (cli.json(command)) return cli.printJson(created);
        if (created.joinToken) {
          cli.note(
            `Created agent pool ${name}. Its join token (shown once) starts agents: baton agent --token <it>`,
          );
          cli.out(created.joinToken);
        } else cli.out(`Created pool ${name} (${created.slots} slots).`);
      },
    );

  pool
    .command("list")
    .description("The workspace's pools")
    .action(async (_options: object, command: Command) => {
      const page = await unwrap(
        apiFor(cli, command).GET("/pools", { params: { query: { limit: MAX_PAGE_SIZE } } }),
      );
      if (cli.json(command)) return cli.printJson(page.items);
      cli.printTable(
        page.items.map((p) => ({
          ...p,
          kind: p.agents ? "agents" : "slots",
          inUse: `${p.admitted} of ${p.slots}`,
        })),
        { name: "NAME", kind: "KIND", inUse: "IN USE", queued: "QUEUED" },
        "No pools.",
      );
    });

  pool
    .command("agents")
    .description("An agent pool's agents: online, last seen, version, labels, running tasks")
    .argument("<name>", "the agent pool")
    .action(async (name: string, _options: object, command: Command) => {
      const list = await unwrap(
        apiFor(cli, command).GET("/pools/{name}/agents", { params: { path: { name } } }),
      );
      if (cli.json(command)) return cli.printJson(list);
      cli.printTable(
        list.agents.map((a) => ({
          ...a,
          state: a.revokedAt ? "revoked" : a.online ? "online" : a.stoppedAt ? "stopped" : "offline",
          labels: a.labels.join(","),
          running: a.running.map((r) => r.taskId).join(","),
        })),
        {
          id: "ID",
          name: "NAME",
          state: "STATE",
          lastSeenAt: "LAST SEEN",
          version: "VERSION",
          labels: "LABELS",
          running: "RUNNING",
        },
        `No agents in pool ${name}.`,
      );
    });

  pool
    .command("join-token")
    .description("A new join token for an agent pool (printed once; the old one stops working)")
    .argument("<name>", "the agent pool")
    .action(async (name: string, _options: object, command: Command) => {
      const answer = await unwrap(
        apiFor(cli, command).POST("/pools/{name}/join-token", { params: { path: { name } } }),
      );
      if (cli.json(command)) return cli.printJson(answer);
      cli.out(answer.joinToken);
    });

  pool
    .command("revoke-agent")
    .description("Revoke an agent: it stops within seconds and its running tasks are retried")
    .argument("<name>", "the agent pool")
    .argument("<agentId>", "the agent's id, from `baton pool agents`")
    .action(async (name: string, agentId: string, _options: object, command: Command) => {
      if (!z.uuid().safeParse(agentId).success)
        throw new ExitError(exitCodes.usage, "give the agent's id (a uuid from `baton pool agents`)");
      await unwrap(
        apiFor(cli, command).DELETE("/pools/{name}/agents/{agentId}", {
          params: { path: { name, agentId } },
        }),
      );
      if (cli.json(command)) return cli.printJson({ agentId, revoked: true });
      cli.out(`Revoked agent ${agentId}.`);
    });
}
