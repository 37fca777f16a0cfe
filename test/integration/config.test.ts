// Workspace configuration: variables, write-only secrets encrypted at rest, typed connections with
// encrypted secret fields, key rotation, what Viewers may do, and what the engine gets at
// execution time (only what a task references).
import type { TRPCError } from "@trpc/server";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { configProblems } from "@/server/config";
import { resolveForExecution } from "@/server/config/resolve";
import { createSecret } from "@/server/config/secrets";
import { db } from "@/server/db/client";
import type { Problem } from "@/server/errors";
import { decryptSecret, generateKey, parseKeyring } from "@/server/secrets/crypto";
import { rotateKeys } from "@/server/secrets/keyring";
import { findReferences } from "@/server/templating/template";
import { openWorkspace, systemScope } from "@/server/tenancy/door";
import { apiAs, codeOf, createUser } from "../support/factories";

/** A DAG at the workspace root: what templates resolve for it. */
const atRoot = { folderId: null };

const key1 = generateKey();
const key2 = generateKey();
const originalKeys = `1:${key1}`;

let owner: Awaited<ReturnType<typeof createUser>>;
let ws: string;
/** Every answer any API gave in this file, to search for secret values. */
const answers: unknown[] = [];
const plaintexts = new Set<string>();

/** Calls through the API and remembers the answer. */
async function seen<T>(promise: Promise<T>): Promise<T> {
  const answer = await promise;
  answers.push(answer);
  return answer;
}

async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string; problems: Problem[]; message: string }> {
  try {
    answers.push(await promise);
  } catch (error) {
    const trpc = error as TRPCError;
    const cause = trpc.cause as { problems?: Problem[] } | undefined;
    answers.push(trpc.message, cause?.problems);
    return { code: trpc.code, problems: cause?.problems ?? [], message: trpc.message };
  }
  throw new Error("expected a rejection");
}

beforeAll(async () => {
  process.env.BATON_MASTER_KEYS = originalKeys;
  owner = await createUser("config");
  ws = owner.workspace.slug;
});

afterEach(() => {
  process.env.BATON_MASTER_KEYS = originalKeys;
  delete process.env.BATON_MASTER_KEY;
});

describe("variables", () => {
  it("create, read, list, update (keeping what is not sent) and delete", async () => {
    const created = await seen(
      owner.api.variables.create({
        workspace: ws,
        key: "region",
        value: { name: "eu", zones: [1, 2] },
        description: "Where",
      }),
    );
    expect(created).toMatchObject({
      key: "region",
      value: { name: "eu", zones: [1, 2] },
      description: "Where",
    });
    expect(await seen(owner.api.variables.get({ workspace: ws, key: "region" }))).toMatchObject({
      value: { name: "eu", zones: [1, 2] },
    });

    const updated = await seen(owner.api.variables.update({ workspace: ws, key: "region", value: "us" }));
    expect(updated).toMatchObject({ value: "us", description: "Where" });
    const described = await seen(
      owner.api.variables.update({ workspace: ws, key: "region", description: "Home" }),
    );
    expect(described).toMatchObject({ value: "us", description: "Home" });

    await seen(owner.api.variables.create({ workspace: ws, key: "batch_size", value: 500 }));
    const { items: listed } = await seen(owner.api.variables.list({ workspace: ws }));
    expect(listed.map((v) => [v.key, v.value])).toEqual([
      ["batch_size", 500],
      ["region", "us"],
    ]);

    await owner.api.variables.delete({ workspace: ws, key: "batch_size" });
    expect(await codeOf(owner.api.variables.get({ workspace: ws, key: "batch_size" }))).toBe("NOT_FOUND");
    expect(await codeOf(owner.api.variables.delete({ workspace: ws, key: "batch_size" }))).toBe("NOT_FOUND");
  });

  it("refuse duplicates, unknown keys and bad input with the field named, changing nothing", async () => {
    const duplicate = await failure(owner.api.variables.create({ workspace: ws, key: "region", value: 1 }));
    expect(duplicate).toMatchObject({ code: "CONFLICT", problems: [{ path: "key" }] });
    expect(await codeOf(owner.api.variables.update({ workspace: ws, key: "nope", value: 1 }))).toBe(
      "NOT_FOUND",
    );
    const badKey = await failure(owner.api.variables.create({ workspace: ws, key: "no spaces", value: 1 }));
    expect(badKey.code).toBe("BAD_REQUEST");
    const badValue = await failure(
      owner.api.variables.update({ workspace: ws, key: "region", value: null as never }),
    );
    expect(badValue.code).toBe("BAD_REQUEST");
    expect((await owner.api.variables.get({ workspace: ws, key: "region" })).value).toBe("us");
  });
});

