// `baton variable|secret|connection set|list|delete`: the workspace configuration DAGs read.
// `set` creates or changes. Secret values (and connection configs, which hold secret fields) are
// read from standard input or a file, never from the command line (shell history, `ps`), and no
// answer holds them.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { z } from "zod";
import { type BatonClient, unwrap } from "@/server/client";
import { allItems, MAX_PAGE_SIZE } from "@/server/pagination";
import { type Cli, ExitError, exitCodes } from "../program";
import { apiFor } from "./connection";

const connectionTypes = ["postgres", "http", "smtp", "slack"] as const;

/** A create-or-change: the change first; on 404, the create. */
async function upsert<T>(
  change: () => Promise<{ data?: T; error?: unknown; response: Response }>,
  create: () => Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<{ value: T; created: boolean }> {
  const changed = await change();
  if (changed.response.status !== 404)
    return { value: await unwrap(Promise.resolve(changed)), created: false };
  return { value: await unwrap(create()), created: true };
}

/** Text from a file (`-`: standard input) or, without one, from standard input. */
async function readInput(cli: Cli, file: string | undefined): Promise<string> {
  return file && file !== "-"
    ? readFileSync(cli.resolvePath(file), "utf8").replace(/\r?\n$/, "")
    : cli.readStdin();
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ExitError(exitCodes.usage, `${what} is not JSON: ${(error as Error).message}`);
  }
}

