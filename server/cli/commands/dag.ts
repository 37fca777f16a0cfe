// `baton dag validate|push <file>`: DAGs kept in a git repository and deployed from its CI.
// `push` writes to the database directly (operator mode, --workspace) or goes through the REST API
// with a token (--url and --token, or BATON_URL and BATON_TOKEN), as a CI job would.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { env } from "@/server/config";
import { parseAndValidateDag } from "@/server/dags/serialize";
import { pushDag } from "@/server/dags/service";
import { AppError } from "@/server/errors";
import { workspaceSlug } from "@/server/validation";
import { type Cli, worksWithoutDatabase } from "../main";

const formatOf = (file: string) =>
  /\.ya?ml$/i.test(file) ? "yaml" : /\.json$/i.test(file) ? "json" : undefined;

export function registerDagCommands(program: Command, cli: Cli): void {
  const dag = program.command("dag").description("Validate and push DAG documents (JSON or YAML)");

  const validate = dag
    .command("validate")
    .description("Check a DAG file; prints every problem with its path, exit 1 if there is one")
    .argument("<file>", "a .json, .yaml or .yml DAG document")
    .action((file: string, _options: object, command: Command) => {
      const text = readFileSync(cli.resolvePath(file), "utf8");
      const result = parseAndValidateDag(text, { format: formatOf(file) });
      if (cli.json(command))
        cli.printJson(result.ok ? { ok: true } : { ok: false, problems: result.problems });
      else if (result.ok)
        cli.out(`${file}: valid DAG "${result.dag.id}" with ${result.dag.tasks.length} task(s)`);
      else
        for (const problem of result.problems)
          cli.out(`${file}: ${problem.path || "(document)"}: ${problem.message}`);
      if (!result.ok)
        throw new AppError(
          "UNPROCESSABLE_CONTENT",
          `${file} is not a valid DAG (${result.problems.length} problem(s))`,
        );
    });
  worksWithoutDatabase.set(validate, () => true);

  const push = dag
    .command("push")
    .description("Save a DAG file as the DAG's next version")
    .argument("<file>", "a .json, .yaml or .yml DAG document")
    .option(
      "--workspace <slug>",
      "push straight to the database, into this workspace",
      cli.parser(workspaceSlug),
    )
    .option("--url <url>", "push through the REST API of this Baton (or BATON_URL)")
    .option("--token <token>", "the API token for --url (or BATON_TOKEN)")
    .option("-m, --message <message>", "what changed", "")
    .action(
      async (
        file: string,
        options: { workspace?: string; url?: string; token?: string; message: string },
        command: Command,
      ) => {
        const text = readFileSync(cli.resolvePath(file), "utf8");
        const format = formatOf(file);
        const url = options.url ?? env.BATON_URL;
        if (url) {
          const result = await pushOverHttp(
            url,
            options.token ?? env.BATON_TOKEN,
            text,
            format,
            options.message,
          );
          if (cli.json(command)) return cli.printJson(result.body);
          if (!result.ok) {
            const problems = (
              result.body as { error?: { message?: string; problems?: { path: string; message: string }[] } }
            ).error;
            cli.out(`${file}: ${problems?.message ?? `HTTP ${result.status}`}`);
            for (const p of problems?.problems ?? []) cli.out(`${file}: ${p.path}: ${p.message}`);
            throw new AppError("UNPROCESSABLE_CONTENT", `${file} was refused (HTTP ${result.status})`);
          }
          return cli.out(describe(result.body as Pushed));
        }
        if (!options.workspace) {
          throw new Error("say where to push: --workspace <slug> (database) or --url and --token (REST API)");
        }
        const scope = await cli.workspace(options.workspace);
        const pushed = await pushDag(scope, { document: text, format, message: options.message });
        if (cli.json(command)) return cli.printJson(pushed);
        cli.out(describe(pushed));
      },
    );
  worksWithoutDatabase.set(push, (options) => Boolean(options.url ?? env.BATON_URL));
}

interface Pushed {
  dagId: string;
  version: number;
  created: boolean;
  unchanged?: boolean;
}

const describe = (p: Pushed) =>
  p.unchanged
    ? `${p.dagId}: unchanged (version ${p.version})`
    : `${p.dagId}: ${p.created ? "created" : "saved"} version ${p.version}`;

async function pushOverHttp(
  base: string,
  token: string | undefined,
  text: string,
  format: string | undefined,
  message: string,
) {
  if (!token) throw new Error("--url needs an API token: --token or BATON_TOKEN");
  const parsed = parseAndValidateDag(text, { format: format as "json" | "yaml" | undefined });
  const dagId = parsed.ok
    ? parsed.dag.id
    : (text.match(/["']?id["']?\s*:\s*["']?([a-z][a-z0-9_-]*)/)?.[1] ?? "unknown");
  const response = await fetch(
    `${base.replace(/\/$/, "")}/api/v1/dags/${encodeURIComponent(dagId)}?message=${encodeURIComponent(message)}`,
    {
      method: "PUT",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type":
          parsed.ok && parsed.format === "yaml"
            ? "application/yaml"
            : format === "yaml"
              ? "application/yaml"
              : "application/json",
      },
      body: text,
    },
  );
  return {
    ok: response.ok,
    status: response.status,
    body: (await response.json().catch(() => ({}))) as unknown,
  };
}
