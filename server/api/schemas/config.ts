// Answers of the variables, secrets and connections procedures. No answer holds a secret value.
import { z } from "zod";
import { ConnectionType } from "@/prisma/generated/enums";
import { SECRET_MASK } from "@/server/config/secrets";
import { pageOf } from "@/server/pagination";
import { storedJson, timestamp } from "./common";

const allowedFolders = z
  .array(z.string())
  .describe(
    "Folders whose DAGs may use it beside its own folder's (empty: its own folder's DAGs, or every DAG when it is at the workspace root)",
  );

export const variableSchema = z
  .object({
    key: z.string(),
    value: storedJson,
    description: z.string(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "Variable", description: "A workspace variable: templates read it as {{ vars.<key> }}" });
export const variablePage = pageOf(variableSchema);

export const secretSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    value: z.string().describe(`Always the mask ${SECRET_MASK}: no answer holds a secret's value`),
    keyVersion: z.number().int().nullable().describe("Version of the master key that encrypts it"),
    allowedFolders: allowedFolders,
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({
    id: "Secret",
    description: "A secret, without its value: templates read it as {{ secrets.<name> }}",
  });
export const secretPage = pageOf(secretSchema);

export const connectionSchema = z
  .object({
    name: z.string(),
    type: z.enum(ConnectionType),
    description: z.string(),
    config: z
      .record(z.string(), z.unknown())
      .describe("Plain fields as stored; secret fields that are set show the mask ••••••••"),
    secretFields: z
      .record(z.string(), z.boolean())
      .describe("The type's secret fields and whether each is set"),
    keyVersion: z.number().int().nullable(),
    allowedFolders: allowedFolders,
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "Connection", description: "A typed connection; secret fields masked" });
export const connectionPage = pageOf(connectionSchema);