export function registerConfigCommands(program: Command, cli: Cli): void {
  const variable = program.command("variable").description("Workspace variables ({{ vars.<key> }})");
  variable
    .command("set")
    .description("Create or change a variable: its value as text, or as JSON (--value-json, --value-file)")
    .argument("<key>", "the variable's key")
    .argument("[value]", "its value, as text")
    .option("--value-json <json>", "its value as JSON: a number, an object…")
    .option("--value-file <file>", "its value as JSON, from a file (`-`: standard input)")
    .option("--description <text>", "what it is for")
    .action(
      async (
        key: string,
        raw: string | undefined,
        options: { valueJson?: string; valueFile?: string; description?: string },
        command: Command,
      ) => {
        const given = [raw, options.valueJson, options.valueFile].filter((v) => v !== undefined).length;
        if (given !== 1)
          throw new ExitError(exitCodes.usage, "give one of: the value, --value-json, --value-file");
        const value =
          raw !== undefined
            ? raw
            : options.valueJson !== undefined
              ? parseJson(options.valueJson, "--value-json")
              : parseJson(await readInput(cli, options.valueFile), "--value-file");
        const api = apiFor(cli, command);
        const description = options.description !== undefined ? { description: options.description } : {};
        const { value: saved, created } = await upsert(
          () =>
            api.PATCH("/variables/{key}", {
              params: { path: { key } },
              body: { value: value as never, ...description },
            }),
          () => api.POST("/variables", { body: { key, value: value as never, ...description } }),
        );
        if (cli.json(command)) return cli.printJson(saved);
        cli.out(`${created ? "Created" : "Changed"} variable ${key}.`);
      },
    );
  variable
    .command("list")
    .description("Variables with their values")
    .action(async (_options: object, command: Command) => {
      const api = apiFor(cli, command);
      const items = await allItems((cursor) =>
        unwrap(api.GET("/variables", { params: { query: { cursor, limit: MAX_PAGE_SIZE } } })),
      );
      if (cli.json(command)) return cli.printJson(items);
      cli.printTable(
        items.map((v) => ({ ...v, value: JSON.stringify(v.value) })),
        { key: "KEY", value: "VALUE", description: "DESCRIPTION", updatedAt: "UPDATED" },
        "No variables.",
      );
    });
  variable
    .command("delete")
    .argument("<key>", "the variable's key")
    .description("Delete a variable")
    .action(async (key: string, _options: object, command: Command) => {
      await unwrap(apiFor(cli, command).DELETE("/variables/{key}", { params: { path: { key } } }));
      if (cli.json(command)) return cli.printJson({ key, deleted: true });
      cli.out(`Deleted variable ${key}.`);
    });

  const secret = program
    .command("secret")
    .description("Workspace secrets ({{ secrets.<name> }}); values are never shown");
  secret
    .command("set")
    .description(
      "Create or replace a secret; the value is read from standard input (or --value-file), never shown",
    )
    .argument("<name>", "the secret's name")
    .option("--value-file <file>", "read the value from a file instead of standard input")
    .option("--description <text>", "what it is for")
    .action(async (name: string, options: { valueFile?: string; description?: string }, command: Command) => {
      const value = await readInput(cli, options.valueFile);
      if (!value)
        throw new ExitError(exitCodes.usage, "the secret's value is empty (pipe it in, or --value-file)");
      const api = apiFor(cli, command);
      const description = options.description !== undefined ? { description: options.description } : {};
      const { value: saved, created } = await upsert(
        () => api.PATCH("/secrets/{name}", { params: { path: { name } }, body: { value, ...description } }),
        () => api.POST("/secrets", { body: { name, value, ...description } }),
      );
      if (cli.json(command)) return cli.printJson(saved);
      cli.out(`${created ? "Created" : "Replaced"} secret ${name}.`);
    });
  secret
    .command("list")
    .description("Secrets: names, descriptions, dates (never values)")
    .action(async (_options: object, command: Command) => {
      const api = apiFor(cli, command);
      const items = await allItems((cursor) =>
        unwrap(api.GET("/secrets", { params: { query: { cursor, limit: MAX_PAGE_SIZE } } })),
      );
      if (cli.json(command)) return cli.printJson(items);
      cli.printTable(
        items,
        { name: "NAME", description: "DESCRIPTION", updatedAt: "UPDATED" },
        "No secrets.",
      );
    });
  secret
    .command("delete")
    .argument("<name>", "the secret's name")
    .description("Delete a secret")
    .action(async (name: string, _options: object, command: Command) => {
      await unwrap(apiFor(cli, command).DELETE("/secrets/{name}", { params: { path: { name } } }));
      if (cli.json(command)) return cli.printJson({ name, deleted: true });
      cli.out(`Deleted secret ${name}.`);
    });

  const connection = program
    .command("connection")
    .description("Typed connections (postgres, http, smtp, slack); secret fields are never shown");
  connection
    .command("set")
    .description(
      "Create or change a connection from a JSON config read from --config-file or standard input (it may hold secret fields); fields left out of a change are kept",
    )
    .argument("<name>", "the connection's name")
    .option(
      "--type <type>",
      `${connectionTypes.join("|")} (to create one)`,
      cli.parser(z.enum(connectionTypes)),
    )
    .option("--config-file <file>", "the config as JSON; `-` or none for standard input")
    .option("--description <text>", "what it is for")
    .action(
      async (
        name: string,
        options: { type?: (typeof connectionTypes)[number]; configFile?: string; description?: string },
        command: Command,
      ) => {
        const config = parseJson(await readInput(cli, options.configFile), "the config");
        if (typeof config !== "object" || config === null || Array.isArray(config)) {
          throw new ExitError(exitCodes.usage, "the config must be a JSON object");
        }
        const api = apiFor(cli, command);
        const description = options.description !== undefined ? { description: options.description } : {};
        const { value: saved, created } = await upsert(
          () =>
            api.PATCH("/connections/{name}", {
              params: { path: { name } },
              body: { config: config as Record<string, never>, ...description },
            }),
          () => {
            if (!options.type)
              throw new ExitError(exitCodes.usage, `no connection ${name} yet: give its --type to create it`);
            return api.POST("/connections", {
              body: { name, type: options.type, config: config as Record<string, never>, ...description },
            });
          },
        );
        if (cli.json(command)) return cli.printJson(saved);
        cli.out(`${created ? "Created" : "Changed"} connection ${name} (${saved.type}).`);
      },
    );
  connection
    .command("list")
    .description("Connections, secret fields masked")
    .option("--type <type>", connectionTypes.join("|"), cli.parser(z.enum(connectionTypes)))
    .action(async (options: { type?: (typeof connectionTypes)[number] }, command: Command) => {
      const api = apiFor(cli, command);
      const items = await listConnections(api, options.type);
      if (cli.json(command)) return cli.printJson(items);
      cli.printTable(
        items.map((c) => ({
          ...c,
          secrets: Object.entries(c.secretFields)
            .filter(([, set]) => set)
            .map(([f]) => f)
            .join(","),
        })),
        {
          name: "NAME",
          type: "TYPE",
          description: "DESCRIPTION",
          secrets: "SECRET FIELDS SET",
          updatedAt: "UPDATED",
        },
        "No connections.",
      );
    });
  connection
    .command("delete")
    .argument("<name>", "the connection's name")
    .description("Delete a connection")
    .action(async (name: string, _options: object, command: Command) => {
      await unwrap(apiFor(cli, command).DELETE("/connections/{name}", { params: { path: { name } } }));
      if (cli.json(command)) return cli.printJson({ name, deleted: true });
      cli.out(`Deleted connection ${name}.`);
    });
}

function listConnections(api: BatonClient, type: (typeof connectionTypes)[number] | undefined) {
  return allItems((cursor) =>
    unwrap(
      api.GET("/connections", {
        params: { query: { cursor, limit: MAX_PAGE_SIZE, ...(type ? { type } : {}) } },
      }),
    ),
  );
}
