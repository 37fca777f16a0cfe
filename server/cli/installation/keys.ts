// `baton keys generate|rotate`: the master keys that encrypt secrets at rest (docs/secrets.md).
// Rotation: add a new version to BATON_MASTER_KEYS (`2:<new>,1:<old>`), restart, run
// `baton keys rotate` to re-encrypt everything under version 2, then drop version 1.
import type { Command } from "commander";
import { rotateTotpSecrets } from "@/server/auth/two-factor";
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { generateKey } from "@/server/secrets/crypto";
import { processKeyring, rotateKeys } from "@/server/secrets/keyring";
import { systemScope } from "@/server/tenancy/door";
import { reencryptWebhookSecrets } from "@/server/webhooks/endpoints";
import { type InstallationCli as Cli, worksWithoutDatabase } from "../main";

export function registerKeyCommands(program: Command, cli: Cli): void {
  const keys = program.command("keys").description("Master keys for secrets at rest");

  const generate = keys
    .command("generate")
    .description("Print a new random key (base64) to add to BATON_MASTER_KEYS as <version>:<key>")
    .action(() => cli.out(generateKey()));
  worksWithoutDatabase.set(generate, () => true);

  keys
    .command("rotate")
    .description(
      "Re-encrypt every secret, connection, webhook secret and authenticator secret not yet under the current key version",
    )
    .action(async (_options: object, command: Command) => {
      const keyring = processKeyring();
      const workspaces = await db.workspace.findMany({
        select: { id: true, slug: true },
        orderBy: { createdAt: "asc" },
      });
      const totals = { secrets: 0, connections: 0, webhooks: 0, sso: 0, failed: 0 };
      for (const workspace of workspaces) {
        const scope = await systemScope(workspace.id);
        const result = await rotateKeys(scope, { keyring });
        const webhooks = await reencryptWebhookSecrets(scope, keyring);
        totals.secrets += result.secrets.rotated;
        totals.connections += result.connections.rotated;
        totals.sso += result.sso.rotated;
        totals.webhooks += webhooks.rotated;
        totals.failed +=
          result.secrets.failed + result.connections.failed + result.sso.failed + webhooks.failed;
        for (const failure of result.failures) {
          cli.note(
            `${workspace.slug}: ${failure.kind} ${failure.name} could not be re-encrypted: ${failure.error}`,
          );
        }
      }
      const authenticators = await rotateTotpSecrets(keyring);
      totals.failed += authenticators.failed;
      if (authenticators.failed)
        cli.note(`${authenticators.failed} authenticator secret(s) could not be re-encrypted`);
      if (cli.json(command)) {
        cli.printJson({
          currentVersion: keyring.currentVersion,
          ...totals,
          authenticators: authenticators.rotated,
        });
      } else {
        cli.out(
          `Re-encrypted ${totals.secrets} secret(s), ${totals.connections} connection(s), ${totals.webhooks} webhook secret(s), ${totals.sso} single sign-on client secret(s) and ${authenticators.rotated} authenticator secret(s) under key version ${keyring.currentVersion}` +
            (totals.failed ? `; ${totals.failed} failed (see above)` : "."),
        );
      }
      if (totals.failed)
        throw new AppError("CONFLICT", `${totals.failed} value(s) could not be re-encrypted`);
    });
}
