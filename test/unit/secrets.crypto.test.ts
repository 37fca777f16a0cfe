import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  decryptSecret,
  encryptSecret,
  generateKey,
  keyringFromEnv,
  needsRotation,
  parseKeyring,
  reencrypt,
  SecretDecryptionError,
} from "@/server/secrets/crypto";

const key1 = generateKey();
const key2 = generateKey();
const aad = "ws_1:SLACK_TOKEN";

function errorOf(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

/** Replaces one base64 character of the given `:`-separated field, keeping the string well-formed. */
function tamper(stored: string, field: number): string {
  const parts = stored.split(":");
  const value = parts[field]!;
  parts[field] = (value[0] === "A" ? "B" : "A") + value.slice(1);
  return parts.join(":");
}

describe("encryptSecret / decryptSecret", () => {
  const keyring = parseKeyring(`1:${key1}`);

  it("produces a versioned ciphertext unlike the plaintext and different on every call", () => {
    const first = encryptSecret(keyring, "hunter2", aad);
    const second = encryptSecret(keyring, "hunter2", aad);
    expect(first).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(first).not.toContain("hunter2");
    expect(first).not.toBe(second);
    expect(decryptSecret(keyring, first, aad)).toBe("hunter2");
    expect(decryptSecret(keyring, second, aad)).toBe("hunter2");
  });

  it("round-trips empty and non-ASCII text, with and without aad", () => {
    for (const text of ["", "pässwörd 🔑", "x".repeat(10_000)]) {
      expect(decryptSecret(keyring, encryptSecret(keyring, text), undefined)).toBe(text);
      expect(decryptSecret(keyring, encryptSecret(keyring, text, aad), aad)).toBe(text);
    }
  });

  it("decrypts only with the right key", () => {
    const stored = encryptSecret(keyring, "hunter2", aad);
    const otherKeyring = parseKeyring(`1:${key2}`);
    expect(() => decryptSecret(otherKeyring, stored, aad)).toThrow(SecretDecryptionError);
  });

  it.each([
    ["iv", 1],
    ["tag", 2],
    ["ciphertext", 3],
  ])("rejects a tampered %s", (_name, field) => {
    const stored = encryptSecret(keyring, "hunter2", aad);
    expect(() => decryptSecret(keyring, tamper(stored, field), aad)).toThrow(/failed authentication/);
  });

  it("rejects a ciphertext moved to another context (aad)", () => {
    const stored = encryptSecret(keyring, "hunter2", aad);
    expect(() => decryptSecret(keyring, stored, "ws_2:SLACK_TOKEN")).toThrow(/failed authentication/);
    expect(() => decryptSecret(keyring, stored)).toThrow(/failed authentication/);
  });

  it("rejects a truncated tag instead of checking fewer bits", () => {
    const stored = encryptSecret(keyring, "hunter2", aad);
    const [version, iv, tag, ciphertext] = stored.split(":");
    const shortTag = Buffer.from(tag!, "base64").subarray(0, 4).toString("base64");
    expect(() => decryptSecret(keyring, [version, iv, shortTag, ciphertext].join(":"), aad)).toThrow(
      /malformed/,
    );
  });

  it("rejects malformed input", () => {
    for (const stored of ["", "hunter2", "v1:abc", "1:a:b:c", "vx:AAAA:AAAA:AAAA"]) {
      expect(() => decryptSecret(keyring, stored)).toThrow(/malformed/);
    }
  });

  it("names an unknown key version without leaking key material", () => {
    const stored = encryptSecret(parseKeyring(`7:${key2}`), "hunter2");
    const error = errorOf(() => decryptSecret(keyring, stored));
    expect(error).toBeInstanceOf(SecretDecryptionError);
    expect(error.message).toMatch(/key version 7, which is not in the keyring \(have: 1\)/);
    expect(error.message).not.toContain(key1);
  });
});

describe("rotation", () => {
  it("moves a v1 secret to v2 and keeps it readable after v1 is dropped", () => {
    const v1Only = parseKeyring(`1:${key1}`);
    const stored = encryptSecret(v1Only, "hunter2", aad);
    expect(needsRotation(v1Only, stored)).toBe(false);

    const both = parseKeyring(`2:${key2},1:${key1}`);
    expect(both.currentVersion).toBe(2);
    expect(decryptSecret(both, stored, aad)).toBe("hunter2");
    expect(needsRotation(both, stored)).toBe(true);

    const rotated = reencrypt(both, stored, aad);
    expect(rotated.startsWith("v2:")).toBe(true);
    expect(needsRotation(both, rotated)).toBe(false);
    expect(decryptSecret(both, rotated, aad)).toBe("hunter2");

    const v2Only = parseKeyring(`2:${key2}`);
    expect(decryptSecret(v2Only, rotated, aad)).toBe("hunter2");
    expect(() => decryptSecret(v2Only, stored, aad)).toThrow(/key version 1/);
  });

  it("does not depend on the order of entries", () => {
    expect(parseKeyring(`1:${key1}, 3:${key2} ,2:${generateKey()}`).currentVersion).toBe(3);
  });
});

describe("parseKeyring", () => {
  it.each([
    ["", /no keys/],
    [key1, /entry 1: expected <version>:<base64 key>/],
    [`x:${key1}`, /entry 1: expected <version>:<base64 key>/],
    [`0:${key1}`, /entry 1: version must be a positive integer/],
    [`1:${key1},1:${key2}`, /entry 2: duplicate key version 1/],
    ["1:not base64!", /entry 1 \(version 1\): key is not valid base64/],
    [`1:${Buffer.alloc(16).toString("base64")}`, /key must be 32 bytes, got 16/],
  ])("rejects %j", (value, message) => {
    expect(() => parseKeyring(value)).toThrow(message);
  });

  it("keeps key material out of errors and inspection", () => {
    const almostKey = `${key1.slice(0, -4)}!!!!`;
    expect(errorOf(() => parseKeyring(`1:${almostKey}`)).message).not.toContain(almostKey.slice(0, 8));
    const keyring = parseKeyring(`1:${key1}`);
    expect(inspect(keyring, { depth: 5 })).not.toContain(key1);
    expect(JSON.stringify(keyring)).not.toContain(key1);
  });
});

describe("keyringFromEnv", () => {
  it("reads BATON_MASTER_KEYS, or BATON_MASTER_KEY as version 1, or nothing", () => {
    expect(keyringFromEnv({ BATON_MASTER_KEYS: `2:${key2},1:${key1}` })?.currentVersion).toBe(2);
    const single = keyringFromEnv({ BATON_MASTER_KEY: key1 });
    expect(single?.currentVersion).toBe(1);
    expect(decryptSecret(parseKeyring(`1:${key1}`), encryptSecret(single!, "hunter2"))).toBe("hunter2");
    expect(keyringFromEnv({})).toBeNull();
    expect(keyringFromEnv({ BATON_MASTER_KEYS: " " })).toBeNull();
  });

  it("rejects a bad single key and ambiguous configuration", () => {
    expect(() => keyringFromEnv({ BATON_MASTER_KEY: "short" })).toThrow(/BATON_MASTER_KEY: key/);
    expect(() => keyringFromEnv({ BATON_MASTER_KEY: key1, BATON_MASTER_KEYS: `1:${key1}` })).toThrow(
      /not both/,
    );
  });
});