describe("secrets", () => {
  const value = "sk_live_4f9d2a7c1e8b";
  plaintexts.add(value);

  it("are stored encrypted, bound to their workspace and name, and decrypt only with the right key", async () => {
    const created = await seen(
      owner.api.secrets.create({ workspace: ws, name: "STRIPE_KEY", value, description: "Billing" }),
    );
    expect(created).toMatchObject({
      name: "STRIPE_KEY",
      description: "Billing",
      value: "••••••••",
      keyVersion: 1,
    });

    const row = await db.secret.findFirstOrThrow({
      where: { workspaceId: owner.workspace.id, name: "STRIPE_KEY" },
    });
    expect(row.ciphertext).not.toBe(value);
    expect(row.ciphertext).not.toContain(value);
    expect(row.ciphertext).not.toContain(Buffer.from(value).toString("base64"));
    const aad = `${owner.workspace.id}:secret:STRIPE_KEY`;
    expect(decryptSecret(parseKeyring(`1:${key1}`), row.ciphertext, aad)).toBe(value);
    expect(() => decryptSecret(parseKeyring(`1:${key2}`), row.ciphertext, aad)).toThrow(
      /failed authentication/,
    );
    expect(() =>
      decryptSecret(parseKeyring(`1:${key1}`), row.ciphertext, `other-workspace:secret:STRIPE_KEY`),
    ).toThrow();
  });

  it("can be replaced but never read back", async () => {
    const next = "sk_live_replacement_77";
    plaintexts.add(next);
    const updated = await seen(owner.api.secrets.update({ workspace: ws, name: "STRIPE_KEY", value: next }));
    expect(updated).toMatchObject({ value: "••••••••", description: "Billing" });
    const described = await seen(
      owner.api.secrets.update({ workspace: ws, name: "STRIPE_KEY", description: "Payments" }),
    );
    expect(described.description).toBe("Payments");
    const scope = await systemScope(owner.workspace.id);
    const resolved = await resolveForExecution(
      scope,
      findReferences("{{ secrets.STRIPE_KEY }}").refs,
      atRoot,
    );
    expect(resolved.secrets).toEqual({ STRIPE_KEY: next });
    expect((await seen(owner.api.secrets.list({ workspace: ws }))).items).toEqual([
      expect.objectContaining({ name: "STRIPE_KEY", value: "••••••••", description: "Payments" }),
    ]);
    expect(await codeOf(owner.api.secrets.update({ workspace: ws, name: "MISSING", value: "x" }))).toBe(
      "NOT_FOUND",
    );
    expect(
      (await failure(owner.api.secrets.create({ workspace: ws, name: "STRIPE_KEY", value: "x" }))).code,
    ).toBe("CONFLICT");
    expect((await failure(owner.api.secrets.create({ workspace: ws, name: "EMPTY", value: "" }))).code).toBe(
      "BAD_REQUEST",
    );
  });

  it("cannot be written without a master key, with an error saying how to set one", async () => {
    delete process.env.BATON_MASTER_KEYS;
    const scope = await systemScope(owner.workspace.id);
    await expect(createSecret(scope, { name: "NO_KEY", value: "x" })).rejects.toThrow(/BATON_MASTER_KEYS/);
    expect(await db.secret.count({ where: { workspaceId: owner.workspace.id, name: "NO_KEY" } })).toBe(0);
  });

  it("deleted, are gone", async () => {
    await owner.api.secrets.create({ workspace: ws, name: "TEMP", value: "temporary-value-1" });
    plaintexts.add("temporary-value-1");
    await owner.api.secrets.delete({ workspace: ws, name: "TEMP" });
    expect((await owner.api.secrets.list({ workspace: ws })).items.map((s) => s.name)).toEqual([
      "STRIPE_KEY",
    ]);
    expect(await codeOf(owner.api.secrets.delete({ workspace: ws, name: "TEMP" }))).toBe("NOT_FOUND");
  });
});

