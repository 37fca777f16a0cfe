// Typed connections ({{ conn.name.field }}, and the `connection` field of http/sql/notify tasks):
// PostgreSQL, HTTP base URL with an auth header, SMTP, and Slack-style webhooks.
//
// Each type has plain fields (stored as they are in `config`) and secret fields (stored together as
// one encrypted JSON object in `secretCiphertext`, AAD `${workspaceId}:connection:${name}`). Which
// secret fields are set is kept in `config.$secrets` (names only) so that lists can show a mask
// without decrypting anything. No function here returns a secret field's value; execution reads
// them through resolve.ts.
//
// Updates are patches: plain fields sent replace the stored ones (null removes an optional one),
// secret fields sent replace theirs (null removes an optional one), and everything left out is kept.

import { z } from "zod";
import { Prisma } from "@/prisma/generated/client";
import { AppError, notFound, type Problem } from "@/server/errors";
import { allowedFoldersAfter, inFolder, withAllowedFolderNames } from "@/server/folders/service";
import type { ConnectionType } from "@/server/operators/types";
import { resourceName } from "@/server/operators/types";
import { keyset, type PageInput } from "@/server/pagination";
import { decryptSecret, encryptSecret } from "@/server/secrets/crypto";
import { connectionAad, keyVersionOf, processKeyring } from "@/server/secrets/keyring";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { usableBy } from "@/server/tenancy/folders";
import { SECRET_MASK } from "./secrets";

export const connectionTypes = [
  "postgres",
  "http",
  "smtp",
  "slack",
] as const satisfies readonly ConnectionType[];
export const connectionName = resourceName;
export const connectionDescription = z.string().max(1000, "Descriptions are at most 1000 characters");

const host = z.string().trim().min(1, "Enter a host").max(255);
const port = z.int("Must be a whole number").min(1).max(65_535);
const httpUrl = (what: string) =>
  z.url({ protocol: /^https?$/, error: `${what} must be an absolute http(s) URL` }).max(2000);
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "Must be an HTTP header name");
const secretText = z.string().min(1, "Enter a value").max(10_000);

interface TypeDefinition {
  /** Plain fields, with defaults. */
  plain: z.ZodObject;
  /** Secret fields: their schema and whether the connection needs them. */
  secrets: Record<string, { schema: z.ZodType<string>; required: boolean }>;
}

export const connectionDefinitions: Record<ConnectionType, TypeDefinition> = {
  postgres: {
    plain: z.strictObject({
      host,
      port: port.default(5432),
      database: z.string().min(1, "Enter a database").max(63),
      user: z.string().min(1, "Enter a user").max(63),
      /** Require TLS (on by default: the database is usually across a network). */
      ssl: z.boolean().default(true),
    }),
    secrets: { password: { schema: secretText, required: false } },
  },
  http: {
    plain: z.strictObject({
      baseUrl: httpUrl("The base URL"),
      /** Header that carries authHeaderValue (when one is set). */
      authHeaderName: headerName.default("Authorization"),
      /** Extra headers sent on every request; not secret. */
      headers: z.record(headerName, z.string().max(4000)).default(() => ({})),
    }),
    secrets: { authHeaderValue: { schema: secretText, required: false } },
  },
  smtp: {
    plain: z.strictObject({
      host,
      port: port.default(587),
      /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
      secure: z.boolean().default(false),
      user: z.string().max(255).optional(),
      from: z.string().min(3, "Enter a sender address").max(320),
    }),
    secrets: { password: { schema: secretText, required: false } },
  },
  slack: {
    plain: z.strictObject({}),
    secrets: {
      webhookUrl: { schema: z.url({ protocol: /^https$/, error: "Must be an https URL" }), required: true },
    },
  },
};

const SECRET_FIELDS_KEY = "$secrets";

const select = {
  name: true,
  type: true,
  config: true,
  secretCiphertext: true,
  description: true,
  allowedFolderIds: true,
  createdAt: true,
  updatedAt: true,
} as const;

type ConnectionRow = Prisma.ConnectionGetPayload<{ select: typeof select }>;

function splitStored(config: Prisma.JsonValue): { plain: Record<string, unknown>; secretFields: string[] } {
  const { [SECRET_FIELDS_KEY]: secretFields, ...plain } = (config ?? {}) as Record<string, unknown>;
  return { plain, secretFields: Array.isArray(secretFields) ? (secretFields as string[]) : [] };
}

