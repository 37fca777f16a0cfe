// Answers of the folder procedures.
import { z } from "zod";
import { timestamp } from "./common";
import { roleSchema } from "./workspace";

/** Folder names: what DAG pushes and configuration name (`folder`), like DAG ids. */
export const folderName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, "Folder names are 1 to 63 of a-z, 0-9, _ and -, starting with a letter");

export const folderSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    createdAt: timestamp,
    contents: z
      .object({
        dags: z.number().int(),
        variables: z.number().int(),
        secrets: z.number().int(),
        connections: z.number().int(),
      })
      .describe("How many of each it holds"),
  })
  .meta({ id: "Folder" });

export const folderAccessSchema = z
  .object({
    folder: z.object({ id: z.string(), name: z.string() }),
    grants: z.array(
      z.object({
        id: z.string(),
        role: roleSchema,
        memberId: z.string().nullable(),
        groupId: z.string().nullable(),
        grantee: z.string().describe("The member's address, or `group <name>`"),
      }),
    ),
    access: z
      .array(
        z.object({
          memberId: z.string(),
          email: z.string(),
          name: z.string(),
          role: roleSchema.describe(
            "What they may do in the folder: the highest of their workspace role and its grants",
          ),
          via: z.string().describe("Where that comes from, e.g. `folder grant via group on-call`"),
        }),
      )
      .describe("Every member who reaches the folder"),
  })
  .meta({ id: "FolderAccess" });

export const movedDag = z
  .object({ dagId: z.string(), folder: z.string().nullable() })
  .meta({ id: "MovedDag" });
