// `baton webhook list|create|rotate`: webhook endpoints of the workspace's DAGs. The secret is
// the sender's, read from standard input (`--secret-stdin`: Stripe's, Slack's…), or one generated
// and shown once (it is stored encrypted); `rotate` prints a generated one alone on stdout, so
// `SECRET=$(baton webhook rotate <id>)` captures it.
import type { Command } from "commander";
import { z } from "zod";
import { type paths, unwrap } from "@/server/client";
import { allItems, MAX_PAGE_SIZE } from "@/server/pagination";
import { type Cli, ExitError, exitCodes } from "../program";
import { apiFor } from "./connection";

const uuid = z.uuid({ error: "not a valid id" });
/** The sender presets the API knows (it checks the value). */
type AuthMode = NonNullable<
  paths["/dags/{dagId}/webhooks"]["post"]["requestBody"]["content"]["application/json"]["authMode"]
>;
const grace = z.coerce
  .number()
  .int()
  .min(0)
  .max(7 * 86_400, "at most 7 days (604800)");
const waitSeconds = z.coerce.number().int().min(1).max(30, "at most 30");
const optionEntry = z.string().regex(/^[A-Za-z]+=/, 'use <option>=<value>, e.g. "header=X-Signature"');
const mapEntry = z
  .string()
  .regex(/^[^=]+=/, 'use <param>=<source>, e.g. "number=/pull_request/number" or "sender=header:X-Sender"');
const repeatable = (cli: Cli, schema: z.ZodType<string>) => (value: string, previous: string[]) => [
  ...previous,
  cli.parser(schema)(value),
];

export function registerWebhookCommands(program: Command, cli: Cli): void {
  const webhook = program.command("webhook").description("Create, list and rotate webhook endpoints");

  webhook
    .command("create")
    .description("Create a webhook endpoint that runs a DAG; prints its id, URL and secret (shown once)")
    .requiredOption("--dag <dagId>", "the DAG it runs")
    .requiredOption("--name <name>", "what sends to it, shown in lists")
    .option("--auth <mode>", "the sender's preset: hmac, token, github, gitlab, stripe, slack…", "hmac")
    .option(
      "--option <name=value>",
      "an option of the preset, e.g. toleranceSeconds=600, header=X-Signature, algorithm=sha1 (repeatable)",
      repeatable(cli, optionEntry),
      [] as string[],
    )
    .option("--secret-stdin", "read the sender's secret from standard input (else one is generated)")
    .option(
      "--map <param=source>",
      "a param from a JSON pointer into the body or header:<name> (repeatable)",
      repeatable(cli, mapEntry),
      [] as string[],
    )
    .option("--idempotency-field <pointer>", "a body field used as idempotency key, e.g. /id")
    .option("--sync", "wait for the run and answer its outputs")
    .option("--wait-seconds <n>", "how long --sync waits (1-30)", cli.parser(waitSeconds))
    .action(
      async (
        options: {
          dag: string;
          name: string;
          auth: string;
          option: string[];
          secretStdin?: boolean;
          map: string[];
          idempotencyField?: string;
          sync?: boolean;
          waitSeconds?: number;
        },
        command: Command,
      ) => {
        const created = await unwrap(
          apiFor(cli, command).POST("/dags/{dagId}/webhooks", {
            params: { path: { dagId: options.dag } },
            body: {
              name: options.name,
              authMode: options.auth.toLowerCase() as AuthMode,
              authOptions: pairs(options.option),
              ...(options.secretStdin ? { secret: await cli.readStdin() } : {}),
              paramMapping: Object.fromEntries(
                options.map.map((entry) => [
                  entry.slice(0, entry.indexOf("=")),
                  entry.slice(entry.indexOf("=") + 1),
                ]),
              ),
              ...(options.idempotencyField ? { idempotencyField: options.idempotencyField } : {}),
              mode: options.sync ? "sync" : "async",
              ...(options.waitSeconds ? { waitSeconds: options.waitSeconds } : {}),
            },
          }),
        );
        if (cli.json(command)) return cli.printJson(created);
        cli.out(`id      ${created.id}`);
        cli.out(`url     ${created.url}`);
        if (created.secret) {
          cli.out(`secret  ${created.secret}`);
          cli.note(`The secret is shown only this once; store it with the sender (${created.authMode}).`);
        } else cli.note("The sender's secret is stored; it is never shown.");
      },
    );

  webhook
    .command("list")
    .description("List webhook endpoints (never their secrets)")
    .option("--dag <dagId>", "only this DAG's")
    .action(async (options: { dag?: string }, command: Command) => {
      const api = apiFor(cli, command);
      const query = options.dag ? { dagId: options.dag } : {};
      const hooks = await allItems(async (cursor) =>
        unwrap(api.GET("/webhooks", { params: { query: { cursor, limit: MAX_PAGE_SIZE, ...query } } })),
      );
      if (cli.json(command)) return cli.printJson(hooks);
      cli.printTable(
        hooks.map((h) => ({ ...h, enabled: h.enabled ? "yes" : "no" })),
        {
          id: "ID",
          dagId: "DAG",
          name: "NAME",
          authMode: "AUTH",
          mode: "MODE",
          enabled: "ENABLED",
          url: "URL",
        },
        "No webhooks.",
      );
    });

  webhook
    .command("rotate")
    .alias("rotate-secret")
    .description("Give an endpoint a new secret; prints a generated one alone (shown this once)")
    .argument("[id]", "the endpoint's id, from `baton webhook list`")
    .option("--id <id>", "the endpoint's id (as an option)")
    .option("--grace <seconds>", "how long the old secret keeps working (default 0)", cli.parser(grace), 0)
    .option("--secret-stdin", "read the sender's new secret from standard input (else one is generated)")
    .action(
      async (
        positional: string | undefined,
        options: { id?: string; grace: number; secretStdin?: boolean },
        command: Command,
      ) => {
        const id = uuid.safeParse(positional ?? options.id);
        if (!id.success)
          throw new ExitError(exitCodes.usage, "give the endpoint's id (a uuid from `baton webhook list`)");
        const rotated = await unwrap(
          apiFor(cli, command).POST("/webhooks/{webhookId}/rotate-secret", {
            params: { path: { webhookId: id.data } },
            body: {
              graceSeconds: options.grace,
              ...(options.secretStdin ? { secret: await cli.readStdin() } : {}),
            },
          }),
        );
        if (cli.json(command)) return cli.printJson(rotated);
        if (rotated.secret) cli.out(rotated.secret);
        cli.note(
          rotated.previousSecretExpiresAt
            ? `The old secret works until ${rotated.previousSecretExpiresAt}.`
            : "The old secret no longer works.",
        );
      },
    );
}

/** `--option name=value` pairs as the preset's options (numbers and booleans as such). */
function pairs(entries: string[]): Record<string, unknown> {
  return Object.fromEntries(
    entries.map((entry) => {
      const name = entry.slice(0, entry.indexOf("="));
      const text = entry.slice(entry.indexOf("=") + 1);
      const value = /^-?\d+$/.test(text)
        ? Number(text)
        : text === "true"
          ? true
          : text === "false"
            ? false
            : text;
      return [name, value];
    }),
  );
}
