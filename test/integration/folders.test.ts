// Folders: roles granted on a folder (to a member or a group) apply to what it holds, on top of the
// workspace role; a member without access to an object's folder gets NOT_FOUND for it, as for
// another tenant's; moving a DAG is audited and keeps its history; a folder holding anything is not
// deleted; the access page explains each member's effective permission; the plan's maxFolders
// bounds them; a secret kept in a folder serves only that folder's DAGs at run time.
import type { TRPCError } from "@trpc/server";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { problemsOf } from "@/server/api/trpc";
import { db } from "@/server/db/client";
import { generateKey } from "@/server/secrets/crypto";
import { startTestWorker, stopTestWorker, waitForRun } from "../support/engine";
import { codeOf, createUser } from "../support/factories";

type User = Awaited<ReturnType<typeof createUser>>;
let owner: User;
let slug: string;

async function join(role: "EDITOR" | "OPERATOR" | "VIEWER" | "GUEST", name = role.toLowerCase()) {
  const person = await createUser(name);
  await db.membership.create({ data: { workspaceId: owner.workspace.id, userId: person.user.id, role } });
  const member = (await owner.api.members.list({ workspace: slug, limit: 100 })).items.find(
    (m) => m.email === person.email,
  )!;
  return { ...person, memberId: member.id };
}

const doc = (id: string) => ({ id, tasks: [{ id: "t", operator: "noop" }] });

beforeEach(async () => {
  process.env.BATON_MASTER_KEYS ??= `1:${generateKey()}`;
  owner = await createUser("owner");
  slug = owner.workspace.slug;
});

async function twoFolders() {
  const finance = await owner.api.folders.create({ workspace: slug, name: "finance" });
  const platform = await owner.api.folders.create({ workspace: slug, name: "platform" });
  await owner.api.dags.push({ workspace: slug, document: doc("ledger"), folder: "finance" });
  await owner.api.dags.push({ workspace: slug, document: doc("ingest"), folder: "platform" });
  await owner.api.dags.push({ workspace: slug, document: doc("root_job") });
  return { finance, platform };
}

