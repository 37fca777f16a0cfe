// The quotas that cap how many of something a workspace has, each at its boundary: N allowed,
// N+1 refused with the quota named. maxDags also under concurrent pushes of new DAGs.
import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { apiAs, codeOf, createUser } from "../support/factories";

type User = Awaited<ReturnType<typeof createUser>>;

/** Sets effective quota columns directly, as applying a plan with overrides would. */
async function setQuotas(
  user: User,
  quotas: Partial<Record<"maxDags" | "maxMembers" | "maxPools" | "maxPoolSlots" | "maxTasksPerDag", number>>,
) {
  await db.workspace.update({ where: { id: user.workspace.id }, data: quotas });
}

/** The message a call is refused with (and that it is refused as CONFLICT). */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect((error as { code?: string }).code).toBe("CONFLICT");
    return (error as Error).message;
  }
  throw new Error("expected the call to be refused");
}

const doc = (id: string, title = id) => ({ id, title, tasks: [{ id: "t", operator: "noop" }] });

describe("maxDags", () => {
  it("accepts N DAGs, refuses the N+1th, and always accepts new versions", async () => {
    const owner = await createUser("dags");
    const workspace = owner.workspace.slug;
    await setQuotas(owner, { maxDags: 3 });
    for (const id of ["a", "b", "c"]) await owner.api.dags.push({ workspace, document: doc(id) });

    expect(await refusal(owner.api.dags.push({ workspace, document: doc("d") }))).toMatch(
      /^This workspace has 3 of 3 DAGs allowed by its plan \(quota maxDags\)\./,
    );
    expect(await db.dag.count({ where: { workspaceId: owner.workspace.id } })).toBe(3);

    const update = await owner.api.dags.push({ workspace, document: doc("a", "a, second version") });
    expect(update).toMatchObject({ dagId: "a", version: 2, created: false });

    // Archived DAGs do not count; bringing one back counts again.
    await owner.api.dags.archive({ workspace, dagId: "a" });
    await owner.api.dags.push({ workspace, document: doc("d") });
    expect(await refusal(owner.api.dags.unarchive({ workspace, dagId: "a" }))).toContain(
      "3 of 3 DAGs allowed by its plan (quota maxDags)",
    );
    await owner.api.dags.archive({ workspace, dagId: "d" });
    expect((await owner.api.dags.unarchive({ workspace, dagId: "a" })).archived).toBe(false);
  });

  it("holds under concurrent pushes of new DAGs", async () => {
    const owner = await createUser("racing");
    await setQuotas(owner, { maxDags: 4 });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        codeOf(owner.api.dags.push({ workspace: owner.workspace.slug, document: doc(`race_${i}`) })),
      ),
    );
    expect(results.filter((code) => code === "OK")).toHaveLength(4);
    expect(results.filter((code) => code === "CONFLICT")).toHaveLength(8);
    expect(await db.dag.count({ where: { workspaceId: owner.workspace.id } })).toBe(4);
  });
});

describe("maxTasksPerDag", () => {
  const tasks = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `t${i}`, operator: "noop" }));

  it("is a plan quota (20,000 on the default plan, the installation's limit)", async () => {
    expect((await db.plan.findUniqueOrThrow({ where: { key: "free" } })).maxTasksPerDag).toBe(20_000);
  });

  it("accepts a DAG of N tasks and refuses N+1 at push and in the editor's check, naming the quota", async () => {
    const owner = await createUser("wide");
    const workspace = owner.workspace.slug;
    await setQuotas(owner, { maxTasksPerDag: 3 });
    await owner.api.dags.push({ workspace, document: { id: "three", tasks: tasks(3) } });

    const problem = {
      path: "tasks",
      message:
        "has 4 tasks; this workspace's plan allows at most 3 tasks per DAG (quota maxTasksPerDag): split it into DAGs that trigger one another, or a platform administrator can raise it or move the workspace to a larger plan",
    };
    await expect(
      owner.api.dags.push({ workspace, document: { id: "three", tasks: tasks(4) } }),
    ).rejects.toMatchObject({ code: "UNPROCESSABLE_CONTENT", cause: { problems: [problem] } });
    expect(await owner.api.dags.validate({ workspace, document: { id: "four", tasks: tasks(4) } })).toEqual({
      ok: false,
      problems: [problem],
    });
    // Nothing stored changed.
    expect((await owner.api.dags.get({ workspace, dagId: "three" })).version.number).toBe(1);
  });
});