describe("connections", () => {
  const password = "pg-password-9a8b7c";
  plaintexts.add(password);

  it("are typed, with secret fields encrypted and shown masked", async () => {
    const created = await seen(
      owner.api.connections.create({
        workspace: ws,
        name: "warehouse",
        type: "postgres",
        config: { host: "db.example.com", database: "dw", user: "loader", password },
      }),
    );
    expect(created).toMatchObject({
      name: "warehouse",
      type: "postgres",
      config: {
        host: "db.example.com",
        port: 5432,
        database: "dw",
        user: "loader",
        ssl: true,
        password: "••••••••",
      },
      secretFields: { password: true },
    });
    const row = await db.connection.findFirstOrThrow({
      where: { workspaceId: owner.workspace.id, name: "warehouse" },
    });
    expect(JSON.stringify(row.config)).not.toContain(password);
    expect(row.secretCiphertext).not.toContain(password);
    const aad = `${owner.workspace.id}:connection:warehouse`;
    expect(JSON.parse(decryptSecret(parseKeyring(`1:${key1}`), row.secretCiphertext!, aad))).toEqual({
      password,
    });

    await seen(
      owner.api.connections.create({
        workspace: ws,
        name: "api",
        type: "http",
        config: { baseUrl: "https://api.example.com/v1", authHeaderValue: "Bearer tok-123456" },
      }),
    );
    plaintexts.add("Bearer tok-123456");
    await seen(
      owner.api.connections.create({
        workspace: ws,
        name: "alerts",
        type: "slack",
        config: { webhookUrl: "https://hooks.slack.com/services/T000/B000/XXXX" },
      }),
    );
    plaintexts.add("https://hooks.slack.com/services/T000/B000/XXXX");
    await seen(
      owner.api.connections.create({
        workspace: ws,
        name: "mail",
        type: "smtp",
        config: {
          host: "smtp.example.com",
          from: "baton@example.com",
          user: "baton",
          password: "smtp-pass-5555",
        },
      }),
    );
    plaintexts.add("smtp-pass-5555");
    const { items: listed } = await seen(owner.api.connections.list({ workspace: ws }));
    expect(listed.map((c) => [c.name, c.type])).toEqual([
      ["alerts", "slack"],
      ["api", "http"],
      ["mail", "smtp"],
      ["warehouse", "postgres"],
    ]);
    expect(listed.find((c) => c.name === "api")!.config).toEqual({
      baseUrl: "https://api.example.com/v1",
      authHeaderName: "Authorization",
      headers: {},
      authHeaderValue: "••••••••",
    });
    expect(
      (await seen(owner.api.connections.list({ workspace: ws, type: "slack" }))).items.map((c) => c.name),
    ).toEqual(["alerts"]);
  });

  it("keep stored secret fields on an update that does not resend them", async () => {
    const updated = await seen(
      owner.api.connections.update({ workspace: ws, name: "warehouse", config: { host: "db2.example.com" } }),
    );
    expect(updated.config).toMatchObject({ host: "db2.example.com", database: "dw", password: "••••••••" });
    const scope = await systemScope(owner.workspace.id);
    const refs = findReferences("{{ conn.warehouse.host }} {{ conn.warehouse.password }}").refs;
    expect((await resolveForExecution(scope, refs, atRoot)).conn).toEqual({
      warehouse: { host: "db2.example.com", password },
    });

    const replaced = "pg-password-rotated-1";
    plaintexts.add(replaced);
    await seen(
      owner.api.connections.update({ workspace: ws, name: "warehouse", config: { password: replaced } }),
    );
    expect((await resolveForExecution(scope, refs, atRoot)).conn.warehouse).toEqual({
      host: "db2.example.com",
      password: replaced,
    });

    // null removes an optional field, plain or secret.
    const cleared = await seen(
      owner.api.connections.update({ workspace: ws, name: "api", config: { authHeaderValue: null } }),
    );
    expect(cleared.secretFields).toEqual({ authHeaderValue: false });
    expect(cleared.config).not.toHaveProperty("authHeaderValue");
    const row = await db.connection.findFirstOrThrow({
      where: { workspaceId: owner.workspace.id, name: "api" },
    });
    expect(row.secretCiphertext).toBeNull();
  });

  it("refuse bad configs naming each field, and keep what was stored", async () => {
    const before = await db.connection.findFirstOrThrow({
      where: { workspaceId: owner.workspace.id, name: "warehouse" },
    });
    const bad = await failure(
      owner.api.connections.update({
        workspace: ws,
        name: "warehouse",
        config: { port: 99999, colour: "blue", password: "" },
      }),
    );
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.problems.map((p) => p.path).sort()).toEqual([
      "config.colour",
      "config.password",
      "config.port",
    ]);
    const after = await db.connection.findFirstOrThrow({
      where: { workspaceId: owner.workspace.id, name: "warehouse" },
    });
    expect(after).toEqual(before);

    const noWebhook = await failure(
      owner.api.connections.create({ workspace: ws, name: "hook", type: "slack", config: {} }),
    );
    expect(noWebhook).toMatchObject({
      code: "BAD_REQUEST",
      problems: [{ path: "config.webhookUrl", message: "Required" }],
    });
    const badType = await failure(
      owner.api.connections.create({ workspace: ws, name: "x", type: "ftp" as never, config: {} }),
    );
    expect(badType.code).toBe("BAD_REQUEST");
    const badUrl = await failure(
      owner.api.connections.create({
        workspace: ws,
        name: "x",
        type: "http",
        config: { baseUrl: "file:///etc/passwd" },
      }),
    );
    expect(badUrl.problems.map((p) => p.path)).toEqual(["config.baseUrl"]);
    expect(await codeOf(owner.api.connections.update({ workspace: ws, name: "ghost", config: {} }))).toBe(
      "NOT_FOUND",
    );
    const duplicate = await failure(
      owner.api.connections.create({
        workspace: ws,
        name: "alerts",
        type: "slack",
        config: { webhookUrl: "https://x.example.com" },
      }),
    );
    expect(duplicate.code).toBe("CONFLICT");
  });

  it("get and delete", async () => {
    expect(await seen(owner.api.connections.get({ workspace: ws, name: "mail" }))).toMatchObject({
      config: { host: "smtp.example.com", port: 587, secure: false, password: "••••••••" },
    });
    await owner.api.connections.delete({ workspace: ws, name: "mail" });
    expect(await codeOf(owner.api.connections.get({ workspace: ws, name: "mail" }))).toBe("NOT_FOUND");
  });
});

