// The compiled-DAG cache (server/engine/graph.ts): bounded by memory, not by entries, evicting the
// least recently used; many small versions stay cached where a count limit would thrash; another
// workspace's version id is not found, cached or not; concurrent misses share one read.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

// The cache is sized when its module loads: 4 MiB here, so a few big versions fill it.
vi.hoisted(() => {
  process.env.BATON_DAG_CACHE_MB = "4";
});

import { createHash } from "node:crypto";
import type { DagDocument } from "@/server/dags/definition";
import { validateDag } from "@/server/dags/validate";
import { db } from "@/server/db/client";
import { compiledVersion, dagCacheStats, dagCacheUsage } from "@/server/engine/graph";
import { sql, transaction } from "@/server/engine/sql";
import { createUser } from "../support/factories";

let workspaceId: string;
let otherWorkspaceId: string;

beforeAll(async () => {
  workspaceId = (await createUser("cache")).workspace.id;
  otherWorkspaceId = (await createUser("cache-other")).workspace.id;
});
afterAll(() => {
  delete process.env.BATON_DAG_CACHE_MB;
});

/** Stores each document as version 1 of its own DAG in one statement per table; answers the version ids. */
async function storeVersions(documents: DagDocument[]): Promise<string[]> {
  const dags = await db.dag.createManyAndReturn({
    data: documents.map((d) => ({ workspaceId, key: d.id, tags: [] })),
    select: { id: true, key: true },
  });
  const dagIds = new Map(dags.map((d) => [d.key, d.id]));
  const versions = await db.dagVersion.createManyAndReturn({
    data: documents.map((document) => {
      const result = validateDag(document);
      if (!result.ok) throw new Error(`invalid test DAG: ${JSON.stringify(result.problems)}`);
      return {
        workspaceId,
        dagId: dagIds.get(document.id)!,
        number: 1,
        definition: result.dag as object,
        hash: createHash("sha256").update(JSON.stringify(result.dag)).digest("hex"),
        authorLabel: "test",
      };
    }),
    select: { id: true, dagId: true },
  });
  const byDag = new Map(versions.map((v) => [v.dagId, v.id]));
  return documents.map((d) => byDag.get(dagIds.get(d.id)!)!);
}

const chain = (id: string, length: number): DagDocument => ({
  id,
  tasks: Array.from({ length }, (_, i) => ({
    id: `step_${i}`,
    operator: "noop",
    config: {},
    dependsOn: i > 0 ? [`step_${i - 1}`] : [],
  })),
});

async function readsFor(fn: () => Promise<unknown>): Promise<number> {
  const before = dagCacheStats.reads;
  await fn();
  return dagCacheStats.reads - before;
}

describe("compiled-DAG cache", () => {
  it("keeps more than 500 small versions, reading each once", async () => {
    const ids = await storeVersions(Array.from({ length: 600 }, (_, i) => chain(`small-${i}`, 3)));
    const compileAll = async () => {
      for (const id of ids) await compiledVersion(sql, id, workspaceId);
    };
    expect(await readsFor(compileAll)).toBe(600);
    expect(await readsFor(compileAll)).toBe(0);
    expect(dagCacheUsage().entries).toBeGreaterThanOrEqual(600);
  });

  it("stays within its bytes, evicting the least recently used version", async () => {
    const big = await storeVersions(Array.from({ length: 8 }, (_, i) => chain(`big-${i}`, 1_200)));
    const before = dagCacheUsage().bytes;
    await compiledVersion(sql, big[0]!, workspaceId);
    const entryBytes = dagCacheUsage().bytes - before;
    const { maxBytes } = dagCacheUsage();
    // Well over a hundred KB of JSON each: a few fill the 4 MiB budget.
    const fit = Math.floor(maxBytes / entryBytes);
    expect(fit).toBeGreaterThanOrEqual(2);
    expect(fit).toBeLessThan(big.length - 1);

    for (const id of big.slice(1, fit)) await compiledVersion(sql, id, workspaceId);
    expect(dagCacheUsage().bytes).toBeLessThanOrEqual(maxBytes);
    // The first is used again, so the second is now the least recently used: the next arrival
    // evicts it (and the small versions before it), never the first.
    expect(await readsFor(() => compiledVersion(sql, big[0]!, workspaceId))).toBe(0);
    expect(await readsFor(() => compiledVersion(sql, big[fit]!, workspaceId))).toBe(1);
    expect(dagCacheUsage().bytes).toBeLessThanOrEqual(maxBytes);
    expect(await readsFor(() => compiledVersion(sql, big[0]!, workspaceId))).toBe(0);
    expect(await readsFor(() => compiledVersion(sql, big[1]!, workspaceId))).toBe(1);
    // The compiled DAG is whole whatever was evicted.
    const compiled = await compiledVersion(sql, big[1]!, workspaceId);
    expect(compiled.tasks.size).toBe(1_200);
    expect(compiled.tasks.get("step_1")!.upstream).toEqual(["step_0"]);
  });

  it("answers concurrent misses of one version with one read", async () => {
    const [id] = await storeVersions([chain("burst", 10)]);
    const reads = await readsFor(() =>
      Promise.all(Array.from({ length: 20 }, () => compiledVersion(sql, id!, workspaceId))),
    );
    expect(reads).toBe(1);
  });

  it("reads again on the caller's own connection when the shared read failed on another's", async () => {
    const [id] = await storeVersions([chain("shared-read", 4)]);
    const outcome = await transaction(async (tx) => {
      // This transaction is aborted: every statement on it fails until it ends.
      await tx.query("SELECT 1 / 0").catch(() => {});
      const onAborted = compiledVersion(tx, id!, workspaceId);
      const onPool = compiledVersion(sql, id!, workspaceId); // joins the read in flight
      const [aborted, pooled] = await Promise.allSettled([onAborted, onPool]);
      return { aborted: aborted.status, pooled: pooled.status === "fulfilled" ? pooled.value.tasks.size : 0 };
    }).catch((error: Error) => error);
    expect(outcome).toMatchObject({ aborted: "rejected", pooled: 4 });
  });

  it("does not find another workspace's version, cached or not", async () => {
    const [id] = await storeVersions([chain("private", 2)]);
    await expect(compiledVersion(sql, id!, otherWorkspaceId)).rejects.toThrow(/not found/);
    await compiledVersion(sql, id!, workspaceId);
    await expect(compiledVersion(sql, id!, otherWorkspaceId)).rejects.toThrow(/not found/);
    // A failed read leaves nothing behind: the owner's version is still found.
    expect((await compiledVersion(sql, id!, workspaceId)).tasks.size).toBe(2);
  });
});