describe("maxMembers", () => {
  it("counts members and pending invitations when inviting", async () => {
    const owner = await createUser("team");
    const workspace = owner.workspace.slug;
    await setQuotas(owner, { maxMembers: 3 });
    // The owner holds one seat; two invitations take the others.
    const first = await owner.api.members.invite({ workspace, email: "first@example.com", role: "EDITOR" });
    await owner.api.members.invite({ workspace, email: "second@example.com", role: "VIEWER" });

    expect(
      await refusal(owner.api.members.invite({ workspace, email: "third@example.com", role: "VIEWER" })),
    ).toMatch(
      /^This workspace has 3 of 3 members \(pending invitations included\) allowed by its plan \(quota maxMembers\)\./,
    );
    // A fresh link for someone already invited takes no second seat.
    await owner.api.members.invite({ workspace, email: "first@example.com", role: "EDITOR" });
    // Revoking frees the seat; so does an invitation expiring.
    await owner.api.members.revokeInvitation({ workspace, invitationId: first.id });
    const others = await db.invitation.findMany({
      where: { workspaceId: owner.workspace.id, email: "first@example.com", revokedAt: null },
    });
    for (const other of others)
      await owner.api.members.revokeInvitation({ workspace, invitationId: other.id });
    await owner.api.members.invite({ workspace, email: "third@example.com", role: "VIEWER" });
    await db.invitation.updateMany({
      where: { workspaceId: owner.workspace.id, email: "third@example.com" },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await owner.api.members.invite({ workspace, email: "fourth@example.com", role: "VIEWER" });
  });

  it("refuses to accept an invitation once the workspace is full, and keeps the link usable", async () => {
    const owner = await createUser("full");
    const workspace = owner.workspace.slug;
    await setQuotas(owner, { maxMembers: 2 });
    const late = await createUser("late");
    const invitation = await owner.api.members.invite({ workspace, email: late.email, role: "VIEWER" });
    const secret = invitation.link.split("/invite/")[1]!;
    // The plan shrinks (or a member was added otherwise) before the invitee accepts.
    await setQuotas(owner, { maxMembers: 1 });

    const message = await refusal(late.api.account.acceptInvitation({ secret }));
    expect(message).toContain("already has 1 of the 1 members its plan allows (quota maxMembers)");
    expect(await codeOf(late.api.workspace.get({ workspace }))).toBe("NOT_FOUND");

    await setQuotas(owner, { maxMembers: 2 });
    expect(await late.api.account.acceptInvitation({ secret })).toEqual({ slug: workspace });
    expect(await db.membership.count({ where: { workspaceId: owner.workspace.id } })).toBe(2);
  });
});

describe("maxPools and maxPoolSlots", () => {
  it("accepts N pools and refuses the N+1th", async () => {
    const owner = await createUser("pools");
    const workspace = owner.workspace.slug;
    await setQuotas(owner, { maxPools: 2 });
    await owner.api.pools.create({ workspace, name: "db", slots: 1 });
    await owner.api.pools.create({ workspace, name: "api", slots: 1 });
    expect(await refusal(owner.api.pools.create({ workspace, name: "gpu", slots: 1 }))).toMatch(
      /^This workspace has 2 of 2 pools allowed by its plan \(quota maxPools\)\./,
    );
    await owner.api.pools.delete({ workspace, name: "api" });
    await owner.api.pools.create({ workspace, name: "gpu", slots: 1 });
  });

  it("accepts a pool of maxPoolSlots slots and refuses one more, on create and on update", async () => {
    const owner = await createUser("slots");
    const workspace = owner.workspace.slug;
    await setQuotas(owner, { maxPoolSlots: 8 });
    expect(await owner.api.pools.create({ workspace, name: "wide", slots: 8 })).toMatchObject({ slots: 8 });
    const expected =
      "slots must be at most 8: the limit of slots per pool set by this workspace's plan (quota maxPoolSlots); a platform administrator can raise it or move the workspace to a larger plan";
    expect(await refusal(owner.api.pools.create({ workspace, name: "wider", slots: 9 }))).toBe(expected);
    expect(await refusal(owner.api.pools.update({ workspace, name: "wide", slots: 9 }))).toBe(expected);
    expect(await owner.api.pools.update({ workspace, name: "wide", slots: 7 })).toMatchObject({ slots: 7 });
  });

  it("holds maxPools under concurrent creations", async () => {
    const owner = await createUser("pool-race");
    await setQuotas(owner, { maxPools: 3 });
    const api = apiAs(owner.caller);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        codeOf(api.pools.create({ workspace: owner.workspace.slug, name: `p${i}`, slots: 1 })),
      ),
    );
    expect(results.filter((code) => code === "OK")).toHaveLength(3);
    expect(await db.pool.count({ where: { workspaceId: owner.workspace.id } })).toBe(3);
  });
});