describe("resolveForExecution", () => {
  it("returns only what the task's templates reference, secrets decrypted, and the values to mask", async () => {
    await owner.api.variables.create({ workspace: ws, key: "unused", value: "not asked for" });
    await owner.api.secrets.create({ workspace: ws, name: "UNUSED_SECRET", value: "never-resolved-321" });
    plaintexts.add("never-resolved-321");
    const scope = await systemScope(owner.workspace.id);
    const template =
      "{{ vars.region }} {{ secrets.STRIPE_KEY }} {{ conn.warehouse.user }} {{ conn.alerts.webhookUrl }} {{ vars.absent | default(1) }}";
    const resolved = await resolveForExecution(scope, findReferences(template).refs, atRoot);
    expect(resolved.vars).toEqual({ region: "us" });
    expect(Object.keys(resolved.secrets)).toEqual(["STRIPE_KEY"]);
    expect(resolved.conn).toEqual({
      warehouse: { user: "loader" },
      alerts: { webhookUrl: "https://hooks.slack.com/services/T000/B000/XXXX" },
    });
    expect(resolved.secretValues.sort()).toEqual(
      ["sk_live_replacement_77", "https://hooks.slack.com/services/T000/B000/XXXX"].sort(),
    );
    expect(JSON.stringify(resolved)).not.toContain("never-resolved-321");
    expect(await resolveForExecution(scope, [], atRoot)).toEqual({
      vars: {},
      secrets: {},
      conn: {},
      secretValues: [],
    });
  });

  it("reads only the caller's workspace", async () => {
    const other = await createUser("elsewhere");
    const scope = await systemScope(other.workspace.id);
    const resolved = await resolveForExecution(
      scope,
      findReferences("{{ vars.region }} {{ secrets.STRIPE_KEY }}").refs,
      atRoot,
    );
    expect(resolved).toEqual({ vars: {}, secrets: {}, conn: {}, secretValues: [] });
  });
});