describe("a contractor (guest) with a grant on one folder", () => {
  it("sees and works in that folder only; everything else answers NOT_FOUND or FORBIDDEN", async () => {
    const { finance } = await twoFolders();
    const contractor = await join("GUEST", "contractor");
    // Before any grant: a guest may do nothing.
    expect(await codeOf(contractor.api.dags.list({ workspace: slug }))).toBe("FORBIDDEN");

    await owner.api.folders.grant({
      workspace: slug,
      folderId: finance.id,
      memberId: contractor.memberId,
      role: "EDITOR",
    });
    const api = contractor.api;
    expect((await api.folders.list({ workspace: slug })).map((f) => f.name)).toEqual(["finance"]);
    expect((await api.dags.list({ workspace: slug })).items.map((d) => [d.dagId, d.folder])).toEqual([
      ["ledger", "finance"],
    ]);
    expect(await codeOf(api.dags.get({ workspace: slug, dagId: "ingest" }))).toBe("NOT_FOUND");
    expect(await codeOf(api.dags.get({ workspace: slug, dagId: "root_job" }))).toBe("NOT_FOUND");
    expect(await codeOf(api.runs.trigger({ workspace: slug, dagId: "ingest" }))).toBe("NOT_FOUND");
    expect(await codeOf(api.dags.archive({ workspace: slug, dagId: "ingest" }))).toBe("NOT_FOUND");

    // Inside the folder: an Editor.
    const run = await api.runs.trigger({ workspace: slug, dagId: "ledger" });
    expect((await api.runs.get({ workspace: slug, runId: run.id })).id).toBe(run.id);
    expect((await api.runs.list({ workspace: slug })).items.map((r) => r.id)).toEqual([run.id]);
    await api.dags.push({ workspace: slug, document: doc("ledger_v2"), folder: "finance" });
    await api.variables.create({ workspace: slug, key: "fx_source", value: "ecb", folder: "finance" });

    // Another folder's run, by id: NOT_FOUND, also to the plain-SQL operations (cancel, clear).
    const other = await owner.api.runs.trigger({ workspace: slug, dagId: "ingest" });
    for (const call of [
      () => api.runs.get({ workspace: slug, runId: other.id }),
      () => api.runs.cancel({ workspace: slug, runId: other.id }),
      () => api.runs.clear({ workspace: slug, runId: other.id, taskIds: ["t"] }),
      () => api.runs.logs({ workspace: slug, runId: other.id, taskId: "t" }),
    ]) {
      expect(await codeOf(call())).toBe("NOT_FOUND");
    }
    // Creating at the root or in a folder not granted is refused; a taken id is not overwritten.
    expect(await codeOf(api.dags.push({ workspace: slug, document: doc("loose") }))).toBe("FORBIDDEN");
    expect(await codeOf(api.dags.push({ workspace: slug, document: doc("loose"), folder: "platform" }))).toBe(
      "NOT_FOUND",
    );
    expect(await codeOf(api.dags.push({ workspace: slug, document: doc("ingest"), folder: "finance" }))).toBe(
      "CONFLICT",
    );
    const ingest = await db.dag.findFirstOrThrow({
      where: { workspaceId: owner.workspace.id, key: "ingest" },
    });
    expect(await db.dagVersion.count({ where: { dagId: ingest.id } })).toBe(1);
    // Workspace-wide things stay out of reach.
    for (const call of [
      () => api.members.list({ workspace: slug }),
      () => api.pools.list({ workspace: slug }),
      () => api.audit.list({ workspace: slug }),
      () => api.groups.list({ workspace: slug }),
    ]) {
      expect(await codeOf(call())).toBe("FORBIDDEN");
    }
    expect((await api.workspace.get({ workspace: slug })).role).toBe("GUEST");
  });
});