/** A connection as callers see it: plain fields as they are, secret fields masked when set. */
function present(row: ConnectionRow) {
  const { plain, secretFields } = splitStored(row.config);
  const masked = Object.fromEntries(secretFields.map((field) => [field, SECRET_MASK]));
  return {
    name: row.name,
    type: row.type,
    description: row.description,
    config: { ...plain, ...masked },
    /** The type's secret fields and whether each is set. */
    secretFields: Object.fromEntries(
      Object.keys(connectionDefinitions[row.type].secrets).map((field) => [
        field,
        secretFields.includes(field),
      ]),
    ),
    keyVersion: row.secretCiphertext ? (keyVersionOf(row.secretCiphertext) ?? null) : null,
    allowedFolderIds: row.allowedFolderIds,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const connectionsOrder = keyset([["name", "asc"]]);

export async function listConnections(
  scope: WorkspaceScope,
  input: PageInput & { type?: ConnectionType | undefined },
) {
  const page = await connectionsOrder.page(
    input,
    ({ where, ...query }) =>
      scope.db.connection.findMany({
        ...query,
        where: { ...(input.type ? { type: input.type } : {}), ...where },
        select,
      }),
    present,
  );
  return { ...page, items: await withAllowedFolderNames(scope, page.items) };
}

async function findConnection(scope: WorkspaceScope, name: string): Promise<ConnectionRow> {
  const row = await scope.db.connection.findFirst({ where: { name }, select });
  if (!row) throw notFound("Connection");
  return row;
}

export async function getConnection(scope: WorkspaceScope, name: string) {
  return (await withAllowedFolderNames(scope, [present(await findConnection(scope, name))]))[0]!;
}

type FieldsInput = Record<string, unknown>;

function invalidConfig(problems: Problem[]): AppError {
  return new AppError(
    "BAD_REQUEST",
    `The connection's config is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
    problems,
  );
}

/**
 * Checks a config against its type: the plain fields as a whole (after merging over `stored` for
 * an update), the secret fields that were sent, and that required secret fields are set.
 * Returns the plain fields with defaults, and the secret changes (null: remove).
 */
function checkConfig(
  type: ConnectionType,
  config: FieldsInput,
  stored?: { plain: Record<string, unknown>; secretFields: string[] },
) {
  const definition = connectionDefinitions[type];
  const problems: Problem[] = [];
  // Field names are the caller's: own properties only, on objects without a prototype, so that
  // `constructor` or `__proto__` is just an unknown field.
  const plainInput: Record<string, unknown> = Object.assign(Object.create(null), stored?.plain ?? {});
  const secretChanges: Record<string, string | null> = Object.create(null);
  for (const [field, value] of Object.entries(config)) {
    const secret = Object.hasOwn(definition.secrets, field) ? definition.secrets[field] : undefined;
    if (secret) {
      if (value === null || value === undefined) {
        if (value === null) secretChanges[field] = null;
        continue;
      }
      const parsed = secret.schema.safeParse(value);
      if (parsed.success) secretChanges[field] = parsed.data;
      else problems.push({ path: `config.${field}`, message: parsed.error.issues[0]!.message });
    } else if (value === null) {
      delete plainInput[field];
    } else {
      plainInput[field] = value;
    }
  }
  const plain = definition.plain.safeParse(plainInput);
  if (!plain.success) {
    for (const issue of plain.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          problems.push({ path: `config.${key}`, message: `Unknown field for a ${type} connection` });
        }
      } else {
        problems.push({ path: ["config", ...issue.path.map(String)].join("."), message: issue.message });
      }
    }
  }
  for (const [field, { required }] of Object.entries(definition.secrets)) {
    const willBeSet =
      field in secretChanges ? secretChanges[field] !== null : Boolean(stored?.secretFields.includes(field));
    if (required && !willBeSet) problems.push({ path: `config.${field}`, message: "Required" });
  }
  if (problems.length > 0) throw invalidConfig(problems);
  return { plain: plain.data as Record<string, unknown>, secretChanges };
}

function storedConfig(plain: Record<string, unknown>, secretFields: string[]): Prisma.InputJsonObject {
  return { ...plain, [SECRET_FIELDS_KEY]: [...secretFields].sort() } as Prisma.InputJsonObject;
}

export async function createConnection(
  scope: WorkspaceScope,
  input: {
    name: string;
    type: ConnectionType;
    config: FieldsInput;
    description?: string | undefined;
    folder?: string | undefined;
    /** Folders whose DAGs may use it beside its own (docs/permissions.md); by name. */
    allowedFolders?: string[] | undefined;
  },
) {
  const { plain, secretChanges } = checkConfig(input.type, input.config);
  const allowedFolderIds = (await allowedFoldersAfter(scope, [], input.allowedFolders)) ?? [];
  const secrets = Object.fromEntries(Object.entries(secretChanges).filter(([, v]) => v !== null)) as Record<
    string,
    string
  >;
  const secretFields = Object.keys(secrets);
  const secretCiphertext =
    secretFields.length > 0
      ? encryptSecret(
          processKeyring(),
          JSON.stringify(secrets),
          connectionAad(scope.workspace.id, input.name),
        )
      : null;
  try {
    const created = await scope.db.connection.create({
      data: {
        workspaceId: scope.workspace.id,
        ...(await inFolder(scope, input.folder)),
        name: input.name,
        type: input.type,
        config: storedConfig(plain, secretFields),
        secretCiphertext,
        description: input.description ?? "",
        allowedFolderIds,
      },
      select,
    });
    await scope.audit("connection.create", input.name, {
      type: input.type,
      secretFields,
      allowedFolders: input.allowedFolders ?? [],
    });
    return (await withAllowedFolderNames(scope, [present(created)]))[0]!;
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new AppError("CONFLICT", `A connection named "${input.name}" already exists`, [
        { path: "name", message: "Already exists; update it instead" },
      ]);
    }
    throw error;
  }
}

/** Patches a connection (see the top of this module); its type and name do not change. */
export async function updateConnection(
  scope: WorkspaceScope,
  input: {
    name: string;
    config?: FieldsInput | undefined;
    description?: string | undefined;
    allowedFolders?: string[] | undefined;
  },
) {
  const row = await findConnection(scope, input.name);
  const allowedFolderIds = await allowedFoldersAfter(scope, row.allowedFolderIds, input.allowedFolders);
  const stored = splitStored(row.config);
  const { plain, secretChanges } = checkConfig(row.type, input.config ?? {}, stored);
  const changedSecrets = Object.keys(secretChanges);

  let secretCiphertext = row.secretCiphertext;
  let secretFields = stored.secretFields;
  if (changedSecrets.length > 0) {
    const keyring = processKeyring();
    const aad = connectionAad(scope.workspace.id, row.name);
    const secrets: Record<string, string> = row.secretCiphertext
      ? (JSON.parse(decryptSecret(keyring, row.secretCiphertext, aad)) as Record<string, string>)
      : {};
    for (const [field, value] of Object.entries(secretChanges)) {
      if (value === null) delete secrets[field];
      else secrets[field] = value;
    }
    secretFields = Object.keys(secrets);
    secretCiphertext = secretFields.length > 0 ? encryptSecret(keyring, JSON.stringify(secrets), aad) : null;
  }

  // Only if nobody changed it since it was read, so a concurrent update is not silently undone.
  const { count } = await scope.db.connection.updateMany({
    where: { name: row.name, updatedAt: row.updatedAt },
    data: {
      config: storedConfig(plain, secretFields),
      secretCiphertext,
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(allowedFolderIds ? { allowedFolderIds } : {}),
    },
  });
  if (count === 0) {
    throw new AppError(
      "CONFLICT",
      "The connection was changed by someone else meanwhile; reload it and try again",
    );
  }
  await scope.audit("connection.update", row.name, {
    type: row.type,
    fields: Object.keys(input.config ?? {}).filter((f) => !(f in connectionDefinitions[row.type].secrets)),
    secretFields: changedSecrets,
    ...(input.allowedFolders !== undefined ? { allowedFolders: input.allowedFolders } : {}),
  });
  return getConnection(scope, row.name);
}

export async function deleteConnection(scope: WorkspaceScope, name: string) {
  const { count } = await scope.db.connection.deleteMany({ where: { name } });
  if (count === 0) throw notFound("Connection");
  await scope.audit("connection.delete", name);
}

/**
 * Every field of a connection, secret ones decrypted, for the engine at execution time only: the
 * answer must never be stored or logged (mask `secretValues` in logs).
 */
export async function loadConnectionForExecution(
  scope: WorkspaceScope,
  name: string,
  /** The folder of the DAG it runs for: a connection it may not use (usableBy) is unknown to it. */
  dag: { folderId: string | null },
) {
  const row = await scope.db.connection.findFirst({ where: { name, ...usableBy(dag.folderId) }, select });
  if (!row) throw notFound("Connection");
  const { plain } = splitStored(row.config);
  const secrets: Record<string, string> = row.secretCiphertext
    ? (JSON.parse(
        decryptSecret(processKeyring(), row.secretCiphertext, connectionAad(scope.workspace.id, row.name)),
      ) as Record<string, string>)
    : {};
  return {
    name: row.name,
    type: row.type,
    fields: { ...plain, ...secrets },
    secretValues: Object.values(secrets),
  };
}