describe("key rotation", () => {
  it("moves every secret and connection to the new key; they stay readable after the old key is dropped", async () => {
    for (let i = 0; i < 5; i++) {
      await owner.api.secrets.create({ workspace: ws, name: `BULK_${i}`, value: `bulk-secret-value-${i}` });
      plaintexts.add(`bulk-secret-value-${i}`);
    }
    const scope = await systemScope(owner.workspace.id);
    const refs = findReferences(
      "{{ secrets.STRIPE_KEY }} {{ secrets.BULK_0 }} {{ secrets.BULK_4 }} {{ conn.warehouse.password }} {{ conn.alerts.webhookUrl }}",
    ).refs;
    const before = await resolveForExecution(scope, refs, atRoot);

    process.env.BATON_MASTER_KEYS = `2:${key2},1:${key1}`;
    const result = await rotateKeys(scope, { batchSize: 2 });
    expect(result).toMatchObject({
      currentVersion: 2,
      secrets: { found: 7, rotated: 7, failed: 0 },
      connections: { found: 2, rotated: 2, failed: 0 },
      failures: [],
    });
    const secretRows = await db.secret.findMany({ where: { workspaceId: owner.workspace.id } });
    const connectionRows = await db.connection.findMany({
      where: { workspaceId: owner.workspace.id, secretCiphertext: { not: null } },
    });
    for (const row of secretRows) expect(row.ciphertext).toMatch(/^v2:/);
    for (const row of connectionRows) expect(row.secretCiphertext).toMatch(/^v2:/);
    expect((await rotateKeys(scope)).secrets.found).toBe(0);
    expect((await owner.api.secrets.list({ workspace: ws })).items[0]!.keyVersion).toBe(2);

    process.env.BATON_MASTER_KEYS = `2:${key2}`;
    expect(await resolveForExecution(scope, refs, atRoot)).toEqual(before);
    const { items: events } = await owner.api.audit.list({ workspace: ws, limit: 200 });
    expect(events.some((e) => e.action === "keys.rotate")).toBe(true);
  });

  it("reports rows it cannot decrypt and leaves them as they were", async () => {
    process.env.BATON_MASTER_KEYS = `2:${key2}`;
    const other = await createUser("stale");
    const scope = await systemScope(other.workspace.id);
    await createSecret(scope, { name: "OLD", value: "old-value-000" });
    plaintexts.add("old-value-000");
    // A key the process no longer has: the row cannot be rotated.
    process.env.BATON_MASTER_KEYS = `3:${generateKey()}`;
    const result = await rotateKeys(scope);
    expect(result.secrets).toEqual({ found: 1, rotated: 0, failed: 1 });
    expect(result.failures).toEqual([
      { kind: "secret", name: "OLD", error: expect.stringMatching(/key version 2/) },
    ]);
    expect(
      (await db.secret.findFirstOrThrow({ where: { workspaceId: other.workspace.id } })).ciphertext,
    ).toMatch(/^v2:/);
  });
});

