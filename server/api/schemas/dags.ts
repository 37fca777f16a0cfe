// Answers of the DAG procedures. Stored documents are passed through as stored (documented as the
// component DagDocument, the format of docs/dag-format.md, with defaults filled in).
import { z } from "zod";
import type { DagDefinition } from "@/server/dags/definition";
import { dagDocumentSchema } from "@/server/dags/json-schema";
import { pageOf } from "@/server/pagination";
import { problem, timestamp, trusted } from "./common";

export const storedDocument = trusted<DagDefinition>(dagDocumentSchema);

export const scheduleOutput = z
  .discriminatedUnion("type", [
    z.object({
      type: z.literal("cron"),
      cron: z.string(),
      timezone: z.string().describe("IANA time zone the expression is read in"),
    }),
    z.object({ type: z.literal("interval"), every: z.string().describe('A duration: "15m", "1h30m", "1d"') }),
  ])
  .meta({ id: "Schedule", description: "When runs are created" });

export const dagSchema = z
  .object({
    dagId: z.string().describe("The id written in the document"),
    title: z.string().nullable(),
    description: z.string().nullable(),
    tags: z.array(z.string()),
    owner: z.string().nullable(),
    paused: z.boolean(),
    archived: z.boolean(),
    archivedAt: timestamp.nullable(),
    schedule: scheduleOutput.nullable().describe("null: manual, API and trigger runs only"),
    scheduleError: z.string().nullable().describe("Why the schedule cannot be computed, when it cannot"),
    nextRunAt: timestamp.nullable(),
    currentVersion: z
      .number()
      .int()
      .nullable()
      .describe("Number of the current version (null only while the first push is in flight)"),
    folder: z.string().nullable().describe("The folder holding it (null: the workspace root)"),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "Dag", description: "A DAG: the latest version's metadata and its state" });
export const dagPage = pageOf(dagSchema);

const versionFields = {
  number: z.number().int(),
  hash: z.string().describe("SHA-256 of the normalised document"),
  message: z.string(),
  authorLabel: z.string(),
  createdAt: timestamp,
  current: z.boolean().describe("Whether it is the DAG's current version"),
};
export const dagVersionSchema = z
  .object(versionFields)
  .meta({ id: "DagVersion", description: "One immutable, numbered version of a DAG" });
export const dagVersionPage = pageOf(dagVersionSchema, { dagId: z.string() });

export const dagVersionDetail = z
  .object({ dagId: z.string(), ...versionFields, document: storedDocument })
  .meta({ id: "DagVersionDetail", description: "A version with its document" });

export const analysisFields = {
  levels: z.array(z.array(z.string())).describe("Level 0: tasks without dependencies; each level one deeper"),
  maxWidth: z.number().int().describe("The most tasks in one level"),
  criticalPath: z.array(z.string()).describe("The chain with the largest total duration, upstream first"),
  criticalPathMs: z.number(),
  upwardRank: z
    .record(z.string(), z.number())
    .describe("Per task: time from its start to the DAG's end (ms)"),
  rankOrder: z.array(z.string()).describe("Tasks by decreasing upward rank"),
  estimates: z
    .record(
      z.string(),
      z.object({
        ms: z.number(),
        source: z.enum(["history", "document", "default"]),
        samples: z.number().int(),
      }),
    )
    .describe("Per task: the duration used and where it came from"),
};
export const dagAnalysis = z
  .object(analysisFields)
  .meta({ id: "DagAnalysis", description: "Levels, width, critical path and ranks of a DAG version" });
export const versionAnalysis = z
  .object({ dagId: z.string(), version: z.number().int(), ...analysisFields })
  .meta({ id: "DagVersionAnalysis" });

export const dagDetail = z
  .object({
    ...dagSchema.shape,
    version: dagVersionSchema,
    document: storedDocument,
    analysis: dagAnalysis,
  })
  .meta({ id: "DagDetail", description: "A DAG with its current version's document and analysis" });

export const pushResult = z
  .object({
    dagId: z.string(),
    version: z.number().int().describe("The version now current"),
    hash: z.string(),
    created: z.boolean().describe("The first version of a new DAG"),
    unchanged: z.boolean().describe("Identical to the current version: nothing was stored"),
  })
  .meta({ id: "DagPushResult" });
export const restoreResult = z
  .object({ ...pushResult.shape, restoredFrom: z.number().int() })
  .meta({ id: "DagRestoreResult" });

export const validation = z
  .discriminatedUnion("ok", [
    z.object({ ok: z.literal(false), problems: z.array(problem) }),
    z.object({
      ok: z.literal(true),
      problems: z.array(problem).max(0),
      document: storedDocument.describe("The normalised document (defaults filled in)"),
      analysis: dagAnalysis,
    }),
  ])
  .meta({ id: "DagValidation", description: "Whether a document is valid, with every problem" });

export const dagDiff = z
  .object({
    dagId: z.string(),
    from: z.number().int(),
    to: z.number().int(),
    added: z.array(z.string()).describe("Task ids only in `to`"),
    removed: z.array(z.string()).describe("Task ids only in `from`"),
    changed: z.array(z.object({ taskId: z.string(), fields: z.array(z.string()) })),
    dagFields: z.array(z.string()).describe("DAG-level fields that differ"),
  })
  .meta({ id: "DagDiff", description: "What changed between two versions" });
