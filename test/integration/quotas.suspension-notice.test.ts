// What a suspension means to those outside the platform console: webhook senders are asked to
// retry later (503 with Retry-After, nothing internal in the body; the reason in the delivery log),
// API tokens may read but not write, the workspace's Owners are told (suspended, then resumed),
// and the workspace's audit log names "Platform administrator", never the operator's e-mail or
// address, while the installation's log keeps who it was.
import { beforeAll, describe, expect, it } from "vitest";
import { POST } from "@/app/api/hooks/[endpointId]/route";
import { pushDag } from "@/server/dags/service";
import { db } from "@/server/db/client";
import { generateKey } from "@/server/secrets/crypto";
import { workspaceScope } from "../support/engine";
import { apiAs, createUser } from "../support/factories";
import { restClient } from "../support/rest";

let owner: Awaited<ReturnType<typeof createUser>>;
let editor: Awaited<ReturnType<typeof createUser>>;
let admin: Awaited<ReturnType<typeof createUser>>;

beforeAll(async () => {
  process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;
  owner = await createUser("owner");
  editor = await createUser("editor");
  admin = await createUser("operator");
  await db.user.update({ where: { id: admin.user.id }, data: { platformAdmin: true } });
  await db.membership.create({
    data: { workspaceId: owner.workspace.id, userId: editor.user.id, role: "EDITOR" },
  });
});

const adminApi = () => apiAs({ kind: "user", userId: admin.user.id, email: admin.email, ip: "203.0.113.7" });

async function deliver(id: string, secret: string) {
  const response = await POST(
    new Request(`http://hooks.example.com/api/hooks/${id}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-baton-token": secret },
      body: "{}",
    }),
    { params: Promise.resolve({ endpointId: id }) },
  );
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    body: await response.json(),
  };
}

describe("a suspension, seen from outside the console", () => {
  it("asks webhook senders to retry, keeps tokens to reading, tells the owners, and names no person", async () => {
    const slug = owner.workspace.slug;
    const scope = await workspaceScope(owner.workspace.id);
    await pushDag(scope, { document: { id: "hooked", tasks: [{ id: "t", operator: "noop" }] } });
    const hook = await owner.api.webhooks.create({
      workspace: slug,
      dagId: "hooked",
      name: "ci",
      authMode: "token",
    });
    const { token } = await owner.api.tokens.create({ workspace: slug, name: "ci", role: "ADMIN" });
    const rest = restClient(token);

    await adminApi().platform.suspend({ workspace: slug, reason: "Abuse investigation #4411" });

    // Webhooks: 503 + Retry-After, a generic body; the delivery log has the reason.
    const answer = await deliver(hook.id, hook.secret!);
    expect(answer).toMatchObject({ status: 503, retryAfter: "300" });
    expect(answer.body.error.code).toBe("SERVICE_UNAVAILABLE");
    expect(JSON.stringify(answer.body)).not.toContain("Abuse");
    const [logged] = (await owner.api.webhooks.deliveries({ workspace: slug, webhookId: hook.id })).items;
    expect(logged).toMatchObject({ statusCode: 503, result: "suspended" });
    expect(logged!.message).toContain("Abuse investigation #4411");

    // Tokens: reads work, writes are refused naming the suspension; nothing is written.
    expect((await rest.GET("/dags")).response.status).toBe(200);
    expect((await rest.GET("/variables")).response.status).toBe(200);
    const created = await rest.POST("/variables", { body: { key: "region", value: "eu" } });
    expect(created.response.status).toBe(403);
    expect(JSON.stringify(created.error)).toContain(
      "This workspace is suspended (Abuse investigation #4411). API tokens can read it but not change it",
    );
    const pushed = await rest.PUT("/dags/{dagId}", {
      params: { path: { dagId: "other" } },
      body: { id: "other", tasks: [{ id: "t", operator: "noop" }] },
    });
    expect(pushed.response.status).toBe(403);
    expect(await db.variable.count({ where: { workspaceId: owner.workspace.id } })).toBe(0);
    expect(await db.dag.count({ where: { workspaceId: owner.workspace.id, key: "other" } })).toBe(0);

    // Owners are told; other members are not.
    const notices = await db.notification.findMany({
      where: { workspaceId: owner.workspace.id, kind: "workspace_suspension" },
    });
    expect(notices.map((n) => n.userId)).toEqual([owner.user.id]);
    expect(notices[0]!.body).toContain("Abuse investigation #4411");

    await adminApi().platform.resume({ workspace: slug });
    expect(
      await db.notification.count({
        where: { workspaceId: owner.workspace.id, kind: "workspace_suspension", userId: owner.user.id },
      }),
    ).toBe(2);
    expect((await rest.POST("/variables", { body: { key: "region", value: "eu" } })).response.status).toBe(
      201,
    );
    expect((await deliver(hook.id, hook.secret!)).status).toBeLessThan(300);

    // The workspace's log: the role, no e-mail, no address. The installation's log: who.
    const tenantSide = await owner.api.audit.list({ workspace: slug, limit: 100 });
    const platformEvents = tenantSide.items.filter((e) => e.action.startsWith("platform."));
    expect(platformEvents.map((e) => [e.action, e.actorLabel])).toEqual([
      ["platform.workspace.resume", "Platform administrator"],
      ["platform.workspace.suspend", "Platform administrator"],
    ]);
    expect(JSON.stringify(platformEvents)).not.toContain(admin.email);
    expect(JSON.stringify(platformEvents)).not.toContain("203.0.113.7");
    const installation = await db.auditEvent.findMany({
      where: { workspaceId: null, action: { startsWith: "platform.workspace." }, target: slug },
      orderBy: { id: "asc" },
    });
    expect(installation.map((e) => [e.action, e.actor, e.actorLabel, e.ip])).toEqual([
      ["platform.workspace.suspend", admin.user.id, admin.email, "203.0.113.7"],
      ["platform.workspace.resume", admin.user.id, admin.email, "203.0.113.7"],
    ]);
  });
});
