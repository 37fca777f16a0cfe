// The platform console's API and the `baton admin` commands: who is a platform administrator,
// the list of every workspace, plans and overrides becoming effective quotas (and letting waiting
// runs start), suspension, the audit trail, and everyone else refused.

import type { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "@/server/api/root";
import { problemsOf as problemsFromError } from "@/server/api/trpc";
import { db } from "@/server/db/client";
import { type Quotas, quotaKeys, quotasOf } from "@/server/quotas/catalog";
import { openWorkspace } from "@/server/tenancy/door";
import { authenticateToken, createToken } from "@/server/tokens/service";
import { flushUsage, meter } from "@/server/usage/meter";
import { baton } from "../support/cli";
import { apiAs, codeOf, createUser } from "../support/factories";

type Person = Awaited<ReturnType<typeof createUser>>;

let admin: Person;
let owner: Person;
let freeQuotas: Quotas;

/** A plan's input: the free plan's quotas with `changes` on top. */
function planInput(
  key: string,
  changes: Partial<Quotas> = {},
  overQuotaPolicy: "refuse" | "queue" = "queue",
) {
  return {
    key,
    name: `Plan ${key}`,
    description: "",
    overQuotaPolicy,
    quotas: { ...freeQuotas, ...changes },
  };
}

/** The code and field problems a rejected call answers with, as the web app receives them. */
async function problemsOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    const trpc = error as TRPCError;
    return { code: trpc.code, problems: problemsFromError(trpc) };
  }
  throw new Error("expected the call to fail");
}

async function eventsOf(workspaceId: string, action: string) {
  return db.auditEvent.findMany({ where: { workspaceId, action }, orderBy: { id: "asc" } });
}

beforeAll(async () => {
  admin = await createUser("admin");
  owner = await createUser("owner");
  freeQuotas = quotasOf(await db.plan.findUniqueOrThrow({ where: { key: "free" } }));
  const granted = await baton(["admin", "grant", admin.email]);
  expect(granted, granted.stderr).toMatchObject({ code: 0 });
});

