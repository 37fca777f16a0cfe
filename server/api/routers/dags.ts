// DAGs: push (save a new version), validate as the author types, read, version history, diff,
// restore, pause and archive. `dagId` is the id written in the document.
import { z } from "zod";
import { dagIdPattern } from "@/server/dags/definition";
import {
  analyzeDagById,
  archiveDag,
  checkDocument,
  diffVersions,
  getDag,
  getVersion,
  listDags,
  listVersions,
  pushDag,
  restoreVersion,
  setPaused,
  unarchiveDag,
} from "@/server/dags/service";
import { pageInput } from "@/server/pagination";
import {
  dagDetail,
  dagDiff,
  dagPage,
  dagSchema,
  dagVersionDetail,
  dagVersionPage,
  pushResult,
  restoreResult,
  validation,
  versionAnalysis,
} from "../schemas/dags";
import { folderName } from "../schemas/folders";
import { router, workspaceProcedure } from "../trpc";

const dagId = z.string().regex(dagIdPattern, "Not a DAG id (a-z, 0-9, _ and -, starting with a letter)");
/** Path parameters arrive as text over REST. */
const versionNumber = z.coerce.number().int("Must be a whole number").min(1, "Versions start at 1");
/** Query strings carry "true"/"false". */
const flag = z.union([z.boolean(), z.stringbool()]);
const message = z.string().max(2000, "Messages are at most 2000 characters");
/** A DAG document as an object, or its JSON or YAML text. */
const document = z.unknown().refine((value) => value !== undefined, "Send the DAG document");
/** HTTP entity tags: `*`, or quoted version hashes separated by commas. */
const entityTags = z.string().min(1).max(1000);
/** How to read a document sent as text; by default, text starting with `{` is JSON and the rest YAML. */
const format = z.enum(["json", "yaml"]).optional();

export const dagsRouter = router({
  list: workspaceProcedure("workspace:read", "scoped")
    .input(
      z.object({
        includeArchived: flag.default(false),
        tag: z.string().max(50).optional(),
        /** Only the DAGs of this folder; null: those at the workspace root. */
        folder: folderName.nullable().optional(),
        ...pageInput,
      }),
    )
    .output(dagPage)
    .query(({ ctx, input }) => listDags(ctx.scope, input)),
  get: workspaceProcedure("workspace:read", "dag")
    .input(z.object({ dagId }))
    .output(dagDetail)
    .query(({ ctx, input }) => getDag(ctx.scope, input.dagId)),
  push: workspaceProcedure("dags:write", "scoped")
    .input(
      z.object({
        document,
        format,
        message: message.optional(),
        dagId: dagId.optional(),
        /** The folder a new DAG goes in (left out: the workspace root); an existing one stays put. */
        folder: folderName.optional(),
        /** The hash (entity tag) of the version the change was made on; refused if it is not current. */
        ifMatch: entityTags.optional(),
        /** "*": only create; refused if the DAG exists. */
        ifNoneMatch: entityTags.optional(),
      }),
    )
    .output(pushResult)
    .mutation(({ ctx, input }) => pushDag(ctx.scope, input)),
  validate: workspaceProcedure("workspace:read", "scoped")
    .input(z.object({ document, format, dagId: dagId.optional() }))
    .output(validation)
    .mutation(({ ctx, input }) => checkDocument(ctx.scope, input)),
  versions: workspaceProcedure("workspace:read", "dag")
    .input(z.object({ dagId, ...pageInput }))
    .output(dagVersionPage)
    .query(({ ctx, input }) => listVersions(ctx.scope, input)),
  version: workspaceProcedure("workspace:read", "dag")
    .input(z.object({ dagId, number: versionNumber }))
    .output(dagVersionDetail)
    .query(({ ctx, input }) => getVersion(ctx.scope, input)),
  diff: workspaceProcedure("workspace:read", "dag")
    .input(z.object({ dagId, from: versionNumber, to: versionNumber }))
    .output(dagDiff)
    .query(({ ctx, input }) => diffVersions(ctx.scope, input)),
  restore: workspaceProcedure("dags:write", "dag")
    .input(z.object({ dagId, number: versionNumber, message: message.optional() }))
    .output(restoreResult)
    .mutation(({ ctx, input }) => restoreVersion(ctx.scope, input)),
  setPaused: workspaceProcedure("dags:write", "dag")
    .input(z.object({ dagId, paused: z.boolean() }))
    .output(dagSchema)
    .mutation(({ ctx, input }) => setPaused(ctx.scope, input)),
  archive: workspaceProcedure("dags:write", "dag")
    .input(z.object({ dagId }))
    .output(dagSchema)
    .mutation(({ ctx, input }) => archiveDag(ctx.scope, input.dagId)),
  unarchive: workspaceProcedure("dags:write", "dag")
    .input(z.object({ dagId }))
    .output(dagSchema)
    .mutation(({ ctx, input }) => unarchiveDag(ctx.scope, input.dagId)),
  analysis: workspaceProcedure("workspace:read", "dag")
    .input(z.object({ dagId, number: versionNumber.optional() }))
    .output(versionAnalysis)
    .query(({ ctx, input }) => analyzeDagById(ctx.scope, input)),
});
