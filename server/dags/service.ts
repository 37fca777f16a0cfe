// DAGs of a workspace as stored: pushing a document makes a new immutable version (or none when
// nothing changed), and the Dag row points at the current one. Also versions, diffs, restores,
// pause and archive, and the analysis with durations measured from past attempts.
//
// DAGs are addressed by their document id (`dagId`, the `key` column), which is unique per
// workspace; the row's uuid stays internal. Every query goes through the workspace scope.
//
// Archived DAGs: hidden from the list unless asked for, still readable by id, paused on archive
// (so nothing schedules them), and refused as push or restore targets until unarchived: pushing a
// file to an archived id is more likely a mistake than an intent to bring it back.

import { createHash } from "node:crypto";
import { Prisma } from "@/prisma/generated/client";
import { AppError, notFound } from "@/server/errors";
import { folderByName, inFolder } from "@/server/folders/service";
import { checkQuotaAlerts } from "@/server/notifications/quota-alerts";
import { operatorCatalog } from "@/server/operators/catalog";
import { keyset, type Page, type PageInput } from "@/server/pagination";
import { quotaReached, RAISE_ADVICE } from "@/server/quotas/limits";
import { refreshNextRunAt } from "@/server/schedules/next-run";
import { actorId, lockWorkspaceQuotas, type ScopedTx, type WorkspaceScope } from "@/server/tenancy/door";
import { isUsableBy, reachOf } from "@/server/tenancy/folders";
import { forgetWebhookEndpoints } from "@/server/webhooks/endpoint-cache";
import { analyzeDag, type DagAnalysis } from "./analyze";
import type { DagDefinition, Schedule } from "./definition";
import { type DagDiff, diffDags } from "./diff";
import { type DagFormat, parseDagText } from "./serialize";
import { type Problem, type ValidationResult, validateDag } from "./validate";

/** Estimated duration of a task without history or an author's estimate. */
export const DEFAULT_ESTIMATE_MS = 60_000;
/** Successful attempts per task whose median becomes its estimate. */
const HISTORY_ATTEMPTS = 20;
/** Upper bound on attempts read for estimates, whatever the DAG's size. */
const HISTORY_ROWS_MAX = 50_000;

// ---------------------------------------------------------------------------------------------
// Shapes answered to callers

