// A tenant's data on request: an export (a ZIP archive of its DAGs with every version, its runs'
// metadata, its variables, and its secrets by name only: secret values never leave) and erasure
// (the workspace and everything in it removed now, not after the deletion grace period). Both are
// recorded in the installation's audit log; an erased workspace's own log goes with it.
import { strToU8, zipSync } from "fflate";
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { systemScope } from "@/server/tenancy/door";
import { type PlatformAdmin, recordPlatformEvent } from "./audit";

/** At most this many runs (the newest) go into one export; the manifest says when there were more. */
export const EXPORT_MAX_RUNS = 100_000;

async function findWorkspace(slug: string) {
  const workspace = await db.workspace.findUnique({
    where: { slug },
    select: { id: true, slug: true, name: true, createdAt: true, planKey: true, deletedAt: true },
  });
  if (!workspace) throw new AppError("NOT_FOUND", `Workspace "${slug}" not found`);
  return workspace;
}

const json = (value: unknown) => strToU8(`${JSON.stringify(value, null, 2)}\n`);

/** The archive, base64 (it travels in a JSON answer): `manifest.json`, `dags.json`, `dags/<key>/v<n>.json`, `runs.json`, `variables.json`, `secrets.json`. */
export async function exportTenantData(admin: PlatformAdmin, input: { workspace: string }) {
  const workspace = await findWorkspace(input.workspace);
  const scope = await systemScope(workspace.id);
  const [dags, versions, runs, runCount, variables, secrets] = await Promise.all([
    scope.db.dag.findMany({
      select: {
        id: true,
        key: true,
        title: true,
        description: true,
        tags: true,
        owner: true,
        paused: true,
        archivedAt: true,
        currentVersionId: true,
      },
      orderBy: { key: "asc" },
    }),
    scope.db.dagVersion.findMany({
      select: {
        dagId: true,
        number: true,
        definition: true,
        hash: true,
        message: true,
        authorLabel: true,
        createdAt: true,
      },
      orderBy: [{ dagId: "asc" }, { number: "asc" }],
    }),
    scope.db.dagRun.findMany({
      select: {
        id: true,
        dagId: true,
        dagVersion: { select: { number: true } },
        runKey: true,
        state: true,
        triggeredBy: true,
        triggeredByLabel: true,
        note: true,
        params: true,
        logicalDate: true,
        queuedAt: true,
        startedAt: true,
        endedAt: true,
        stateReason: true,
      },
      orderBy: { queuedAt: "desc" },
      take: EXPORT_MAX_RUNS,
    }),
    scope.db.dagRun.count(),
    scope.db.variable.findMany({
      select: { key: true, value: true, description: true, updatedAt: true },
      orderBy: { key: "asc" },
    }),
    // Names only: a secret's value is what the export must never carry.
    scope.db.secret.findMany({ select: { name: true, description: true }, orderBy: { name: "asc" } }),
  ]);
  const keyOf = new Map(dags.map((d) => [d.id, d.key]));
  const files: Record<string, Uint8Array> = {
    "manifest.json": json({
      workspace: {
        slug: workspace.slug,
        name: workspace.name,
        createdAt: workspace.createdAt,
        plan: workspace.planKey,
      },
      exportedAt: new Date(),
      counts: {
        dags: dags.length,
        versions: versions.length,
        runs: runs.length,
        variables: variables.length,
        secrets: secrets.length,
      },
      /** More runs than one export holds: the newest are in runs.json. */
      runsTruncated: runCount > runs.length,
      secretValues: "not exported",
    }),
    "dags.json": json(dags.map(({ id: _id, currentVersionId: _current, ...d }) => d)),
    "runs.json": json(
      runs.map(({ dagId, dagVersion, ...run }) => ({
        dag: keyOf.get(dagId),
        version: dagVersion.number,
        ...run,
      })),
    ),
    "variables.json": json(variables),
    "secrets.json": json(secrets),
  };
  for (const version of versions) {
    const { dagId, ...rest } = version;
    files[`dags/${keyOf.get(dagId)}/v${version.number}.json`] = json(rest);
  }
  const archive = zipSync(files, { level: 6 });
  await db.$transaction((tx) =>
    recordPlatformEvent(tx, admin, {
      workspaceIds: [workspace.id],
      action: "platform.workspace.export",
      target: workspace.slug,
      metadata: {
        dags: dags.length,
        versions: versions.length,
        runs: runs.length,
        bytes: archive.byteLength,
      },
    }),
  );
  const day = new Date().toISOString().slice(0, 10);
  return {
    filename: `${workspace.slug}-export-${day}.zip`,
    contentType: "application/zip",
    base64: Buffer.from(archive).toString("base64"),
  };
}

/**
 * Erases a workspace now: the row and everything in it (DAGs, runs, logs, variables, secrets,
 * members' access, its audit log) are deleted at once, without the deletion grace period. The
 * caller types the slug to confirm. Recorded in the installation's log only (the workspace's own
 * goes with it).
 */
export async function eraseWorkspace(admin: PlatformAdmin, input: { workspace: string; confirm: string }) {
  if (input.confirm !== input.workspace) {
    throw new AppError("BAD_REQUEST", "Type the workspace's URL name to confirm the erasure", [
      { path: "confirm", message: `Type ${input.workspace} to confirm` },
    ]);
  }
  const workspace = await findWorkspace(input.workspace);
  await db.$transaction(async (tx) => {
    const members = await tx.membership.count({ where: { workspaceId: workspace.id } });
    await tx.workspace.delete({ where: { id: workspace.id } });
    await recordPlatformEvent(tx, admin, {
      workspaceIds: [null],
      action: "platform.workspace.erase",
      target: workspace.slug,
      metadata: { workspaceId: workspace.id, name: workspace.name, members, deletedAt: workspace.deletedAt },
    });
  });
  return { erased: workspace.slug };
}