describe("Viewers", () => {
  it("list everything (values masked) but cannot change anything", async () => {
    const viewer = await createUser("viewer");
    await db.membership.create({
      data: { workspaceId: owner.workspace.id, userId: viewer.user.id, role: "VIEWER" },
    });
    const api = apiAs(viewer.caller);
    expect((await seen(api.variables.list({ workspace: ws }))).items.length).toBeGreaterThan(0);
    expect((await seen(api.secrets.list({ workspace: ws }))).items.every((s) => s.value === "••••••••")).toBe(
      true,
    );
    expect((await seen(api.connections.list({ workspace: ws }))).items.length).toBeGreaterThan(0);
    await seen(api.connections.get({ workspace: ws, name: "warehouse" }));
    await seen(api.variables.get({ workspace: ws, key: "region" }));

    // One at a time: a refusal not yet awaited would be an unhandled rejection.
    const attempts: Array<() => Promise<unknown>> = [
      () => api.variables.create({ workspace: ws, key: "v", value: 1 }),
      () => api.variables.update({ workspace: ws, key: "region", value: "hacked" }),
      () => api.variables.delete({ workspace: ws, key: "region" }),
      () => api.secrets.create({ workspace: ws, name: "S", value: "x" }),
      () => api.secrets.update({ workspace: ws, name: "STRIPE_KEY", value: "x" }),
      () => api.secrets.delete({ workspace: ws, name: "STRIPE_KEY" }),
      () =>
        api.connections.create({
          workspace: ws,
          name: "c",
          type: "slack",
          config: { webhookUrl: "https://x.example.com" },
        }),
      () =>
        api.connections.update({ workspace: ws, name: "warehouse", config: { host: "evil.example.com" } }),
      () => api.connections.delete({ workspace: ws, name: "warehouse" }),
    ];
    for (const attempt of attempts) expect(await codeOf(attempt())).toBe("FORBIDDEN");
    expect((await owner.api.variables.get({ workspace: ws, key: "region" })).value).toBe("us");
  });
});

describe("no secret value in any answer", () => {
  it("after saving, no API answer in this file contained a secret value", async () => {
    // Answers that could carry them, gathered once more at the end.
    await seen(owner.api.audit.list({ workspace: ws, limit: 200 }));
    const scope = await openWorkspace(owner.caller, ws, "config:read");
    expect(scope.workspace.id).toBe(owner.workspace.id);
    const text = JSON.stringify(answers);
    expect(answers.length).toBeGreaterThan(20);
    expect(plaintexts.size).toBeGreaterThan(8);
    for (const plaintext of plaintexts) expect(text).not.toContain(plaintext);
  });
});

describe("production configuration", () => {
  it("refuses to start web or worker without a usable master key", () => {
    const base = { DATABASE_URL: "postgres://x", NEXTAUTH_SECRET: "s" };
    expect(configProblems("worker", { env: base, production: true }).map((m) => m.name)).toEqual([
      "BATON_MASTER_KEYS (or BATON_MASTER_KEY)",
    ]);
    expect(configProblems("web", { env: base, production: true }).map((m) => m.name)).toEqual([
      "BATON_MASTER_KEYS (or BATON_MASTER_KEY)",
    ]);
    expect(
      configProblems("web", { env: { ...base, BATON_MASTER_KEYS: `1:${key1}` }, production: true }),
    ).toEqual([]);
    expect(configProblems("worker", { env: { ...base, BATON_MASTER_KEY: key1 }, production: true })).toEqual(
      [],
    );
    expect(
      configProblems("worker", { env: { ...base, BATON_MASTER_KEYS: "1:short" }, production: true })[0]!
        .problem,
    ).toMatch(/key/);
  });
});
