// The installation's audit log: plan changes, administrator grants from the CLI under the name of
// the operator who ran it, workspace deletions, filtered and exported as CSV or JSON; tenants see
// the same platform changes under "Platform administrator", never the person.

import type { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, it } from "vitest";
import { problemsOf } from "@/server/api/trpc";
import { db } from "@/server/db/client";
import { type Quotas, quotasOf } from "@/server/quotas/catalog";
import { baton } from "../support/cli";
import { createUser } from "../support/factories";

type Person = Awaited<ReturnType<typeof createUser>>;
let admin: Person;
let freeQuotas: Quotas;

beforeAll(async () => {
  admin = await createUser("admin");
  freeQuotas = quotasOf(await db.plan.findUniqueOrThrow({ where: { key: "free" } }));
  const granted = await baton(["admin", "grant", admin.email, "--as", "root-operator"]);
  expect(granted, granted.stderr).toMatchObject({ code: 0 });
});

const plan = (key: string, name: string, quotas: Partial<Quotas> = {}) => ({
  key,
  name,
  description: "",
  overQuotaPolicy: "refuse" as const,
  quotas: { ...freeQuotas, ...quotas },
});

describe("the installation's audit log", () => {
  it("lists plan changes and administrator grants under who did them; a no-op save adds nothing", async () => {
    const key = `gold-${Date.now().toString(36)}`;
    await admin.api.platform.createPlan(plan(key, "Gold"));
    await admin.api.platform.updatePlan(plan(key, `Gold, "yearly"`));
    await admin.api.platform.updatePlan(plan(key, `Gold, "yearly"`));

    const plans = await admin.api.platform.auditEvents({ action: "platform.plan.", search: key });
    expect(plans.items.map((e) => [e.action, e.actorLabel])).toEqual([
      ["platform.plan.update", admin.email],
      ["platform.plan.create", admin.email],
    ]);
    expect(plans.items[0]!.metadata).toMatchObject({
      changes: { name: { from: "Gold", to: `Gold, "yearly"` } },
    });
    expect(plans.items[0]!.ip).toBe("127.0.0.1");

    const grants = await admin.api.platform.auditEvents({ action: "platform.admin.", search: admin.email });
    expect(grants.items).toEqual([
      expect.objectContaining({
        action: "platform.admin.grant",
        actor: "cli:root-operator",
        actorLabel: "root-operator (command line)",
        target: admin.email,
      }),
    ]);
    // Account events (sign-ins and the like) are not platform events.
    const all = await admin.api.platform.auditEvents({ search: admin.email, limit: 200 });
    expect(
      all.items.every((e) => e.action.startsWith("platform.") || e.action.startsWith("workspace.")),
    ).toBe(true);
  });

  it("has workspace deletions, and pages newest first without repeats", async () => {
    const owner = await createUser("leaving");
    const { slug } = owner.workspace;
    await owner.api.workspace.delete({ workspace: slug, confirm: slug });
    const deleted = await admin.api.platform.auditEvents({ action: "workspace.delete", search: slug });
    expect(deleted.items).toEqual([
      expect.objectContaining({ action: "workspace.delete", actorLabel: owner.email, target: slug }),
    ]);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await admin.api.platform.auditEvents({ limit: 2, cursor });
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.map(BigInt)).toEqual([...seen.map(BigInt)].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)));
    expect(seen).toContain(deleted.items[0]!.id);
  });

  it("exports the filtered events as CSV and JSON, the same events as the page", async () => {
    const key = `export-${Date.now().toString(36)}`;
    await admin.api.platform.createPlan(plan(key, "Export"));
    await admin.api.platform.updatePlan(plan(key, `Export, "quoted"\nline`));
    const page = await admin.api.platform.auditEvents({ search: key });
    expect(page.items).toHaveLength(2);

    const json = await admin.api.platform.exportAuditEvents({ search: key, format: "json" });
    expect(json).toMatchObject({
      contentType: "application/json",
      filename: expect.stringMatching(/\.json$/),
    });
    const rows = JSON.parse(json.body) as {
      id: string;
      action: string;
      actorLabel: string;
      metadata: unknown;
    }[];
    expect(rows.map((r) => r.id)).toEqual(page.items.map((e) => e.id));
    expect(rows[0]).toMatchObject({ action: "platform.plan.update", actorLabel: admin.email });

    const csv = await admin.api.platform.exportAuditEvents({ search: key, format: "csv" });
    expect(csv.contentType).toBe("text/csv; charset=utf-8");
    const [header, ...lines] = csv.body.trimEnd().split("\n");
    expect(header).toBe("id,createdAt,actor,actorLabel,action,target,ip,metadata");
    // Quotes are doubled inside a quoted field; the name's newline travels as \n inside the JSON.
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(`${page.items[0]!.id},`);
    expect(lines[0]).toContain(`""to"":""Export, \\""quoted\\""\\nline""`);
  });

  it("refuses bad filters naming the field", async () => {
    for (const [input, path] of [
      [{ from: "yesterday-ish" }, "from"],
      [{ action: "DROP TABLE" }, "action"],
    ] as const) {
      const error = (await admin.api.platform.auditEvents(input as never).catch((e) => e)) as TRPCError;
      expect(error.code).toBe("BAD_REQUEST");
      expect(problemsOf(error).map((p) => p.path)).toEqual([path]);
    }
    const format = (await admin.api.platform
      .exportAuditEvents({ format: "xml" } as never)
      .catch((e) => e)) as TRPCError;
    expect(problemsOf(format).map((p) => p.path)).toEqual(["format"]);
  });

  it("tenants see platform changes as the Platform administrator, with no e-mail or address", async () => {
    const owner = await createUser("tenant");
    await admin.api.platform.suspend({ workspace: owner.workspace.slug, reason: "unpaid invoice" });
    await admin.api.platform.resume({ workspace: owner.workspace.slug });
    const theirs = await owner.api.audit.list({ workspace: owner.workspace.slug });
    const platformEvents = theirs.items.filter((e) => e.action.startsWith("platform."));
    expect(platformEvents.map((e) => e.action).sort()).toEqual([
      "platform.workspace.resume",
      "platform.workspace.suspend",
    ]);
    for (const event of platformEvents) {
      expect(event).toMatchObject({ actorLabel: "Platform administrator", ip: null });
      expect(JSON.stringify(event)).not.toContain(admin.email);
    }
    // The installation's log has who did it.
    const ours = await admin.api.platform.auditEvents({
      search: owner.workspace.slug,
      action: "platform.workspace.",
    });
    expect(ours.items.map((e) => e.actorLabel)).toEqual([admin.email, admin.email]);
  });
});
