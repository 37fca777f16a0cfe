// Deleting a workspace is a soft delete with a grace period: it vanishes for its members and
// stops at once, a platform administrator can restore it (everything back, work going on), the
// retention job purges it only after the grace period, and a suspended workspace cannot be deleted
// at all (an abuse investigation keeps what it needs).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { purgeDeletedWorkspaces } from "@/server/workspaces/service";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { apiAs, codeOf, createUser } from "../support/factories";

let admin: Awaited<ReturnType<typeof createUser>>;
const adminApi = () => apiAs({ kind: "user", userId: admin.user.id, email: admin.email, ip: "203.0.113.9" });

beforeAll(async () => {
  admin = await createUser("operator");
  await db.user.update({ where: { id: admin.user.id }, data: { platformAdmin: true } });
  await startTestWorker(2);
});
afterAll(() => stopTestWorker());

const DAY = 86_400_000;

describe("deleting a workspace", () => {
  it("hides and stops it, keeps it for the grace period, and an administrator restores it", async () => {
    const owner = await createUser("owner");
    const slug = owner.workspace.slug;
    const scope = await workspaceScope(owner.workspace.id);
    await storeDag(scope, { id: "work", tasks: [{ id: "t", operator: "test" }] });

    await owner.api.workspace.delete({ workspace: slug, confirm: slug });
    // Gone for its members, its data kept.
    expect(await codeOf(owner.api.workspace.get({ workspace: slug }))).toBe("NOT_FOUND");
    expect((await owner.api.account.workspaces()).map((w) => w.slug)).not.toContain(slug);
    const row = await db.workspace.findUniqueOrThrow({ where: { id: owner.workspace.id } });
    expect(row.deletedAt).not.toBeNull();
    expect(await db.dag.count({ where: { workspaceId: owner.workspace.id } })).toBe(1);
    // Nothing starts meanwhile.
    await expect(triggerRun(scope, { dagKey: "work" })).rejects.toMatchObject({ code: "FORBIDDEN" });

    // The console shows it deleted, with its purge date.
    const seen = await adminApi().platform.workspace({ workspace: slug });
    expect(seen).toMatchObject({ status: "deleted" });
    expect(seen.purgeAfter!.getTime() - row.deletedAt!.getTime()).toBe(30 * DAY);
    const listed = await adminApi().platform.workspaces({ search: slug });
    expect(listed.workspaces[0]).toMatchObject({ slug, status: "deleted" });

    // Not purged within the grace period.
    expect(await purgeDeletedWorkspaces(new Date(row.deletedAt!.getTime() + 29 * DAY))).toEqual([]);

    const restored = await adminApi().platform.restore({ workspace: slug });
    expect(restored).toMatchObject({ status: "active", deletedAt: null, suspendedAt: null });
    expect(await codeOf(adminApi().platform.restore({ workspace: slug }))).toBe("CONFLICT");
    expect((await owner.api.workspace.get({ workspace: slug })).slug).toBe(slug);
    const run = await triggerRun(await workspaceScope(owner.workspace.id), { dagKey: "work" });
    expect((await waitForRun(run.id)).state).toBe("success");

    // Both logs have it: the workspace's says "Platform administrator".
    const events = await db.auditEvent.findMany({
      where: { target: slug, action: { in: ["workspace.delete", "platform.workspace.restore"] } },
      orderBy: { id: "asc" },
    });
    expect(
      events.map((e) => [e.action, e.workspaceId === null ? "installation" : "workspace", e.actorLabel]),
    ).toEqual([
      ["workspace.delete", "workspace", owner.email],
      ["workspace.delete", "installation", owner.email],
      ["platform.workspace.restore", "installation", admin.email],
      ["platform.workspace.restore", "workspace", "Platform administrator"],
    ]);
  });

  it("purges it with everything in it once the grace period is over", async () => {
    const owner = await createUser("gone");
    const slug = owner.workspace.slug;
    await storeDag(await workspaceScope(owner.workspace.id), {
      id: "work",
      tasks: [{ id: "t", operator: "test" }],
    });
    await owner.api.workspace.delete({ workspace: slug, confirm: slug });
    const { deletedAt } = await db.workspace.findUniqueOrThrow({ where: { id: owner.workspace.id } });

    expect(await purgeDeletedWorkspaces(new Date(deletedAt!.getTime() + 31 * DAY))).toContain(slug);
    expect(await db.workspace.count({ where: { id: owner.workspace.id } })).toBe(0);
    expect(await db.dag.count({ where: { workspaceId: owner.workspace.id } })).toBe(0);
    expect(await codeOf(adminApi().platform.workspace({ workspace: slug }))).toBe("NOT_FOUND");
    expect(
      await db.auditEvent.findFirst({
        where: { workspaceId: null, action: "workspace.purge", target: slug },
      }),
    ).toMatchObject({ actor: "system" });
  });

  it("is refused while the workspace is suspended, and nothing is deleted", async () => {
    const owner = await createUser("investigated");
    const slug = owner.workspace.slug;
    await adminApi().platform.suspend({ workspace: slug, reason: "Abuse investigation" });
    await expect(owner.api.workspace.delete({ workspace: slug, confirm: slug })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("suspended (Abuse investigation): it cannot be deleted"),
    });
    const row = await db.workspace.findUniqueOrThrow({ where: { id: owner.workspace.id } });
    expect(row.deletedAt).toBeNull();
    expect((await adminApi().platform.workspace({ workspace: slug })).status).toBe("suspended");
  });
});
