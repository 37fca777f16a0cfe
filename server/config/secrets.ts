// Workspace secrets: write-only values read by templates as {{ secrets.name }} at execution time.
// Stored AES-256-GCM encrypted (server/secrets), bound to `${workspaceId}:secret:${name}`. No
// function here returns a value: lists show the name, description, dates and a fixed mask, and
// audit events name the secret only. Decryption for execution lives in resolve.ts.

import { z } from "zod";
import { Prisma } from "@/prisma/generated/client";
import { AppError, notFound } from "@/server/errors";
import { allowedFoldersAfter, inFolder, withAllowedFolderNames } from "@/server/folders/service";
import { resourceName } from "@/server/operators/types";
import { keyset, type PageInput } from "@/server/pagination";
import { encryptSecret } from "@/server/secrets/crypto";
import { keyVersionOf, processKeyring, secretAad } from "@/server/secrets/keyring";
import type { WorkspaceScope } from "@/server/tenancy/door";

/** Shown in place of every secret value; its length says nothing about the value's. */
export const SECRET_MASK = "••••••••";
export const MAX_SECRET_BYTES = 65_536;

export const secretName = resourceName;
export const secretValue = z
  .string()
  .min(1, "Enter a value")
  .refine(
    (value) => Buffer.byteLength(value) <= MAX_SECRET_BYTES,
    `Must be at most ${MAX_SECRET_BYTES} bytes`,
  );

const select = {
  name: true,
  description: true,
  ciphertext: true,
  allowedFolderIds: true,
  createdAt: true,
  updatedAt: true,
} as const;

function present(row: Prisma.SecretGetPayload<{ select: typeof select }>) {
  return {
    name: row.name,
    description: row.description,
    value: SECRET_MASK,
    /** Which master key version encrypts it (a rotation moves every secret to the current one). */
    keyVersion: keyVersionOf(row.ciphertext) ?? null,
    allowedFolderIds: row.allowedFolderIds,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const secretsOrder = keyset([["name", "asc"]]);

export async function listSecrets(scope: WorkspaceScope, input: PageInput) {
  const page = await secretsOrder.page(
    input,
    (query) => scope.db.secret.findMany({ ...query, select }),
    present,
  );
  return { ...page, items: await withAllowedFolderNames(scope, page.items) };
}

const answer = async (scope: WorkspaceScope, row: Prisma.SecretGetPayload<{ select: typeof select }>) =>
  (await withAllowedFolderNames(scope, [present(row)]))[0]!;

export async function createSecret(
  scope: WorkspaceScope,
  input: {
    name: string;
    value: string;
    description?: string | undefined;
    folder?: string | undefined;
    /** Folders whose DAGs may use it beside its own (docs/permissions.md); by name. */
    allowedFolders?: string[] | undefined;
  },
) {
  const allowedFolderIds = (await allowedFoldersAfter(scope, [], input.allowedFolders)) ?? [];
  const ciphertext = encryptSecret(processKeyring(), input.value, secretAad(scope.workspace.id, input.name));
  try {
    const created = await scope.db.secret.create({
      data: {
        workspaceId: scope.workspace.id,
        ...(await inFolder(scope, input.folder)),
        name: input.name,
        ciphertext,
        description: input.description ?? "",
        allowedFolderIds,
      },
      select,
    });
    await scope.audit("secret.create", input.name, { allowedFolders: input.allowedFolders ?? [] });
    return answer(scope, created);
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new AppError("CONFLICT", `A secret named "${input.name}" already exists`, [
        { path: "name", message: "Already exists; update it instead" },
      ]);
    }
    throw error;
  }
}

/** Replaces the value and/or the description; what is left out is kept. */
export async function updateSecret(
  scope: WorkspaceScope,
  input: {
    name: string;
    value?: string | undefined;
    description?: string | undefined;
    allowedFolders?: string[] | undefined;
  },
) {
  const data: Prisma.SecretUpdateManyMutationInput = {};
  if (input.allowedFolders !== undefined) {
    const current = await scope.db.secret.findFirst({
      where: { name: input.name },
      select: { allowedFolderIds: true },
    });
    if (!current) throw notFound("Secret");
    data.allowedFolderIds = await allowedFoldersAfter(scope, current.allowedFolderIds, input.allowedFolders);
  }
  if (input.value !== undefined) {
    data.ciphertext = encryptSecret(processKeyring(), input.value, secretAad(scope.workspace.id, input.name));
  }
  if (input.description !== undefined) data.description = input.description;
  const { count } = await scope.db.secret.updateMany({ where: { name: input.name }, data });
  if (count === 0) throw notFound("Secret");
  await scope.audit("secret.update", input.name, {
    valueChanged: input.value !== undefined,
    ...(input.allowedFolders !== undefined ? { allowedFolders: input.allowedFolders } : {}),
  });
  const row = await scope.db.secret.findFirst({ where: { name: input.name }, select });
  if (!row) throw notFound("Secret");
  return answer(scope, row);
}

export async function deleteSecret(scope: WorkspaceScope, name: string) {
  const { count } = await scope.db.secret.deleteMany({ where: { name } });
  if (count === 0) throw notFound("Secret");
  await scope.audit("secret.delete", name);
}
