// A tenant's data on request: the export archive holds its DAGs with every version, its runs'
// metadata, variables and secret names (never a secret's value); erasure removes the workspace and
// everything in it at once, with the installation's log keeping who did it.
import type { TRPCError } from "@trpc/server";
import { strFromU8, unzipSync } from "fflate";
import { beforeAll, describe, expect, it } from "vitest";
import { problemsOf } from "@/server/api/trpc";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { generateKey } from "@/server/secrets/crypto";
import { baton } from "../support/cli";
import { workspaceScope } from "../support/engine";
import { codeOf, createUser } from "../support/factories";

type Person = Awaited<ReturnType<typeof createUser>>;
let admin: Person;

beforeAll(async () => {
  process.env.BATON_MASTER_KEYS ??= `1:${generateKey()}`;
  admin = await createUser("admin");
  const granted = await baton(["admin", "grant", admin.email]);
  expect(granted, granted.stderr).toMatchObject({ code: 0 });
});

async function tenantWithData() {
  const tenant = await createUser("tenant");
  const workspace = tenant.workspace.slug;
  await tenant.api.dags.push({ workspace, document: { id: "etl", tasks: [{ id: "a", operator: "noop" }] } });
  await tenant.api.dags.push({
    workspace,
    document: {
      id: "etl",
      tasks: [
        { id: "a", operator: "noop" },
        { id: "b", operator: "noop", dependsOn: ["a"] },
      ],
    },
  });
  await tenant.api.variables.create({ workspace, key: "region", value: { name: "eu-west-1" } });
  await tenant.api.secrets.create({ workspace, name: "DB_PASSWORD", value: "hunter2-very-secret" });
  const run = await triggerRun(await workspaceScope(tenant.workspace.id), { dagKey: "etl" });
  return { tenant, runId: run.id };
}

describe("tenant data export", () => {
  it("is a ZIP of DAGs with every version, runs' metadata, variables and secret names only", async () => {
    const { tenant, runId } = await tenantWithData();
    const file = await admin.api.platform.exportWorkspaceData({ workspace: tenant.workspace.slug });
    expect(file).toMatchObject({ contentType: "application/zip", filename: expect.stringMatching(/\.zip$/) });
    const archive = Buffer.from(file.base64, "base64");
    // The secret's value is nowhere in the archive, compressed or not.
    const entries = unzipSync(new Uint8Array(archive));
    const text = Object.fromEntries(Object.entries(entries).map(([name, bytes]) => [name, strFromU8(bytes)]));
    expect(Object.keys(text).sort()).toEqual([
      "dags.json",
      "dags/etl/v1.json",
      "dags/etl/v2.json",
      "manifest.json",
      "runs.json",
      "secrets.json",
      "variables.json",
    ]);
    for (const content of Object.values(text)) expect(content).not.toContain("hunter2");
    expect(JSON.parse(text["manifest.json"]!)).toMatchObject({
      workspace: { slug: tenant.workspace.slug },
      counts: { dags: 1, versions: 2, runs: 1, variables: 1, secrets: 1 },
      runsTruncated: false,
    });
    expect(JSON.parse(text["dags/etl/v2.json"]!)).toMatchObject({ number: 2, definition: expect.anything() });
    expect(JSON.parse(text["runs.json"]!)).toEqual([
      expect.objectContaining({ id: runId, dag: "etl", version: 2 }),
    ]);
    expect(JSON.parse(text["variables.json"]!)).toEqual([
      expect.objectContaining({ key: "region", value: { name: "eu-west-1" } }),
    ]);
    expect(JSON.parse(text["secrets.json"]!)).toEqual([{ name: "DB_PASSWORD", description: "" }]);
    // Audited: the tenant sees the platform exported it.
    const events = await db.auditEvent.findMany({
      where: { target: tenant.workspace.slug, action: "platform.workspace.export" },
    });
    expect(events.map((e) => e.actorLabel).sort()).toEqual([admin.email, "Platform administrator"].sort());
  });
});

describe("tenant erasure", () => {
  it("deletes the workspace and everything in it at once, confirmed by its slug, audited", async () => {
    const { tenant, runId } = await tenantWithData();
    const { slug, id } = tenant.workspace;
    const unconfirmed = (await admin.api.platform
      .eraseWorkspace({ workspace: slug, confirm: "yes" })
      .catch((e) => e)) as TRPCError;
    expect(unconfirmed.code).toBe("BAD_REQUEST");
    expect(problemsOf(unconfirmed).map((p) => p.path)).toEqual(["confirm"]);
    expect(await db.workspace.findUnique({ where: { id } })).not.toBeNull();

    expect(await admin.api.platform.eraseWorkspace({ workspace: slug, confirm: slug })).toEqual({
      erased: slug,
    });
    expect(await db.workspace.findUnique({ where: { id } })).toBeNull();
    expect(await db.dagRun.findUnique({ where: { id: runId } })).toBeNull();
    expect(await db.secret.count({ where: { workspaceId: id } })).toBe(0);
    expect(await db.variable.count({ where: { workspaceId: id } })).toBe(0);
    expect(await db.membership.count({ where: { workspaceId: id } })).toBe(0);
    expect(await codeOf(tenant.api.workspace.get({ workspace: slug }))).toBe("NOT_FOUND");
    const events = await db.auditEvent.findMany({
      where: { target: slug, action: "platform.workspace.erase" },
    });
    expect(events).toEqual([
      expect.objectContaining({
        workspaceId: null,
        actorLabel: admin.email,
        metadata: expect.objectContaining({ workspaceId: id }),
      }),
    ]);
    expect(await codeOf(admin.api.platform.eraseWorkspace({ workspace: slug, confirm: slug }))).toBe(
      "NOT_FOUND",
    );
  });
});
