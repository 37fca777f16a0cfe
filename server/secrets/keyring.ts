// The process keyring (master keys from the environment), the encryption contexts of stored
// secrets, and key rotation. Encryption itself lives in crypto.ts; this module decides which key
// material and which context (AAD) each stored value uses.
//
// AAD binds a ciphertext to the row it belongs to, so a value copied into another row or another
// workspace fails to decrypt instead of leaking:
//   secrets      `${workspaceId}:secret:${name}`
//   connections  `${workspaceId}:connection:${name}` (the secret fields, as one JSON object)
import type { WorkspaceScope } from "@/server/tenancy/door";
import { type Keyring, keyringFromEnv, reencrypt } from "./crypto";

export const secretAad = (workspaceId: string, name: string) => `${workspaceId}:secret:${name}`;
export const ssoSecretAad = (workspaceId: string) => `${workspaceId}:sso:client-secret`;
export const connectionAad = (workspaceId: string, name: string) => `${workspaceId}:connection:${name}`;

/** Thrown when a secret is read or written and no master key is configured. */
export class MissingMasterKeyError extends Error {
  override name = "MissingMasterKeyError";
  constructor() {
    super(
      "No master key is configured, so secrets cannot be encrypted or read. Set BATON_MASTER_KEYS " +
        '("1:<base64 32-byte key>", generate one with `openssl rand -base64 32`) or BATON_MASTER_KEY; ' +
        "`npm start` generates one for local use.",
    );
  }
}

let cached: { env: string; keyring: Keyring } | undefined;

/**
 * The keyring configured in the environment. Read on each call (and parsed only when the variables
 * change), so that a key added for rotation is used without restarting anything that reads it.
 * Throws MissingMasterKeyError when no key is set, and a descriptive Error when one is malformed.
 */
export function processKeyring(env: Record<string, string | undefined> = process.env): Keyring {
  const raw = `${env.BATON_MASTER_KEYS ?? ""}\n${env.BATON_MASTER_KEY ?? ""}`;
  if (cached?.env === raw) return cached.keyring;
  const keyring = keyringFromEnv(env);
  if (!keyring) throw new MissingMasterKeyError();
  cached = { env: raw, keyring };
  return keyring;
}

/** The key version a stored value names (`v<version>:…`), or undefined when it names none. */
export function keyVersionOf(stored: string): number | undefined {
  const match = /^v(\d+):/.exec(stored);
  return match ? Number(match[1]) : undefined;
}

export interface RotationCounts {
  /** Rows not on the current key when the rotation started. */
  found: number;
  /** Rows re-encrypted under the current key. */
  rotated: number;
  /** Rows that could not be decrypted (key missing from the keyring, damaged data); left as they were. */
  failed: number;
}

export interface RotationResult {
  currentVersion: number;
  secrets: RotationCounts;
  connections: RotationCounts;
  /** What failed, by name; never a value. */
  /** The single sign-on client secret (at most one row). */
  sso: RotationCounts;
  failures: Array<{ kind: "secret" | "connection" | "sso client secret"; name: string; error: string }>;
}

export interface RotateOptions {
  /** Rows read and re-encrypted per query. Default 100. */
  batchSize?: number;
  /** Defaults to the process keyring. */
  keyring?: Keyring;
}

/**
 * Re-encrypts every secret and connection of the scope's workspace that is not on the current key
 * version, in batches. Each row is written only if it is unchanged since it was read, so a
 * concurrent update is never overwritten with the old value. Run it once per workspace (the CLI's
 * `baton keys rotate` walks them with systemScope); afterwards the old key can be removed.
 */
export async function rotateKeys(
  scope: WorkspaceScope,
  options: RotateOptions = {},
): Promise<RotationResult> {
  const keyring = options.keyring ?? processKeyring();
  const batchSize = options.batchSize ?? 100;
  const current = `v${keyring.currentVersion}:`;
  const workspaceId = scope.workspace.id;
  const result: RotationResult = {
    currentVersion: keyring.currentVersion,
    secrets: { found: 0, rotated: 0, failed: 0 },
    connections: { found: 0, rotated: 0, failed: 0 },
    sso: { found: 0, rotated: 0, failed: 0 },
    failures: [],
  };

  for (let after = ""; ; ) {
    const batch = await scope.db.secret.findMany({
      where: { id: { gt: after || undefined }, NOT: { ciphertext: { startsWith: current } } },
      select: { id: true, name: true, ciphertext: true },
      orderBy: { id: "asc" },
      take: batchSize,
    });
    for (const row of batch) {
      result.secrets.found++;
      try {
        const ciphertext = reencrypt(keyring, row.ciphertext, secretAad(workspaceId, row.name));
        const { count } = await scope.db.secret.updateMany({
          where: { id: row.id, ciphertext: row.ciphertext },
          data: { ciphertext },
        });
        result.secrets.rotated += count;
      } catch (error) {
        result.secrets.failed++;
        result.failures.push({ kind: "secret", name: row.name, error: (error as Error).message });
      }
    }
    if (batch.length < batchSize) break;
    after = batch.at(-1)!.id;
  }

  for (let after = ""; ; ) {
    const batch = await scope.db.connection.findMany({
      where: {
        id: { gt: after || undefined },
        secretCiphertext: { not: null },
        NOT: { secretCiphertext: { startsWith: current } },
      },
      select: { id: true, name: true, secretCiphertext: true },
      orderBy: { id: "asc" },
      take: batchSize,
    });
    for (const row of batch) {
      const stored = row.secretCiphertext!;
      result.connections.found++;
      try {
        const secretCiphertext = reencrypt(keyring, stored, connectionAad(workspaceId, row.name));
        const { count } = await scope.db.connection.updateMany({
          where: { id: row.id, secretCiphertext: stored },
          data: { secretCiphertext },
        });
        result.connections.rotated += count;
      } catch (error) {
        result.connections.failed++;
        result.failures.push({ kind: "connection", name: row.name, error: (error as Error).message });
      }
    }
    if (batch.length < batchSize) break;
    after = batch.at(-1)!.id;
  }

  const sso = await scope.db.workspaceSso.findUnique({
    where: { workspaceId },
    select: { clientSecret: true },
  });
  if (sso && !sso.clientSecret.startsWith(current)) {
    result.sso.found++;
    try {
      const clientSecret = reencrypt(keyring, sso.clientSecret, ssoSecretAad(workspaceId));
      const { count } = await scope.db.workspaceSso.updateMany({
        where: { workspaceId, clientSecret: sso.clientSecret },
        data: { clientSecret },
      });
      result.sso.rotated += count;
    } catch (error) {
      result.sso.failed++;
      result.failures.push({ kind: "sso client secret", name: "sso", error: (error as Error).message });
    }
  }

  if (result.secrets.found + result.connections.found + result.sso.found > 0) {
    await scope.audit("keys.rotate", null, {
      currentVersion: result.currentVersion,
      secrets: result.secrets,
      connections: result.connections,
      sso: result.sso,
    });
  }
  return result;
}