describe("effective permission = the highest of the workspace role and the folder's grants", () => {
  it("lets a Viewer edit in the folder their group is granted, and only view the rest", async () => {
    const { finance } = await twoFolders();
    const analyst = await join("VIEWER", "analyst");
    const analysts = await owner.api.groups.create({ workspace: slug, name: "finance-analysts" });
    await owner.api.groups.addMember({ workspace: slug, groupId: analysts.id, memberId: analyst.memberId });
    await owner.api.folders.grant({
      workspace: slug,
      folderId: finance.id,
      groupId: analysts.id,
      role: "EDITOR",
    });

    // Viewer everywhere: all DAGs listed, the root's included.
    expect((await analyst.api.dags.list({ workspace: slug })).items.map((d) => d.dagId).sort()).toEqual([
      "ingest",
      "ledger",
      "root_job",
    ]);
    // Editor in finance through the group.
    expect(await codeOf(analyst.api.dags.setPaused({ workspace: slug, dagId: "ledger", paused: true }))).toBe(
      "OK",
    );
    expect(await codeOf(analyst.api.runs.trigger({ workspace: slug, dagId: "ledger" }))).toBe("OK");
    // Elsewhere the workspace role (Viewer) holds: changing answers NOT_FOUND among their folders.
    expect(await codeOf(analyst.api.runs.trigger({ workspace: slug, dagId: "ingest" }))).toBe("NOT_FOUND");
    expect(
      await codeOf(analyst.api.dags.setPaused({ workspace: slug, dagId: "root_job", paused: true })),
    ).toBe("NOT_FOUND");
    // Out of the group: back to Viewer, FORBIDDEN as before.
    await owner.api.groups.removeMember({
      workspace: slug,
      groupId: analysts.id,
      memberId: analyst.memberId,
    });
    expect(await codeOf(analyst.api.runs.trigger({ workspace: slug, dagId: "ledger" }))).toBe("FORBIDDEN");
  });

  it("explains who has access to a folder and why", async () => {
    const { finance } = await twoFolders();
    const carla = await join("VIEWER", "carla");
    const guest = await join("GUEST", "guest");
    const outsider = await join("GUEST", "outsider");
    const onCall = await owner.api.groups.create({ workspace: slug, name: "on-call" });
    await owner.api.groups.addMember({ workspace: slug, groupId: onCall.id, memberId: carla.memberId });
    await owner.api.folders.grant({
      workspace: slug,
      folderId: finance.id,
      groupId: onCall.id,
      role: "OPERATOR",
    });
    await owner.api.folders.grant({
      workspace: slug,
      folderId: finance.id,
      memberId: guest.memberId,
      role: "VIEWER",
    });

    const access = await owner.api.folders.access({ workspace: slug, folderId: finance.id });
    const byEmail = Object.fromEntries(access.access.map((a) => [a.email, [a.role, a.via]]));
    expect(byEmail[owner.email]).toEqual(["OWNER", "workspace role"]);
    expect(byEmail[carla.email]).toEqual(["OPERATOR", "folder grant via group on-call"]);
    expect(byEmail[guest.email]).toEqual(["VIEWER", "folder grant"]);
    expect(byEmail[outsider.email]).toBeUndefined();
    expect(access.grants.map((g) => [g.grantee, g.role]).sort()).toEqual([
      ["group on-call", "OPERATOR"],
      [guest.email, "VIEWER"],
    ]);
    // Revoking takes it away at once.
    const grant = access.grants.find((g) => g.memberId === guest.memberId)!;
    await owner.api.folders.revoke({ workspace: slug, folderId: finance.id, grantId: grant.id });
    expect(await codeOf(guest.api.dags.list({ workspace: slug }))).toBe("FORBIDDEN");
  });

  it("refuses folder roles beyond what a folder holds and grants from non-admins", async () => {
    const { finance } = await twoFolders();
    const editor = await join("EDITOR", "editor");
    expect(
      await codeOf(
        owner.api.folders.grant({
          workspace: slug,
          folderId: finance.id,
          memberId: editor.memberId,
          role: "ADMIN" as "EDITOR",
        }),
      ),
    ).toBe("BAD_REQUEST");
    expect(
      await codeOf(
        editor.api.folders.grant({
          workspace: slug,
          folderId: finance.id,
          memberId: editor.memberId,
          role: "EDITOR",
        }),
      ),
    ).toBe("FORBIDDEN");
  });
});

