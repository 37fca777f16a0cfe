// Workspace configuration that DAGs reference: variables, secrets (write-only) and connections.
// Readers (config:read) list and view everything except secret values, which no procedure returns.
import { z } from "zod";
import type { Prisma } from "@/prisma/generated/client";
import {
  connectionDescription,
  connectionName,
  connectionTypes,
  createConnection,
  deleteConnection,
  getConnection,
  listConnections,
  updateConnection,
} from "@/server/config/connections";
import {
  createSecret,
  deleteSecret,
  listSecrets,
  secretName,
  secretValue,
  updateSecret,
} from "@/server/config/secrets";
import {
  createVariable,
  deleteVariable,
  getVariable,
  listVariables,
  updateVariable,
  variableDescription,
  variableKey,
  variableValue,
} from "@/server/config/variables";
import { pageInput } from "@/server/pagination";
import { nothing } from "../schemas/common";
import {
  connectionPage,
  connectionSchema,
  secretPage,
  secretSchema,
  variablePage,
  variableSchema,
} from "../schemas/config";
import { folderName } from "../schemas/folders";
import { router, workspaceProcedure } from "../trpc";

const value = variableValue as unknown as z.ZodType<Prisma.InputJsonValue>;
/** A connection's fields; checked against its type by the service (errors name `config.<field>`). */
const fields = z.record(z.string(), z.unknown());
/** The folder to create it in (left out: the workspace root). */
const folder = folderName.optional();
/** Folders whose DAGs may use a secret or connection beside its own folder's (docs/permissions.md). */
const allowedFolders = z.array(folderName).max(100, "At most 100 folders").optional();

export const variablesRouter = router({
  list: workspaceProcedure("config:read", "scoped")
    .input(z.object(pageInput))
    .output(variablePage)
    .query(({ ctx, input }) => listVariables(ctx.scope, input)),
  get: workspaceProcedure("config:read", "variable")
    .input(z.object({ key: variableKey }))
    .output(variableSchema)
    .query(({ ctx, input }) => getVariable(ctx.scope, input.key)),
  create: workspaceProcedure("config:write", "scoped")
    .input(z.object({ key: variableKey, value, description: variableDescription.optional(), folder }))
    .output(variableSchema)
    .mutation(({ ctx, input }) => createVariable(ctx.scope, input)),
  update: workspaceProcedure("config:write", "variable")
    .input(
      z.object({ key: variableKey, value: value.optional(), description: variableDescription.optional() }),
    )
    .output(variableSchema)
    .mutation(({ ctx, input }) => updateVariable(ctx.scope, input)),
  delete: workspaceProcedure("config:write", "variable")
    .input(z.object({ key: variableKey }))
    .output(nothing)
    .mutation(({ ctx, input }) => deleteVariable(ctx.scope, input.key)),
});

export const secretsRouter = router({
  list: workspaceProcedure("config:read", "scoped")
    .input(z.object(pageInput))
    .output(secretPage)
    .query(({ ctx, input }) => listSecrets(ctx.scope, input)),
  create: workspaceProcedure("config:write", "scoped")
    .input(
      z.object({
        name: secretName,
        value: secretValue,
        description: variableDescription.optional(),
        folder,
        allowedFolders,
      }),
    )
    .output(secretSchema)
    .mutation(({ ctx, input }) => createSecret(ctx.scope, input)),
  update: workspaceProcedure("config:write", "secret")
    .input(
      z.object({
        name: secretName,
        value: secretValue.optional(),
        description: variableDescription.optional(),
        allowedFolders,
      }),
    )
    .output(secretSchema)
    .mutation(({ ctx, input }) => updateSecret(ctx.scope, input)),
  delete: workspaceProcedure("config:write", "secret")
    .input(z.object({ name: secretName }))
    .output(nothing)
    .mutation(({ ctx, input }) => deleteSecret(ctx.scope, input.name)),
});

export const connectionsRouter = router({
  list: workspaceProcedure("config:read", "scoped")
    .input(z.object({ type: z.enum(connectionTypes).optional(), ...pageInput }))
    .output(connectionPage)
    .query(({ ctx, input }) => listConnections(ctx.scope, input)),
  get: workspaceProcedure("config:read", "connection")
    .input(z.object({ name: connectionName }))
    .output(connectionSchema)
    .query(({ ctx, input }) => getConnection(ctx.scope, input.name)),
  create: workspaceProcedure("config:write", "scoped")
    .input(
      z.object({
        name: connectionName,
        type: z.enum(connectionTypes, { error: `Type must be one of ${connectionTypes.join(", ")}` }),
        config: fields,
        description: connectionDescription.optional(),
        folder,
        allowedFolders,
      }),
    )
    .output(connectionSchema)
    .mutation(({ ctx, input }) => createConnection(ctx.scope, input)),
  update: workspaceProcedure("config:write", "connection")
    .input(
      z.object({
        name: connectionName,
        config: fields.optional(),
        description: connectionDescription.optional(),
        allowedFolders,
      }),
    )
    .output(connectionSchema)
    .mutation(({ ctx, input }) => updateConnection(ctx.scope, input)),
  delete: workspaceProcedure("config:write", "connection")
    .input(z.object({ name: connectionName }))
    .output(nothing)
    .mutation(({ ctx, input }) => deleteConnection(ctx.scope, input.name)),
});
