/**
 * Encryption at rest for secrets and secret connection fields: AES-256-GCM under a versioned keyring
 * of master keys from the environment, so keys can be rotated without a flag day.
 *
 * Stored form: `v<version>:<iv b64>:<tag b64>:<ciphertext b64>`. The version names the key, so old
 * rows stay readable while new writes (and `reencrypt`) move them to the current key.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from "node:crypto";

/**
 * Master keys by version. The highest version is current and encrypts; the rest only decrypt.
 * Keys are KeyObjects so that logging or serialising a keyring never prints key material.
 */
export type Keyring = {
  readonly currentVersion: number;
  readonly keys: ReadonlyMap<number, KeyObject>;
};

/** Thrown when a stored secret cannot be read back; messages never include key material. */
export class SecretDecryptionError extends Error {
  override name = "SecretDecryptionError";
}

const ALGORITHM = "aes-256-gcm";
const KEY_BYTES = 32;
const IV_BYTES = 12;
// Pinned explicitly: without authTagLength, GCM decryption would accept a truncated tag.
const TAG_BYTES = 16;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Parses `BATON_MASTER_KEYS`: comma-separated `<version>:<base64 32-byte key>` entries. */
export function parseKeyring(envValue: string): Keyring {
  const keys = new Map<number, KeyObject>();
  const entries = envValue
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  for (const [index, entry] of entries.entries()) {
    const where = `BATON_MASTER_KEYS entry ${index + 1}`;
    const match = /^(\d+):(.*)$/s.exec(entry);
    if (!match) throw new Error(`${where}: expected <version>:<base64 key>`);
    const version = Number(match[1]);
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new Error(`${where}: version must be a positive integer`);
    }
    if (keys.has(version)) throw new Error(`${where}: duplicate key version ${version}`);
    keys.set(version, parseKey(match[2]!.trim(), `${where} (version ${version})`));
  }
  if (keys.size === 0) throw new Error("BATON_MASTER_KEYS: no keys given");
  return { currentVersion: Math.max(...keys.keys()), keys };
}

/**
 * The keyring configured in the environment: `BATON_MASTER_KEYS`, or `BATON_MASTER_KEY` (one base64
 * key, taken as version 1). Null when neither is set; throws when the value is unusable.
 */
export function keyringFromEnv(env: Record<string, string | undefined> = process.env): Keyring | null {
  const keyList = env.BATON_MASTER_KEYS?.trim();
  const singleKey = env.BATON_MASTER_KEY?.trim();
  // Refusing both at once avoids silently ignoring one of them halfway through a migration.
  if (keyList && singleKey) throw new Error("set BATON_MASTER_KEYS or BATON_MASTER_KEY, not both");
  if (keyList) return parseKeyring(keyList);
  if (singleKey) return { currentVersion: 1, keys: new Map([[1, parseKey(singleKey, "BATON_MASTER_KEY")]]) };
  return null;
}

/** A fresh random master key, base64-encoded, for `BATON_MASTER_KEYS`. */
export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString("base64");
}

/**
 * Encrypts with the current key. `aad` binds the ciphertext to its context (the caller passes
 * `workspaceId:name`), so a stored value copied to another row or workspace fails to decrypt.
 */
export function encryptSecret(keyring: Keyring, plaintext: string, aad?: string): string {
  const version = keyring.currentVersion;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, keyring.keys.get(version)!, iv, { authTagLength: TAG_BYTES });
  if (aad !== undefined) cipher.setAAD(Buffer.from(aad, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `v${version}:${iv.toString("base64")}:${tag.toString("base64")}:${ciphertext.toString("base64")}`;
}

/** Decrypts a value from `encryptSecret`; the same `aad` must be given. */
export function decryptSecret(keyring: Keyring, stored: string, aad?: string): string {
  const { version, iv, tag, ciphertext } = parseStored(stored);
  const key = keyring.keys.get(version);
  if (!key) {
    const known = [...keyring.keys.keys()].sort((a, b) => b - a).join(", ");
    throw new SecretDecryptionError(
      `secret was encrypted with key version ${version}, which is not in the keyring (have: ${known})`,
    );
  }
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  if (aad !== undefined) decipher.setAAD(Buffer.from(aad, "utf8"));
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
  } catch {
    // GCM cannot tell these causes apart, and OpenSSL's own message adds nothing useful.
    throw new SecretDecryptionError(
      `secret failed authentication with key version ${version}: wrong key, tampered data, or different context (aad)`,
    );
  }
}

/** True when `stored` was encrypted with a key other than the current one. */
export function needsRotation(keyring: Keyring, stored: string): boolean {
  return parseStored(stored).version !== keyring.currentVersion;
}

/** Decrypts and encrypts again under the current key (with a fresh IV). */
export function reencrypt(keyring: Keyring, stored: string, aad?: string): string {
  return encryptSecret(keyring, decryptSecret(keyring, stored, aad), aad);
}

function parseKey(base64: string, where: string): KeyObject {
  if (!BASE64.test(base64)) throw new Error(`${where}: key is not valid base64`);
  const bytes = Buffer.from(base64, "base64");
  if (bytes.length !== KEY_BYTES) {
    throw new Error(`${where}: key must be ${KEY_BYTES} bytes, got ${bytes.length}`);
  }
  return createSecretKey(bytes);
}

function parseStored(stored: string) {
  const match = /^v(\d+):([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]*)$/.exec(stored);
  const malformed = () =>
    new SecretDecryptionError("stored secret is malformed (expected v<version>:<iv>:<tag>:<ciphertext>)");
  if (!match) throw malformed();
  const [, version, iv, tag, ciphertext] = match;
  const parsed = {
    version: Number(version),
    iv: Buffer.from(iv!, "base64"),
    tag: Buffer.from(tag!, "base64"),
    ciphertext: Buffer.from(ciphertext!, "base64"),
  };
  if (parsed.iv.length !== IV_BYTES || parsed.tag.length !== TAG_BYTES) throw malformed();
  return parsed;
}
