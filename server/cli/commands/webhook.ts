// `baton webhook …`: webhook endpoints of a workspace's DAGs. The secret is the sender's, read
// from standard input (`--secret-stdin`: Stripe's, Slack's…), or one generated and shown once (it
// is stored encrypted); `rotate-secret` prints a generated one alone on stdout, so
// `SECRET=$(baton webhook rotate-secret …)` captures it.
import type { Command } from "commander";
import { z } from "zod";
import { env } from "@/server/config";
import { dagIdPattern } from "@/server/dags/definition";
import { allItems, MAX_PAGE_SIZE } from "@/server/pagination";
import type { ParamMapping } from "@/server/triggers/mapping";
import { uuid, workspaceSlug } from "@/server/validation";
import {
  createWebhook,
  listWebhooks,
  rotateWebhookSecret,
  webhookSettings,
} from "@/server/webhooks/endpoints";
import type { Cli } from "../main";

const dagId = z.string().regex(dagIdPattern, "not a DAG id");
const authMode = z.string().trim().toLowerCase().pipe(webhookSettings.authMode);
const grace = z.coerce
  .number()
  .int()
  .min(0)
  .max(7 * 86_400, "at most 7 days (604800)");
const waitSeconds = z.coerce.number().pipe(webhookSettings.waitSeconds);
const optionEntry = z.string().regex(/^[A-Za-z]+=/, 'use <option>=<value>, e.g. "header=X-Signature"');
const mapEntry = z
  .string()
  .regex(/^[^=]+=/, 'use <param>=<source>, e.g. "number=/pull_request/number" or "sender=header:X-Sender"');

/** The URL senders use: the installation's public address. */
const baseUrl = () => env.BATON_URL ?? env.NEXTAUTH_URL ?? "http://localhost:3000";

export function registerWebhookCommands(program: Command, cli: Cli): void {
  const webhook = program.command("webhook").description("Create, list and rotate webhook endpoints");

  webhook
    .command("create")
    .description("Create a webhook endpoint that runs a DAG; prints its id, URL and secret (shown once)")
    .requiredOption("--workspace <slug>", "the workspace", cli.parser(workspaceSlug))
    .requiredOption("--dag <dagId>", "the DAG it runs", cli.parser(dagId))
    .requiredOption("--name <name>", "what sends to it, shown in lists", cli.parser(webhookSettings.name))
    .option(
      "--auth <mode>",
      `the sender's preset: ${webhookSettings.authMode.options.join(", ")}`,
      cli.parser(authMode),
      "hmac",
    )
    .option(
      "--option <name=value>",
      "an option of the preset, e.g. toleranceSeconds=600, header=X-Signature, algorithm=sha1 (repeatable)",
      (value: string, previous: string[]) => [...previous, cli.parser(optionEntry)(value)],
      [] as string[],
    )
    .option("--secret-stdin", "read the sender's secret from standard input (else one is generated)")
    .option(
      "--map <param=source>",
      "a param from a JSON pointer into the body or header:<name> (repeatable)",
      (value: string, previous: string[]) => [...previous, cli.parser(mapEntry)(value)],
      [] as string[],
    )
    .option("--idempotency-field <pointer>", "a body field used as idempotency key, e.g. /id")
    .option("--sync", "wait for the run and answer its outputs")
    .option("--wait-seconds <n>", "how long --sync waits (1-30)", cli.parser(waitSeconds))
    .action(
      async (
        options: {
          workspace: string;
          dag: string;
          name: string;
          auth: z.output<typeof authMode>;
          option: string[];
          secretStdin?: boolean;
          map: string[];
          idempotencyField?: string;
          sync?: boolean;
          waitSeconds?: number;
        },
        command: Command,
      ) => {
        const mapping: ParamMapping = Object.fromEntries(
          options.map.map((entry) => [
            entry.slice(0, entry.indexOf("=")),
            entry.slice(entry.indexOf("=") + 1),
          ]),
        );
        const checked = webhookSettings.paramMapping.safeParse(mapping);
        if (!checked.success) {
          const issue = checked.error.issues[0]!;
          command.error(`baton: option '--map' ${issue.path.join(".")}: ${issue.message}`, { exitCode: 2 });
        }
        const pointer = webhookSettings.idempotencyField.safeParse(options.idempotencyField ?? null);
        if (!pointer.success) {
          command.error(`baton: option '--idempotency-field' ${pointer.error.issues[0]!.message}`, {
            exitCode: 2,
          });
        }
        const scope = await cli.workspace(options.workspace);
        const created = await createWebhook(scope, {
          dagId: options.dag,
          name: options.name,
          authMode: options.auth,
          authOptions: authOptionsOf(options.option),
          secret: options.secretStdin ? await cli.readStdin() : undefined,
          paramMapping: mapping,
          idempotencyField: options.idempotencyField ?? null,
          mode: options.sync ? "sync" : "async",
          waitSeconds: options.waitSeconds,
          baseUrl: baseUrl(),
        });
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
    .requiredOption("--workspace <slug>", "the workspace", cli.parser(workspaceSlug))
    .option("--dag <dagId>", "only this DAG's", cli.parser(dagId))
    .action(async (options: { workspace: string; dag?: string }, command: Command) => {
      const scope = await cli.workspace(options.workspace);
      const hooks = await allItems((cursor) =>
        listWebhooks(scope, { dagId: options.dag, baseUrl: baseUrl(), cursor, limit: MAX_PAGE_SIZE }),
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
    .command("rotate-secret")
    .description("Give an endpoint a new secret; prints only the secret (shown this once)")
    .requiredOption("--workspace <slug>", "the workspace", cli.parser(workspaceSlug))
    .requiredOption("--id <id>", "the endpoint's id, from `baton webhook list`", cli.parser(uuid))
    .option("--grace <seconds>", "how long the old secret keeps working (default 0)", cli.parser(grace), 0)
    .option("--secret-stdin", "read the sender's new secret from standard input (else one is generated)")
    .action(
      async (
        options: { workspace: string; id: string; grace: number; secretStdin?: boolean },
        command: Command,
      ) => {
        const rotated = await rotateWebhookSecret(await cli.workspace(options.workspace), {
          webhookId: options.id,
          graceSeconds: options.grace,
          secret: options.secretStdin ? await cli.readStdin() : undefined,
          baseUrl: baseUrl(),
        });
        if (cli.json(command)) return cli.printJson(rotated);
        if (rotated.secret) cli.out(rotated.secret);
        cli.note(
          rotated.previousSecretExpiresAt
            ? `The old secret works until ${rotated.previousSecretExpiresAt.toISOString()}.`
            : "The old secret no longer works.",
        );
      },
    );
}

/** `--option name=value` pairs as the preset's options (numbers and booleans as such). */
function authOptionsOf(entries: string[]): Record<string, unknown> {
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
