// What a task's templates need from the workspace configuration, fetched at execution time: only
// the variables, secrets and connection fields its templates reference, with secrets decrypted.
// The answer lives in memory for one attempt. It must never be written to run records, outputs or
// logs; `secretValues` is the list to mask logs with (templating's maskSecrets).
import { decryptSecret } from "@/server/secrets/crypto";
import { connectionAad, processKeyring, secretAad } from "@/server/secrets/keyring";
import type { TemplateContext, TemplateReference } from "@/server/templating/template";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { reachOf, usableBy } from "@/server/tenancy/folders";

export interface ResolvedConfig {
  vars: Record<string, unknown>;
  secrets: Record<string, string>;
  conn: Record<string, Record<string, unknown>>;
  /** Every secret value in `secrets` and `conn`, to mask in logs. */
  secretValues: string[];
}

/**
 * Resolves the references of one task (findReferences' `refs`, over all its templated strings).
 * Names that do not exist, or are kept in a folder `dag` does not reach (tenancy/folders.ts reachOf;
 * for secrets and connections, usableBy: their allowed folders), are left out, so the template's own rules apply (an error, unless the expression has a
 * `| default(…)`).
 */
export async function resolveForExecution(
  scope: WorkspaceScope,
  refs: Iterable<Pick<TemplateReference, "root" | "path">>,
  /** The DAG it runs for: variables, secrets and connections of another folder are out of its reach. */
  dag: { folderId: string | null },
): Promise<ResolvedConfig> {
  const reach = reachOf(dag.folderId);
  const usable = usableBy(dag.folderId);
  const varKeys = new Set<string>();
  const secretNames = new Set<string>();
  const connFields = new Map<string, Set<string>>();
  for (const ref of refs) {
    const [name, field] = ref.path;
    if (name === undefined) continue;
    if (ref.root === "vars") varKeys.add(name);
    else if (ref.root === "secrets") secretNames.add(name);
    else if (ref.root === "conn" && field !== undefined) {
      const fields = connFields.get(name) ?? new Set<string>();
      fields.add(field);
      connFields.set(name, fields);
    }
  }

  const [variables, secretRows, connectionRows] = await Promise.all([
    varKeys.size > 0
      ? scope.db.variable.findMany({
          where: { key: { in: [...varKeys] }, ...reach },
          select: { key: true, value: true },
        })
      : [],
    secretNames.size > 0
      ? scope.db.secret.findMany({
          where: { name: { in: [...secretNames] }, ...usable },
          select: { name: true, ciphertext: true },
        })
      : [],
    connFields.size > 0
      ? scope.db.connection.findMany({
          where: { name: { in: [...connFields.keys()] }, ...usable },
          select: { name: true, config: true, secretCiphertext: true },
        })
      : [],
  ]);

  const result: ResolvedConfig = { vars: {}, secrets: {}, conn: {}, secretValues: [] };
  for (const variable of variables) result.vars[variable.key] = variable.value;

  const keyring =
    secretRows.length > 0 || connectionRows.some((c) => c.secretCiphertext) ? processKeyring() : undefined;
  for (const row of secretRows) {
    const value = decryptSecret(keyring!, row.ciphertext, secretAad(scope.workspace.id, row.name));
    result.secrets[row.name] = value;
    result.secretValues.push(value);
  }
  for (const row of connectionRows) {
    const wanted = connFields.get(row.name)!;
    const { $secrets: _names, ...plain } = (row.config ?? {}) as Record<string, unknown>;
    const secrets = row.secretCiphertext
      ? (JSON.parse(
          decryptSecret(keyring!, row.secretCiphertext, connectionAad(scope.workspace.id, row.name)),
        ) as Record<string, string>)
      : {};
    const fields: Record<string, unknown> = {};
    for (const field of wanted) {
      if (Object.hasOwn(secrets, field)) {
        fields[field] = secrets[field];
        result.secretValues.push(secrets[field]!);
      } else if (Object.hasOwn(plain, field)) {
        fields[field] = plain[field];
      }
    }
    result.conn[row.name] = fields;
  }
  return result;
}

/** The resolved configuration as the part of a TemplateContext it provides. */
export function templateContextOf(
  resolved: ResolvedConfig,
): Pick<TemplateContext, "vars" | "secrets" | "conn"> {
  return { vars: resolved.vars, secrets: resolved.secrets, conn: resolved.conn };
}

/** Secrets and connections, by name, whose values a run can reach (server/engine/secrets.ts). */
export interface SecretReach {
  secrets: readonly string[];
  connections: readonly string[];
}

/**
 * The values of the named secrets and of every secret field of the named connections, decrypted,
 * to mask with (never to use: a task gets only what its own templates reference). Names that do not
 * exist are skipped.
 */
export async function reachableSecretValues(scope: WorkspaceScope, reach: SecretReach): Promise<string[]> {
  const [secretRows, connectionRows] = await Promise.all([
    reach.secrets.length > 0
      ? scope.db.secret.findMany({
          where: { name: { in: [...reach.secrets] } },
          select: { name: true, ciphertext: true },
        })
      : [],
    reach.connections.length > 0
      ? scope.db.connection.findMany({
          where: { name: { in: [...reach.connections] }, secretCiphertext: { not: null } },
          select: { name: true, secretCiphertext: true },
        })
      : [],
  ]);
  if (secretRows.length === 0 && connectionRows.length === 0) return [];
  const keyring = processKeyring();
  const values = secretRows.map((row) =>
    decryptSecret(keyring, row.ciphertext, secretAad(scope.workspace.id, row.name)),
  );
  for (const row of connectionRows) {
    const fields = JSON.parse(
      decryptSecret(keyring, row.secretCiphertext!, connectionAad(scope.workspace.id, row.name)),
    ) as Record<string, unknown>;
    for (const value of Object.values(fields)) if (typeof value === "string") values.push(value);
  }
  return values;
}