export interface DagSummary {
  dagId: string;
  title: string | null;
  description: string | null;
  tags: string[];
  owner: string | null;
  paused: boolean;
  archived: boolean;
  archivedAt: Date | null;
  schedule: Schedule | null;
  nextRunAt: Date | null;
  /** Why the schedule stopped (its next run time cannot be computed); null while it works. */
  scheduleError: string | null;
  /** Number of the current version (null only for a DAG whose first push is in flight). */
  currentVersion: number | null;
  /** The folder holding it (null: the workspace root). */
  folder: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface VersionInfo {
  number: number;
  hash: string;
  message: string;
  authorLabel: string;
  createdAt: Date;
  current: boolean;
}

export interface PushResult {
  dagId: string;
  version: number;
  hash: string;
  /** The first version of a new DAG. */
  created: boolean;
  /** Identical to the current version: nothing was stored. */
  unchanged: boolean;
}

/** An analysis as plain data (the rank map becomes an object), with where each estimate came from. */
export interface AnalysisView extends Omit<DagAnalysis, "upwardRank"> {
  upwardRank: Record<string, number>;
  estimates: Record<string, { ms: number; source: "history" | "document" | "default"; samples: number }>;
}

const dagSelect = {
  id: true,
  key: true,
  title: true,
  description: true,
  tags: true,
  owner: true,
  paused: true,
  archivedAt: true,
  schedule: true,
  nextRunAt: true,
  scheduleError: true,
  currentVersionId: true,
  folder: { select: { name: true } },
  createdAt: true,
  updatedAt: true,
} as const;

type DagRow = Prisma.DagGetPayload<{ select: typeof dagSelect }>;

function summary(row: DagRow, currentVersion: number | null): DagSummary {
  return {
    dagId: row.key,
    title: row.title,
    description: row.description,
    tags: row.tags,
    owner: row.owner,
    paused: row.paused,
    archived: row.archivedAt !== null,
    archivedAt: row.archivedAt,
    schedule: (row.schedule ?? null) as DagSummary["schedule"],
    nextRunAt: row.nextRunAt,
    scheduleError: row.scheduleError,
    currentVersion,
    folder: row.folder?.name ?? null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

// ---------------------------------------------------------------------------------------------
// Validation

/** The UNPROCESSABLE_CONTENT error of an invalid document, carrying every problem. */
export function invalidDocument(problems: Problem[]): AppError {
  const n = problems.length;
  return new AppError(
    "UNPROCESSABLE_CONTENT",
    `The DAG document has ${n} problem${n === 1 ? "" : "s"}`,
    problems,
  );
}

/** A document as an object, or as JSON or YAML text (`format` unset: text starting with `{` is JSON). */
export interface DocumentInput {
  document: unknown;
  format?: DagFormat | undefined;
  /** The id the document is saved as (the URL's, for REST); the document's `id` must equal it. */
  dagId?: string | undefined;
  /** The folder a new DAG goes in (by name; an existing DAG stays in its own). */
  folder?: string | undefined;
}

/**
 * Validates a document against this workspace: `{{ vars.x }}` must name an existing variable, and
 * when `dagId` is given the document's id must equal it.
 */
export async function validateForWorkspace(
  scope: WorkspaceScope,
  input: DocumentInput,
): Promise<ValidationResult> {
  let document = input.document;
  if (typeof document === "string") {
    const parsed = parseDagText(document, input.format);
    if (!parsed.ok) return { ok: false, problems: parsed.problems };
    document = parsed.document;
  }
  // What the DAG's folder reaches (tenancy/folders.ts): its variables are known, and the secrets and
  // connections that exist but it may not use are named as problems.
  const key = (document as { id?: unknown } | null)?.id;
  const existing =
    typeof key === "string"
      ? await scope.db.dag.findFirst({ where: { key }, select: { folderId: true } })
      : null;
  const folderId = existing ? existing.folderId : ((await inFolder(scope, input.folder)).folderId ?? null);
  const [variables, secrets, connections] = await Promise.all([
    scope.db.variable.findMany({ where: reachOf(folderId), select: { key: true } }),
    scope.db.secret.findMany({ select: { name: true, folderId: true, allowedFolderIds: true } }),
    scope.db.connection.findMany({ select: { name: true, folderId: true, allowedFolderIds: true } }),
  ]);
  const unusableNames = (rows: typeof secrets) =>
    new Set(rows.filter((row) => !isUsableBy(folderId, row)).map((row) => row.name));
  const unusable = { secrets: unusableNames(secrets), connections: unusableNames(connections) };
  const result = validateDag(document, { knownVariables: new Set(variables.map((v) => v.key)), unusable });
  if (result.ok) {
    const problems = unusableConnectionProblems(result.dag, unusable.connections);
    if (problems.length > 0) return { ok: false, problems };
  }
  const id = (document as { id?: unknown } | null)?.id;
  if (input.dagId !== undefined && typeof id === "string" && id !== input.dagId) {
    const mismatch = {
      path: "id",
      message: `must equal the DAG id it is saved as ("${input.dagId}"), not "${id}"`,
    };
    return { ok: false, problems: [mismatch, ...(result.ok ? [] : result.problems)] };
  }
  if (result.ok) {
    const problems = await planLimitProblems(scope, result.dag);
    if (problems.length > 0) return { ok: false, problems };
  }
  return result;
}

/** Tasks naming, in a connection field (http's `connection`…), a connection their DAG may not use. */
function unusableConnectionProblems(dag: DagDefinition, unusable: ReadonlySet<string>): Problem[] {
  if (unusable.size === 0) return [];
  return dag.tasks.flatMap((task, index) =>
    Object.keys(operatorCatalog.get(task.operator)?.connectionFields ?? {}).flatMap((field) => {
      const name = (task.config as Record<string, unknown>)[field];
      return typeof name === "string" && unusable.has(name)
        ? [
            {
              path: `tasks[${index}].config.${field}`,
              message: `connection "${name}" may not be used by this DAG's folder (see the connection's allowed folders)`,
            },
          ]
        : [];
    }),
  );
}

/**
 * What the workspace's plan refuses in a valid document: more tasks than its maxTasksPerDag, and
 * literal mapped lists (`map.over: [...]`) beyond its mapped-instance quotas. Known at push, so
 * refused there, naming the quota, rather than failing every run. (Lists known only at run time are
 * checked when the task expands: server/engine/advance.ts.)
 */
async function planLimitProblems(scope: WorkspaceScope, dag: DagDefinition): Promise<Problem[]> {
  const quotas = await scope.db.$transaction((tx) => lockWorkspaceQuotas(tx, scope.workspace.id));
  const problems: Problem[] = [];
  if (dag.tasks.length > quotas.maxTasksPerDag) {
    problems.push({
      path: "tasks",
      message: `has ${dag.tasks.length} tasks; this workspace's plan allows at most ${quotas.maxTasksPerDag} tasks per DAG (quota maxTasksPerDag): split it into DAGs that trigger one another, or ${RAISE_ADVICE}`,
    });
  }
  const literal = dag.tasks.flatMap((task, index) =>
    Array.isArray(task.map?.over) ? [{ index, count: task.map.over.length }] : [],
  );
  for (const { index, count } of literal) {
    if (count > quotas.maxMapInstancesPerTask) {
      problems.push({
        path: `tasks[${index}].map.over`,
        message: `has ${count} items; this workspace's plan allows at most ${quotas.maxMapInstancesPerTask} mapped instances per task (quota maxMapInstancesPerTask)`,
      });
    }
  }
  const total = literal.reduce((sum, { count }) => sum + count, 0);
  if (total > quotas.maxMapInstancesPerRun) {
    problems.push({
      path: "tasks",
      message: `the literal mapped lists have ${total} items together; this workspace's plan allows at most ${quotas.maxMapInstancesPerRun} mapped instances per run (quota maxMapInstancesPerRun)`,
    });
  }
  return problems;
}

/** What the editor asks as the author types: problems, or the normalised document and its analysis. */
export async function checkDocument(scope: WorkspaceScope, input: DocumentInput) {
  const result = await validateForWorkspace(scope, input);
  if (!result.ok) return { ok: false as const, problems: result.problems };
  const existing = await scope.db.dag.findFirst({ where: { key: result.dag.id }, select: { id: true } });
  const analysis = await analysisOf(scope, existing?.id, result.dag);
  return { ok: true as const, problems: [] as Problem[], document: result.dag, analysis };
}

// ---------------------------------------------------------------------------------------------
// Pushing versions

/** JSON with object keys sorted at every level: equal documents hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * Validates and stores a document as the DAG's next version (creating the DAG on its first push).
 * A document identical to the current version stores nothing and answers `unchanged: true`.
 * Throws UNPROCESSABLE_CONTENT with every problem when the document is invalid, and CONFLICT when
 * the DAG is archived.
 */
export async function pushDag(
  scope: WorkspaceScope,
  input: DocumentInput & {
    message?: string | undefined;
    /** The folder a new DAG goes in (left out: the workspace root); an existing DAG stays where it is. */
    folder?: string | undefined;
  } & Precondition,
): Promise<PushResult> {
  const result = await validateForWorkspace(scope, input);
  if (!result.ok) throw invalidDocument(result.problems);
  const folder = await inFolder(scope, input.folder);
  const pushed = await saveVersion(scope, result.dag, input.message ?? "", input, folder);
  // Webhook deliveries map their params by the new version from now on (this process's copy).
  if (!pushed.unchanged) forgetWebhookEndpoints(scope.workspace.id);
  if (!pushed.unchanged) {
    await refreshNextRunAt(scope, pushed.dagId);
    await scope.audit("dag.push", pushed.dagId, {
      version: pushed.version,
      created: pushed.created,
      message: input.message ?? "",
    });
  }
  if (pushed.created) await checkQuotaAlerts([scope.workspace.id]);
  return pushed;
}

/**
 * What the pusher believes the DAG is, so that two editors cannot overwrite each other silently
 * (HTTP's If-Match / If-None-Match, with the current version's hash as its entity tag).
 */
export interface Precondition {
  /** Push only if the current version's hash is one of these (`*`: only if the DAG exists). */
  ifMatch?: string | undefined;
  /** `*`: push only if the DAG does not exist yet. */
  ifNoneMatch?: string | undefined;
}

/** The entity tags of an If-Match / If-None-Match header: `*`, or the quoted (or bare) tags. */
function entityTags(header: string): "*" | string[] {
  if (header.trim() === "*") return "*";
  return header
    .split(",")
    .map((tag) =>
      tag
        .trim()
        .replace(/^W\//, "")
        .replace(/^"(.*)"$/, "$1"),
    )
    .filter(Boolean);
}

function checkPrecondition(
  dagId: string,
  precondition: Precondition,
  current: { number: number; hash: string } | null,
): void {
  const refuse = (message: string) =>
    new AppError("PRECONDITION_FAILED", message, [
      current
        ? { path: "ifMatch", message: `the current version is ${current.number} ("${current.hash}")` }
        : { path: "ifMatch", message: "the DAG does not exist" },
    ]);
  if (precondition.ifNoneMatch !== undefined && entityTags(precondition.ifNoneMatch) === "*" && current) {
    throw refuse(`DAG "${dagId}" exists already (If-None-Match: *)`);
  }
  if (precondition.ifMatch === undefined) return;
  const tags = entityTags(precondition.ifMatch);
  if (!current) throw refuse(`DAG "${dagId}" does not exist (If-Match)`);
  if (tags !== "*" && !tags.includes(current.hash)) {
    throw refuse(
      `DAG "${dagId}" changed since you read it: its current version is ${current.number}; read it again and merge your change`,
    );
  }
}

/** Another push of the same DAG committed while this one was saving; see saveVersion. */
class PushRaced extends Error {}

async function saveVersion(
  scope: WorkspaceScope,
  dag: DagDefinition,
  message: string,
  precondition: Precondition = {},
  folder: { folderId?: string } = {},
): Promise<PushResult> {
  // Through JSON once, so that what is hashed is exactly what is stored (no undefined keys).
  const definition = JSON.parse(JSON.stringify(dag)) as Prisma.InputJsonObject;
  const hash = sha256(canonicalJson(definition));
  // Two pushes racing for the same version number (or for creating the same DAG) collide on a
  // unique key; the loser retries against the winner's state.
  for (let attempt = 1; ; attempt++) {
    try {
      return await scope.db.$transaction(
        async (tx) => {
          const existing = await tx.dag.findFirst({
            where: { key: dag.id },
            select: { id: true, archivedAt: true, currentVersionId: true },
          });
          if (existing?.archivedAt) {
            throw new AppError(
              "CONFLICT",
              `DAG "${dag.id}" is archived; unarchive it before saving a new version`,
              [{ path: "id", message: "names an archived DAG" }],
            );
          }
          const current = existing?.currentVersionId
            ? await tx.dagVersion.findFirst({
                where: { id: existing.currentVersionId },
                select: { number: true, hash: true },
              })
            : null;
          // Checked against what this transaction read: a push racing in between either takes the
          // same version number (this one collides) or moves the DAG on before this one does (the
          // compare-and-set below); either way this one retries and checks the winner's version.
          checkPrecondition(dag.id, precondition, current);
          if (current?.hash === hash) {
            return { dagId: dag.id, version: current.number, hash, created: false, unchanged: true };
          }
          const fields = {
            title: dag.title ?? null,
            description: dag.description ?? null,
            tags: dag.tags,
            owner: dag.owner ?? null,
            schedule: dag.schedule ? (dag.schedule as Prisma.InputJsonObject) : Prisma.DbNull,
          };
          if (!existing) await assertRoomForDag(scope, tx);
          const dagRowId =
            existing?.id ??
            (
              await tx.dag.create({
                data: { workspaceId: scope.workspace.id, key: dag.id, ...folder, ...fields },
                select: { id: true },
              })
            ).id;
          const last = await tx.dagVersion.findFirst({
            where: { dagId: dagRowId },
            orderBy: { number: "desc" },
            select: { number: true },
          });
          const number = (last?.number ?? 0) + 1;
          const version = await tx.dagVersion.create({
            data: {
              workspaceId: scope.workspace.id,
              dagId: dagRowId,
              number,
              definition,
              hash,
              message,
              authorId: actorId(scope.actor),
              authorLabel: scope.actor.label,
            },
            select: { id: true },
          });
          // Compare-and-set: each statement reads afresh, so a push that committed after this one
          // read the DAG may have taken the version number before this one's (no collision). Then
          // the DAG's current version is no longer the one read: start over, and check the
          // precondition against the winner's version.
          const moved = await tx.dag.updateMany({
            where: { id: dagRowId, currentVersionId: existing?.currentVersionId ?? null },
            data: { ...fields, currentVersionId: version.id },
          });
          if (moved.count === 0) throw new PushRaced();
          return { dagId: dag.id, version: number, hash, created: !existing, unchanged: false };
          // A 20,000-task version is megabytes of JSON: writing it takes seconds on a busy machine,
          // past Prisma's default of 5 s for an interactive transaction.
        },
        { timeout: 120_000 },
      );
    } catch (error) {
      const raced = error instanceof PushRaced;
      const collided =
        raced || (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002");
      // A member acting through folder grants cannot see a DAG outside their folders: its id,
      // taken there, collides every time (a race would have let them see it on the retry).
      if (collided && !raced && scope.folders && attempt >= 2) {
        throw new AppError("CONFLICT", `The DAG id "${dag.id}" is taken outside your folders`, [
          { path: "id", message: "Choose another DAG id" },
        ]);
      }
      if (!collided || attempt >= 20) throw error;
      // Spread the retries of many racing pushes apart.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

/**
 * Refuses one more non-archived DAG beyond the workspace's maxDags (archived DAGs do not count),
 * counting under the Workspace row's lock so that concurrent pushes of new DAGs take turns.
 */
async function assertRoomForDag(scope: WorkspaceScope, tx: ScopedTx): Promise<void> {
  const quota = await lockWorkspaceQuotas(tx, scope.workspace.id);
  const used = await tx.dag.count({ where: { archivedAt: null } });
  if (used >= quota.maxDags) {
    throw quotaReached(
      "maxDags",
      { used, limit: quota.maxDags, noun: "DAGs" },
      "Archive a DAG it no longer needs, or ask for a larger plan; new versions of existing DAGs are still accepted.",
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

async function findDag(scope: WorkspaceScope, dagId: string): Promise<DagRow> {
  const row = await scope.db.dag.findFirst({ where: { key: dagId }, select: dagSelect });
  if (!row) throw notFound("DAG");
  return row;
}

async function findVersion(scope: WorkspaceScope, dagRowId: string, number: number) {
  const version = await scope.db.dagVersion.findFirst({
    where: { dagId: dagRowId, number },
    select: {
      id: true,
      number: true,
      hash: true,
      message: true,
      authorLabel: true,
      createdAt: true,
      definition: true,
    },
  });
  if (!version) throw notFound("DAG version");
  return version;
}

async function currentVersionOf(scope: WorkspaceScope, row: DagRow) {
  const version = row.currentVersionId
    ? await scope.db.dagVersion.findFirst({
        where: { id: row.currentVersionId },
        select: {
          id: true,
          number: true,
          hash: true,
          message: true,
          authorLabel: true,
          createdAt: true,
          definition: true,
        },
      })
    : null;
  if (!version) throw notFound("DAG version");
  return version;
}

const dagsOrder = keyset([["key", "asc"]]);

/** DAGs by id. */
export async function listDags(
  scope: WorkspaceScope,
  input: PageInput & {
    includeArchived?: boolean;
    tag?: string | undefined;
    /** Only the DAGs of this folder (by name; null: those at the workspace root). */
    folder?: string | null | undefined;
  },
): Promise<Page<DagSummary>> {
  const folder =
    input.folder === undefined
      ? {}
      : { folderId: input.folder === null ? null : (await folderByName(scope, input.folder)).id };
  const page = await dagsOrder.page(input, ({ where, ...query }) =>
    scope.db.dag.findMany({
      ...query,
      where: {
        ...(input.includeArchived ? {} : { archivedAt: null }),
        ...(input.tag ? { tags: { has: input.tag } } : {}),
        ...folder,
        ...where,
      },
      select: dagSelect,
    }),
  );
  const versionIds = page.items.flatMap((row) => (row.currentVersionId ? [row.currentVersionId] : []));
  const versions = await scope.db.dagVersion.findMany({
    where: { id: { in: versionIds } },
    select: { id: true, number: true },
  });
  const numbers = new Map(versions.map((v) => [v.id, v.number]));
  return {
    ...page,
    items: page.items.map((row) =>
      summary(row, row.currentVersionId ? (numbers.get(row.currentVersionId) ?? null) : null),
    ),
  };
}

/** The DAG, its current version's document and metadata, and its analysis. */
export async function getDag(scope: WorkspaceScope, dagId: string) {
  const row = await findDag(scope, dagId);
  const version = await currentVersionOf(scope, row);
  const document = version.definition as unknown as DagDefinition;
  return {
    ...summary(row, version.number),
    version: versionInfo(version, version.id),
    document,
    analysis: await analysisOf(scope, row.id, document),
  };
}

function versionInfo(
  version: {
    id: string;
    number: number;
    hash: string;
    message: string;
    authorLabel: string;
    createdAt: Date;
  },
  currentVersionId: string | null,
): VersionInfo {
  return {
    number: version.number,
    hash: version.hash,
    message: version.message,
    authorLabel: version.authorLabel,
    createdAt: version.createdAt,
    current: version.id === currentVersionId,
  };
}

const versionsOrder = keyset([["number", "desc", "int"]]);

/** Versions, newest first. */
export async function listVersions(scope: WorkspaceScope, input: PageInput & { dagId: string }) {
  const row = await findDag(scope, input.dagId);
  const page = await versionsOrder.page(
    input,
    ({ where, ...query }) =>
      scope.db.dagVersion.findMany({
        ...query,
        where: { dagId: row.id, ...where },
        select: { id: true, number: true, hash: true, message: true, authorLabel: true, createdAt: true },
      }),
    (v) => versionInfo(v, row.currentVersionId),
  );
  return { ...page, dagId: row.key };
}

export async function getVersion(scope: WorkspaceScope, input: { dagId: string; number: number }) {
  const row = await findDag(scope, input.dagId);
  const version = await findVersion(scope, row.id, input.number);
  return {
    dagId: row.key,
    ...versionInfo(version, row.currentVersionId),
    document: version.definition as unknown as DagDefinition,
  };
}

/** What changed from version `from` to version `to` (either may be the older). */
export async function diffVersions(
  scope: WorkspaceScope,
  input: { dagId: string; from: number; to: number },
): Promise<DagDiff & { dagId: string; from: number; to: number }> {
  const row = await findDag(scope, input.dagId);
  const [a, b] = await Promise.all([
    findVersion(scope, row.id, input.from),
    findVersion(scope, row.id, input.to),
  ]);
  const diff = diffDags(a.definition as unknown as DagDefinition, b.definition as unknown as DagDefinition);
  return { dagId: row.key, from: a.number, to: b.number, ...diff };
}

// ---------------------------------------------------------------------------------------------
// Changing

/**
 * Saves an old version's document as a new version (validated again against today's rules and
 * variables). Restoring what is already current changes nothing and answers `unchanged: true`.
 */
export async function restoreVersion(
  scope: WorkspaceScope,
  input: { dagId: string; number: number; message?: string | undefined },
): Promise<PushResult & { restoredFrom: number }> {
  const row = await findDag(scope, input.dagId);
  const old = await findVersion(scope, row.id, input.number);
  const result = await validateForWorkspace(scope, { document: old.definition, dagId: row.key });
  if (!result.ok) throw invalidDocument(result.problems);
  const message = input.message || `Restore version ${old.number}`;
  const pushed = await saveVersion(scope, result.dag, message);
  if (!pushed.unchanged) forgetWebhookEndpoints(scope.workspace.id);
  if (!pushed.unchanged) {
    await refreshNextRunAt(scope, pushed.dagId);
    await scope.audit("dag.restore", row.key, { version: pushed.version, restoredFrom: old.number, message });
  }
  return { ...pushed, restoredFrom: old.number };
}

async function updateDag(scope: WorkspaceScope, dagId: string, data: Prisma.DagUpdateManyMutationInput) {
  const row = await findDag(scope, dagId);
  const updated = await scope.db.dag.update({ where: { id: row.id }, data, select: dagSelect });
  forgetWebhookEndpoints(scope.workspace.id); // archived or not: webhook deliveries answer it at once
  // Pause, unpause, archive, unarchive: the scheduler's next run follows.
  Object.assign(updated, await refreshNextRunAt(scope, updated.key));
  const current = updated.currentVersionId ? await currentVersionOf(scope, updated) : null;
  return summary(updated, current?.number ?? null);
}

/** Pauses or unpauses; an archived DAG stays paused until it is unarchived. */
export async function setPaused(scope: WorkspaceScope, input: { dagId: string; paused: boolean }) {
  if (!input.paused) {
    const row = await findDag(scope, input.dagId);
    if (row.archivedAt) {
      throw new AppError("CONFLICT", `DAG "${row.key}" is archived; unarchive it before unpausing it`);
    }
  }
  const dag = await updateDag(scope, input.dagId, { paused: input.paused });
  await scope.audit(input.paused ? "dag.pause" : "dag.unpause", dag.dagId);
  return dag;
}

/** Hides the DAG from the list and pauses it; its versions and runs stay. */
export async function archiveDag(scope: WorkspaceScope, dagId: string) {
  const dag = await updateDag(scope, dagId, { archivedAt: new Date(), paused: true });
  await scope.audit("dag.archive", dag.dagId);
  return dag;
}

/**
 * Brings an archived DAG back, still paused: unpausing is a separate decision. It counts again
 * towards maxDags, so it is refused when the workspace is at its limit.
 */
export async function unarchiveDag(scope: WorkspaceScope, dagId: string) {
  await scope.db.$transaction(async (tx) => {
    const row = await tx.dag.findFirst({ where: { key: dagId }, select: { id: true, archivedAt: true } });
    if (!row) throw notFound("DAG");
    if (!row.archivedAt) return;
    await assertRoomForDag(scope, tx);
    await tx.dag.update({ where: { id: row.id }, data: { archivedAt: null } });
  });
  const dag = await updateDag(scope, dagId, {});
  await scope.audit("dag.unarchive", dag.dagId);
  return dag;
}

// ---------------------------------------------------------------------------------------------
// Analysis

/** The analysis of the current version (or version `number`), with measured estimates. */
export async function analyzeDagById(
  scope: WorkspaceScope,
  input: { dagId: string; number?: number | undefined },
): Promise<AnalysisView & { dagId: string; version: number }> {
  const row = await findDag(scope, input.dagId);
  const version =
    input.number === undefined
      ? await currentVersionOf(scope, row)
      : await findVersion(scope, row.id, input.number);
  const analysis = await analysisOf(scope, row.id, version.definition as unknown as DagDefinition);
  return { dagId: row.key, version: version.number, ...analysis };
}

/**
 * Estimates per task: the median duration of its last successful attempts in this DAG's runs,
 * else the document's estimatedDurationSeconds, else DEFAULT_ESTIMATE_MS.
 */
async function analysisOf(
  scope: WorkspaceScope,
  dagRowId: string | undefined,
  dag: DagDefinition,
): Promise<AnalysisView> {
  const measured = dagRowId
    ? await measuredDurations(scope, dagRowId, dag.tasks.length)
    : new Map<string, number[]>();
  const estimates: AnalysisView["estimates"] = {};
  const medians = new Map<string, number>();
  for (const task of dag.tasks) {
    const samples = measured.get(task.id);
    if (samples && samples.length > 0) {
      const ms = median(samples);
      medians.set(task.id, ms);
      estimates[task.id] = { ms, source: "history", samples: samples.length };
    } else if (task.estimatedDurationSeconds !== undefined) {
      estimates[task.id] = { ms: task.estimatedDurationSeconds * 1000, source: "document", samples: 0 };
    } else {
      estimates[task.id] = { ms: DEFAULT_ESTIMATE_MS, source: "default", samples: 0 };
    }
  }
  const analysis = analyzeDag(dag, { estimates: medians, defaultEstimateMs: DEFAULT_ESTIMATE_MS });
  return { ...analysis, upwardRank: Object.fromEntries(analysis.upwardRank), estimates };
}

/** Durations (ms) of the most recent successful attempts, up to HISTORY_ATTEMPTS per task id. */
async function measuredDurations(scope: WorkspaceScope, dagRowId: string, taskCount: number) {
  const attempts = await scope.db.taskAttempt.findMany({
    where: { state: "success", endedAt: { not: null }, taskInstance: { run: { dagId: dagRowId } } },
    select: { startedAt: true, endedAt: true, taskInstance: { select: { taskId: true } } },
    orderBy: { endedAt: "desc" },
    take: Math.min(Math.max(taskCount, 1) * HISTORY_ATTEMPTS, HISTORY_ROWS_MAX),
  });
  const byTask = new Map<string, number[]>();
  for (const attempt of attempts) {
    const list = byTask.get(attempt.taskInstance.taskId) ?? [];
    if (list.length >= HISTORY_ATTEMPTS) continue;
    list.push(Math.max(0, attempt.endedAt!.getTime() - attempt.startedAt.getTime()));
    byTask.set(attempt.taskInstance.taskId, list);
  }
  return byTask;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
