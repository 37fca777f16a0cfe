// Workspace variables: key → JSON value, read by templates as {{ vars.key }} and by DAG validation
// (a template naming an unknown variable is a problem). Not secret: values are shown to readers.
// Audit events name the key, never the value.

import { z } from "zod";
import { Prisma } from "@/prisma/generated/client";
import { AppError, notFound } from "@/server/errors";
import { inFolder } from "@/server/folders/service";
import { resourceName } from "@/server/operators/types";
import { keyset, type PageInput } from "@/server/pagination";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { jsonValue } from "@/server/validation";

/** Largest value stored, as JSON text. */
export const MAX_VARIABLE_BYTES = 65_536;

export const variableKey = resourceName;
export const variableDescription = z.string().max(1000, "Descriptions are at most 1000 characters");
export const variableValue = jsonValue
  .refine((value) => value !== null, "Must not be null; delete the variable instead")
  .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= MAX_VARIABLE_BYTES, {
    message: `Must be at most ${MAX_VARIABLE_BYTES} bytes as JSON`,
  });

const select = { key: true, value: true, description: true, createdAt: true, updatedAt: true } as const;

const variablesOrder = keyset([["key", "asc"]]);

export function listVariables(scope: WorkspaceScope, input: PageInput) {
  return variablesOrder.page(input, (query) => scope.db.variable.findMany({ ...query, select }));
}

export async function getVariable(scope: WorkspaceScope, key: string) {
  const variable = await scope.db.variable.findFirst({ where: { key }, select });
  if (!variable) throw notFound("Variable");
  return variable;
}

export async function createVariable(
  scope: WorkspaceScope,
  input: {
    key: string;
    value: Prisma.InputJsonValue;
    description?: string | undefined;
    folder?: string | undefined;
  },
) {
  try {
    const created = await scope.db.variable.create({
      data: {
        workspaceId: scope.workspace.id,
        ...(await inFolder(scope, input.folder)),
        key: input.key,
        value: input.value,
        description: input.description ?? "",
      },
      select,
    });
    await scope.audit("variable.create", input.key);
    return created;
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new AppError("CONFLICT", `A variable named "${input.key}" already exists`, [
        { path: "key", message: "Already exists; update it instead" },
      ]);
    }
    throw error;
  }
}

/** Changes the value and/or description; fields left out keep their stored values. */
export async function updateVariable(
  scope: WorkspaceScope,
  input: { key: string; value?: Prisma.InputJsonValue | undefined; description?: string | undefined },
) {
  const { count } = await scope.db.variable.updateMany({
    where: { key: input.key },
    data: {
      ...(input.value !== undefined ? { value: input.value } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
    },
  });
  if (count === 0) throw notFound("Variable");
  await scope.audit("variable.update", input.key, {
    fields: [
      ...(input.value !== undefined ? ["value"] : []),
      ...(input.description !== undefined ? ["description"] : []),
    ],
  });
  return getVariable(scope, input.key);
}

export async function deleteVariable(scope: WorkspaceScope, key: string) {
  const { count } = await scope.db.variable.deleteMany({ where: { key } });
  if (count === 0) throw notFound("Variable");
  await scope.audit("variable.delete", key);
}