describe("baton admin", () => {
  it("grants, lists and revokes the platform administrator role, audit-logged", async () => {
    const person = await createUser("operator");
    expect(await baton(["admin", "grant", person.email.toUpperCase()])).toEqual({
      code: 0,
      stdout: `${person.email} is now a platform administrator.\n`,
      stderr: "",
    });
    expect(await baton(["admin", "grant", person.email])).toMatchObject({
      code: 0,
      stdout: `${person.email} is already a platform administrator.\n`,
    });
    const list = await baton(["--json", "admin", "list"]);
    expect(JSON.parse(list.stdout).map((u: { email: string }) => u.email)).toEqual(
      expect.arrayContaining([admin.email, person.email]),
    );
    expect(await codeOf(person.api.platform.plans())).toBe("OK");

    expect(await baton(["admin", "revoke", person.email])).toMatchObject({
      code: 0,
      stdout: `${person.email} is no longer a platform administrator.\n`,
    });
    // Read afresh on every call: the revocation bites at once.
    expect(await codeOf(person.api.platform.plans())).toBe("FORBIDDEN");
    const events = await db.auditEvent.findMany({
      where: { workspaceId: null, target: person.email, action: { startsWith: "platform.admin." } },
      orderBy: { id: "asc" },
    });
    // The CLI names its operator (their login name on the server, unless --as says otherwise).
    expect(events.map((e) => [e.action, e.actor, e.actorLabel])).toEqual([
      ["platform.admin.grant", expect.stringMatching(/^cli:./), expect.stringMatching(/\(command line\)$/)],
      ["platform.admin.revoke", expect.stringMatching(/^cli:./), expect.stringMatching(/\(command line\)$/)],
    ]);
  });

  it("refuses unknown users and invalid e-mails", async () => {
    expect(await baton(["admin", "grant", "nobody@example.com"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "baton: No user with the e-mail nobody@example.com; create one with `baton user create`\n",
    });
    const invalid = await baton(["admin", "grant", "not-an-email"]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/Enter a valid e-mail address/);
  });
});

describe("the workspace list", () => {
  it("shows every workspace with plan, status, this month's use and counts", async () => {
    const workspace = owner.workspace;
    await owner.api.dags.push({
      workspace: workspace.slug,
      document: { id: "listed", tasks: [{ id: "t", operator: "noop" }] },
    });
    meter(workspace.id, { taskRuns: 7, taskSeconds: 12.4 });
    // Last month's use does not count for this month.
    const lastMonth = new Date();
    lastMonth.setUTCDate(0);
    meter(workspace.id, { taskRuns: 100 }, lastMonth);
    await flushUsage();

    const { workspaces, total } = await admin.api.platform.workspaces({ search: workspace.slug });
    expect(total).toBe(1);
    expect(workspaces).toEqual([
      expect.objectContaining({
        slug: workspace.slug,
        name: workspace.name,
        planKey: "free",
        planName: "Free",
        status: "active",
        taskRuns: 7,
        taskSeconds: 12,
        maxTaskRunsPerMonth: freeQuotas.maxTaskRunsPerMonth,
        dags: 1,
        members: 1,
        runningRuns: 0,
      }),
    ]);
    const all = await admin.api.platform.workspaces({});
    expect(all.workspaces.map((w) => w.slug)).toEqual(
      expect.arrayContaining([owner.workspace.slug, admin.workspace.slug]),
    );
    expect((await admin.api.platform.workspaces({ search: "no-such-workspace-here" })).workspaces).toEqual(
      [],
    );
  });

  it("finds a workspace by an Owner's e-mail, not by another member's", async () => {
    const customer = await createUser("customer");
    const editor = await createUser("helper");
    await db.membership.create({
      data: { workspaceId: customer.workspace.id, userId: editor.user.id, role: "EDITOR" },
    });
    const byOwner = await admin.api.platform.workspaces({ search: customer.email.toUpperCase() });
    expect(byOwner.workspaces.map((w) => w.slug)).toEqual([customer.workspace.slug]);
    const byEditor = await admin.api.platform.workspaces({ search: editor.email });
    expect(byEditor.workspaces.map((w) => w.slug)).toEqual([editor.workspace.slug]);
  });

  it("answers NOT_FOUND for an unknown workspace", async () => {
    expect(await codeOf(admin.api.platform.workspace({ workspace: "no-such-workspace" }))).toBe("NOT_FOUND");
  });
});

describe("plans and overrides", () => {
  it("changing the plan changes the effective quotas, and a run queued by a monthly quota starts", async () => {
    const person = await createUser("tenant");
    const slug = person.workspace.slug;
    await admin.api.platform.createPlan(planInput("tiny", { maxTaskRunsPerMonth: 1, maxDags: 3 }));
    await admin.api.platform.createPlan(
      planInput("roomy", { maxTaskRunsPerMonth: 5000, maxDags: 300 }, "refuse"),
    );
    const onTiny = await admin.api.platform.changePlan({ workspace: slug, planKey: "tiny" });
    expect(onTiny.plan.key).toBe("tiny");
    expect(onTiny.effective).toMatchObject({ maxTaskRunsPerMonth: 1, maxDags: 3 });
    expect(onTiny.overQuotaPolicy).toBe("queue");

    // The month's one task run is used up: a new run waits, saying why.
    await person.api.dags.push({
      workspace: slug,
      document: { id: "nightly", tasks: [{ id: "t", operator: "noop" }] },
    });
    meter(person.workspace.id, { taskRuns: 1 });
    await flushUsage();
    const { id: runId } = await person.api.runs.trigger({ workspace: slug, dagId: "nightly" });
    const queued = await db.dagRun.findUniqueOrThrow({ where: { id: runId } });
    expect(queued.state).toBe("queued");
    expect(queued.stateReason).toMatch(/maxTaskRunsPerMonth/);

    const onRoomy = await admin.api.platform.changePlan({ workspace: slug, planKey: "roomy" });
    expect(onRoomy.effective).toEqual({ ...freeQuotas, maxTaskRunsPerMonth: 5000, maxDags: 300 });
    const columns = await db.workspace.findUniqueOrThrow({ where: { id: person.workspace.id } });
    expect(quotasOf(columns)).toEqual(onRoomy.effective);
    expect(columns.overQuotaPolicy).toBe("refuse");
    // The change nudged the engine: the waiting run started without anything else happening.
    const started = await db.dagRun.findUniqueOrThrow({ where: { id: runId } });
    expect(started.state).toBe("running");
    expect(started.stateReason).toBeNull();

    expect((await eventsOf(person.workspace.id, "platform.workspace.plan")).map((e) => e.metadata)).toEqual([
      { from: "free", to: "tiny" },
      { from: "tiny", to: "roomy" },
    ]);
    const [event] = await eventsOf(person.workspace.id, "platform.workspace.plan");
    // Members read the role; the installation's log keeps who it was.
    expect(event).toMatchObject({ actor: "platform", actorLabel: "Platform administrator", target: slug });
    const installation = await db.auditEvent.findFirst({
      where: { workspaceId: null, action: "platform.workspace.plan", target: slug },
    });
    expect(installation).toMatchObject({ actor: admin.user.id, actorLabel: admin.email, target: slug });
  });

  it("refuses a plan that does not exist, naming the field", async () => {
    expect(
      await problemsOf(admin.api.platform.changePlan({ workspace: owner.workspace.slug, planKey: "gold" })),
    ).toEqual({
      code: "BAD_REQUEST",
      problems: [{ path: "planKey", message: 'There is no plan "gold"' }],
    });
  });

  it("overrides sit on top of the plan and raise a quota that held a run back", async () => {
    const person = await createUser("override");
    const slug = person.workspace.slug;
    await admin.api.platform.createPlan(planInput("one-run", { maxTaskRunsPerMonth: 1 }));
    await admin.api.platform.changePlan({ workspace: slug, planKey: "one-run" });
    await person.api.dags.push({
      workspace: slug,
      document: { id: "hourly", tasks: [{ id: "t", operator: "noop" }] },
    });
    meter(person.workspace.id, { taskRuns: 1 });
    await flushUsage();
    const { id: runId } = await person.api.runs.trigger({ workspace: slug, dagId: "hourly" });
    expect((await db.dagRun.findUniqueOrThrow({ where: { id: runId } })).state).toBe("queued");

    const saved = await admin.api.platform.setOverrides({
      workspace: slug,
      overrides: { maxTaskRunsPerMonth: 10, maxMembers: 2 },
    });
    expect(saved.overrides).toEqual({ maxTaskRunsPerMonth: 10, maxMembers: 2 });
    expect(saved.plan.quotas.maxTaskRunsPerMonth).toBe(1);
    expect(saved.effective).toEqual({ ...freeQuotas, maxTaskRunsPerMonth: 10, maxMembers: 2 });
    expect((await db.dagRun.findUniqueOrThrow({ where: { id: runId } })).state).toBe("running");

    // A later plan change keeps the overrides on top.
    await admin.api.platform.updatePlan(planInput("one-run", { maxTaskRunsPerMonth: 2, maxPools: 1 }));
    const after = await admin.api.platform.workspace({ workspace: slug });
    expect(after.effective).toEqual({ ...freeQuotas, maxTaskRunsPerMonth: 10, maxMembers: 2, maxPools: 1 });
    const updates = await eventsOf(person.workspace.id, "platform.plan.update");
    expect(updates.map((e) => e.metadata)).toEqual([
      {
        changes: { maxTaskRunsPerMonth: { from: 1, to: 2 }, maxPools: { from: freeQuotas.maxPools, to: 1 } },
        workspaces: 1,
      },
    ]);

    // A save that changes nothing records nothing; a rename says so, for the installation only.
    const plan = planInput("one-run", { maxTaskRunsPerMonth: 2, maxPools: 1 });
    const installationUpdates = () =>
      db.auditEvent.findMany({
        where: { workspaceId: null, action: "platform.plan.update", target: "one-run" },
        orderBy: { id: "asc" },
      });
    const before = (await installationUpdates()).length;
    await admin.api.platform.updatePlan(plan);
    expect(await installationUpdates()).toHaveLength(before);
    await admin.api.platform.updatePlan({ ...plan, name: "One run" });
    const renamed = (await installationUpdates()).at(-1)!;
    expect(renamed.metadata).toEqual({
      changes: { name: { from: "Plan one-run", to: "One run" } },
      workspaces: 1,
    });
    expect(await eventsOf(person.workspace.id, "platform.plan.update")).toHaveLength(1);

    // Clearing them brings back the plan's values.
    const cleared = await admin.api.platform.setOverrides({ workspace: slug, overrides: {} });
    expect(cleared.effective).toEqual({ ...freeQuotas, maxTaskRunsPerMonth: 2, maxPools: 1 });
    expect(
      (await eventsOf(person.workspace.id, "platform.workspace.overrides")).map((e) => e.metadata),
    ).toEqual([
      { from: {}, to: { maxTaskRunsPerMonth: 10, maxMembers: 2 } },
      { from: { maxTaskRunsPerMonth: 10, maxMembers: 2 }, to: {} },
    ]);
  });

  it("refuses invalid overrides with a problem naming each field, and changes nothing", async () => {
    const slug = owner.workspace.slug;
    const before = await db.workspace.findUniqueOrThrow({ where: { slug } });
    const refused = await problemsOf(
      admin.api.platform.setOverrides({
        workspace: slug,
        overrides: { maxDags: -1, maxOutputBytes: 1.5, maxPools: "many", bogus: 3 },
      }),
    );
    expect(refused.code).toBe("BAD_REQUEST");
    expect(refused.problems).toEqual(
      expect.arrayContaining([
        { path: "overrides.maxDags", message: "DAGs (maxDags) must be a whole number from 0 to 2147483647" },
        {
          path: "overrides.maxOutputBytes",
          message: "Output size per task (maxOutputBytes) must be a whole number from 0 to 2147483647",
        },
        {
          path: "overrides.maxPools",
          message: "Pools (maxPools) must be a whole number from 0 to 2147483647",
        },
        { path: "overrides.bogus", message: '"bogus" is not a quota' },
      ]),
    );
    expect(refused.problems).toHaveLength(4);
    expect(await db.workspace.findUniqueOrThrow({ where: { slug } })).toEqual(before);
  });

  it("creates plans with every quota, names missing or invalid ones, and refuses a taken key", async () => {
    const { maxPools: _, ...withoutPools } = freeQuotas;
    const missing = await problemsOf(
      admin.api.platform.createPlan({
        ...planInput("partial"),
        quotas: { ...withoutPools, maxDags: 2 ** 31 },
      }),
    );
    expect(missing).toEqual({
      code: "BAD_REQUEST",
      problems: expect.arrayContaining([
        { path: "quotas.maxPools", message: "Pools (maxPools) must be a whole number from 0 to 2147483647" },
        { path: "quotas.maxDags", message: "DAGs (maxDags) must be a whole number from 0 to 2147483647" },
      ]),
    });
    expect(await db.plan.findUnique({ where: { key: "partial" } })).toBeNull();

    const badKey = await problemsOf(admin.api.platform.createPlan(planInput("Not A Key")));
    expect(badKey.problems).toEqual([
      { path: "key", message: "Plan keys are lowercase letters, digits and dashes" },
    ]);

    const created = await admin.api.platform.createPlan(planInput("team", { maxMembers: 50 }));
    expect(created).toMatchObject({ key: "team", workspaces: 0, quotas: { maxMembers: 50 } });
    expect(await problemsOf(admin.api.platform.createPlan(planInput("team")))).toMatchObject({
      code: "CONFLICT",
      problems: [{ path: "key" }],
    });
    expect((await admin.api.platform.plans()).map((p) => p.key)).toEqual(
      expect.arrayContaining(["free", "team"]),
    );
    const [event] = await db.auditEvent.findMany({
      where: { action: "platform.plan.create", target: "team" },
    });
    expect(event).toMatchObject({ workspaceId: null, actorLabel: admin.email });
    expect(await codeOf(admin.api.platform.updatePlan(planInput("nonexistent")))).toBe("NOT_FOUND");
  });
});

describe("suspension", () => {
  it("suspends and resumes, audit-logged, and members see why", async () => {
    const person = await createUser("suspended");
    const slug = person.workspace.slug;
    const suspended = await admin.api.platform.suspend({ workspace: slug, reason: "  Unpaid invoice  " });
    expect(suspended).toMatchObject({ status: "suspended", suspendedReason: "Unpaid invoice" });
    expect(await person.api.workspace.get({ workspace: slug })).toMatchObject({
      suspendedAt: expect.any(Date),
      suspendedReason: "Unpaid invoice",
    });
    const listed = await admin.api.platform.workspaces({ search: slug });
    expect(listed.workspaces[0]).toMatchObject({ status: "suspended" });
    expect(
      (await problemsOf(admin.api.platform.suspend({ workspace: slug, reason: "   " }))).problems,
    ).toEqual([{ path: "reason", message: "Give the reason members will see" }]);

    const resumed = await admin.api.platform.resume({ workspace: slug });
    expect(resumed).toMatchObject({ status: "active", suspendedAt: null, suspendedReason: null });
    expect(await person.api.workspace.get({ workspace: slug })).toMatchObject({ suspendedAt: null });
    expect(await codeOf(admin.api.platform.resume({ workspace: slug }))).toBe("CONFLICT");

    const events = await db.auditEvent.findMany({
      where: { workspaceId: person.workspace.id, action: { startsWith: "platform.workspace." } },
      orderBy: { id: "asc" },
    });
    expect(events.map((e) => [e.action, e.actor, e.actorLabel])).toEqual([
      ["platform.workspace.suspend", "platform", "Platform administrator"],
      ["platform.workspace.resume", "platform", "Platform administrator"],
    ]);
    const detail = await admin.api.platform.workspace({ workspace: slug });
    expect(detail.events.map((e) => e.action)).toEqual(
      expect.arrayContaining(["platform.workspace.suspend", "platform.workspace.resume"]),
    );
  });
});

describe("everyone but platform administrators", () => {
  /** A valid input for each platform procedure; a new procedure without one fails below. */
  const inputs: Record<string, () => unknown> = {
    "platform.workspaces": () => ({}),
    "platform.workspace": () => ({ workspace: owner.workspace.slug }),
    "platform.changePlan": () => ({ workspace: owner.workspace.slug, planKey: "free" }),
    "platform.setOverrides": () => ({ workspace: owner.workspace.slug, overrides: { maxDags: 1000 } }),
    "platform.suspend": () => ({ workspace: owner.workspace.slug, reason: "takeover" }),
    "platform.resume": () => ({ workspace: owner.workspace.slug }),
    "platform.restore": () => ({ workspace: owner.workspace.slug }),
    "platform.users": () => ({}),
    "platform.disableUser": () => ({ userId: admin.user.id, reason: "takeover" }),
    "platform.enableUser": () => ({ userId: admin.user.id }),
    "platform.revokeUserSessions": () => ({ userId: admin.user.id }),
    "platform.resetUserPassword": () => ({ userId: admin.user.id }),
    "platform.auditEvents": () => ({}),
    "platform.exportAuditEvents": () => ({ format: "json" }),
    "platform.runRetention": () => ({ workspace: owner.workspace.slug }),
    "platform.archivePlan": () => ({ key: "free", archived: false }),
    "platform.alerts": () => undefined,
    "platform.workspaceUsage": () => ({ workspace: owner.workspace.slug }),
    "platform.exportUsage": () => ({ month: "2026-12", format: "json" }),
    "platform.exportWorkspaceData": () => ({ workspace: owner.workspace.slug }),
    "platform.eraseWorkspace": () => ({ workspace: owner.workspace.slug, confirm: owner.workspace.slug }),
    "platform.plans": () => undefined,
    "platform.createPlan": () => planInput("sneaky"),
    "platform.updatePlan": () => planInput("free", { maxDags: 100_000 }),
    "platform.workerPools": () => undefined,
    "platform.tokens": () => undefined,
    "platform.createToken": () => ({ name: "sneaky" }),
    "platform.revokeToken": () => ({ tokenId: "00000000-0000-4000-8000-000000000000" }),
    "platform.assignWorkerPool": () => ({ workspace: owner.workspace.slug, workerPool: "dedicated:sneaky" }),
  };
  const platformProcedures = Object.keys(appRouter._def.procedures).filter((name) =>
    name.startsWith("platform."),
  );

  function call(api: ReturnType<typeof apiAs>, name: string) {
    const procedure = name
      .split(".")
      .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], api) as (
      input: unknown,
    ) => Promise<unknown>;
    return procedure(inputs[name]!());
  }

  it("has an input for every platform procedure", () => {
    expect(platformProcedures.sort()).toEqual(Object.keys(inputs).sort());
  });

  it("a workspace owner who is not a platform administrator gets FORBIDDEN, and nothing changes", async () => {
    const before = await db.workspace.findUniqueOrThrow({ where: { id: owner.workspace.id } });
    for (const name of platformProcedures)
      expect(await codeOf(call(owner.api, name)), name).toBe("FORBIDDEN");
    expect(await db.workspace.findUniqueOrThrow({ where: { id: owner.workspace.id } })).toEqual(before);
    expect(await db.plan.findUnique({ where: { key: "sneaky" } })).toBeNull();
    expect((await db.plan.findUniqueOrThrow({ where: { key: "free" } })).maxDags).toBe(freeQuotas.maxDags);
  });

  it("an API token gets FORBIDDEN, even one of a platform administrator's workspace", async () => {
    const scope = await openWorkspace(admin.caller, admin.workspace.slug, "tokens:manage");
    const { token } = await createToken(scope, { name: "automation", role: "OWNER" });
    const tokenApi = apiAs(await authenticateToken(token));
    for (const name of platformProcedures) expect(await codeOf(call(tokenApi, name)), name).toBe("FORBIDDEN");
  });

  it("a caller without a session gets UNAUTHORIZED", async () => {
    for (const name of platformProcedures)
      expect(await codeOf(call(apiAs(null), name)), name).toBe("UNAUTHORIZED");
  });

  it("the account tells the web app who may see the console link", async () => {
    expect(await admin.api.account.me()).toMatchObject({ platformAdmin: true });
    expect(await owner.api.account.me()).toMatchObject({ platformAdmin: false });
  });

  it("the quota keys the console lists are the catalogue's", () => {
    expect(Object.keys(freeQuotas).sort()).toEqual([...quotaKeys].sort());
  });
});