describe("moving and deleting", () => {
  it("moves a DAG with its history, audited; a member needs the right on both folders", async () => {
    await twoFolders();
    const run = await owner.api.runs.trigger({ workspace: slug, dagId: "ledger" });
    await owner.api.dags.push({ workspace: slug, document: { ...doc("ledger"), title: "v2" } });
    const moved = await owner.api.folders.moveDag({ workspace: slug, dagId: "ledger", folder: "platform" });
    expect(moved).toEqual({ dagId: "ledger", folder: "platform" });
    expect((await owner.api.dags.versions({ workspace: slug, dagId: "ledger" })).items).toHaveLength(2);
    expect((await owner.api.runs.get({ workspace: slug, runId: run.id })).id).toBe(run.id);
    const audit = await owner.api.audit.list({ workspace: slug });
    expect(audit.items.find((e) => e.action === "dag.move")).toMatchObject({
      target: "ledger",
      metadata: { from: "finance", to: "platform" },
    });

    // A contractor editing finance only cannot move a DAG out of it, nor one in from elsewhere.
    const contractor = await join("GUEST", "contractor");
    const finance = (await owner.api.folders.list({ workspace: slug })).find((f) => f.name === "finance")!;
    await owner.api.folders.grant({
      workspace: slug,
      folderId: finance.id,
      memberId: contractor.memberId,
      role: "EDITOR",
    });
    await owner.api.dags.push({ workspace: slug, document: doc("mine"), folder: "finance" });
    expect(
      await codeOf(contractor.api.folders.moveDag({ workspace: slug, dagId: "mine", folder: "platform" })),
    ).toBe("NOT_FOUND");
    expect(
      await codeOf(contractor.api.folders.moveDag({ workspace: slug, dagId: "mine", folder: null })),
    ).toBe("FORBIDDEN");
    expect(
      await codeOf(contractor.api.folders.moveDag({ workspace: slug, dagId: "ledger", folder: "finance" })),
    ).toBe("NOT_FOUND");
  });

  it("refuses to delete a folder that holds anything, listing it; deletes an empty one", async () => {
    const { finance } = await twoFolders();
    await owner.api.secrets.create({
      workspace: slug,
      name: "FIN_TOKEN",
      value: "s3cret",
      folder: "finance",
    });
    const refused = (await owner.api.folders
      .delete({ workspace: slug, folderId: finance.id })
      .catch((error: TRPCError) => error)) as TRPCError;
    expect(refused.code).toBe("CONFLICT");
    expect(problemsOf(refused)).toEqual([
      { path: "dags", message: "ledger" },
      { path: "secrets", message: "FIN_TOKEN" },
    ]);
    await owner.api.folders.moveDag({ workspace: slug, dagId: "ledger", folder: null });
    await owner.api.secrets.delete({ workspace: slug, name: "FIN_TOKEN" });
    await owner.api.folders.delete({ workspace: slug, folderId: finance.id });
    expect((await owner.api.folders.list({ workspace: slug })).map((f) => f.name)).toEqual(["platform"]);
  });

  it("are bounded by the plan's maxFolders", async () => {
    await db.workspace.update({ where: { id: owner.workspace.id }, data: { maxFolders: 1 } });
    await owner.api.folders.create({ workspace: slug, name: "one" });
    await expect(owner.api.folders.create({ workspace: slug, name: "two" })).rejects.toThrow(
      /quota maxFolders/,
    );
  });
});

describe("secrets and connections kept in a folder", () => {
  afterAll(() => stopTestWorker());

  it("serve that folder's DAGs at run time and no other folder's", async () => {
    await startTestWorker();
    await twoFolders();
    await owner.api.secrets.create({
      workspace: slug,
      name: "FIN_TOKEN",
      value: "fin-value",
      folder: "finance",
    });
    await owner.api.secrets.create({ workspace: slug, name: "SHARED", value: "shared-value" });
    const uses = (id: string, secret: string) => ({
      id,
      tasks: [{ id: "t", operator: "test", config: { output: `{{ secrets.${secret} }}` } }],
    });
    await owner.api.dags.push({ workspace: slug, document: uses("fin_job", "FIN_TOKEN"), folder: "finance" });
    // Refused at push in another folder (docs/permissions.md); pushed where it may, then moved there.
    const elsewhere = owner.api.dags.push({
      workspace: slug,
      document: uses("plat_job", "FIN_TOKEN"),
      folder: "platform",
    });
    await expect(elsewhere).rejects.toThrow(/problem/);
    await owner.api.dags.push({
      workspace: slug,
      document: uses("plat_job", "FIN_TOKEN"),
      folder: "finance",
    });
    await owner.api.folders.moveDag({ workspace: slug, dagId: "plat_job", folder: "platform" });
    await owner.api.dags.push({
      workspace: slug,
      document: uses("plat_shared", "SHARED"),
      folder: "platform",
    });
    const stateOf = async (dagId: string) => {
      const { id } = await owner.api.runs.trigger({ workspace: slug, dagId });
      const run = await waitForRun(id, 60_000);
      return run.taskInstances.find((ti) => ti.taskId === "t")!;
    };
    expect((await stateOf("fin_job")).state).toBe("success");
    const refused = await stateOf("plat_job");
    expect(refused.state).toBe("failed");
    expect(refused.error).toMatch(/FIN_TOKEN/);
    // A secret at the workspace root serves every folder.
    expect((await stateOf("plat_shared")).state).toBe("success");
  });
});
