// The public REST API as a client sees it: bearer tokens, JSON in and out, 4xx for every kind of
// bad input, pages, and the OpenAPI document. Calls go through the generated client (or `raw`
// for malformed ones); every answer is checked against the document (test/support/rest.ts).
import SwaggerParser from "@apidevtools/swagger-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { unwrap } from "@/server/client";
import { db } from "@/server/db/client";
import { createUser } from "../support/factories";
import { raw as call, restClient } from "../support/rest";

let owner: Awaited<ReturnType<typeof createUser>>;
let adminToken: string;
let viewerToken: string;

beforeAll(async () => {
  owner = await createUser("rest");
  adminToken = (
    await owner.api.tokens.create({ workspace: owner.workspace.slug, name: "admin", role: "ADMIN" })
  ).token;
  viewerToken = (
    await owner.api.tokens.create({ workspace: owner.workspace.slug, name: "viewer", role: "VIEWER" })
  ).token;
});

describe("tokens", () => {
  it("authenticate, act with their role in their workspace, and record last use", async () => {
    const viewer = restClient(viewerToken);
    const me = await unwrap(viewer.GET("/workspace"));
    expect(me).toMatchObject({ slug: owner.workspace.slug, role: "VIEWER" });
    expect((await viewer.GET("/tokens")).response.status).toBe(403);
    const listed = await unwrap(restClient(adminToken).GET("/tokens"));
    expect(listed.items.map((t) => t.name).sort()).toEqual(["admin", "viewer"]);
    expect(listed.items.find((t) => t.name === "viewer")!.lastUsedAt).not.toBeNull();
    const stored = await db.apiToken.findMany({ where: { workspaceId: owner.workspace.id } });
    for (const token of stored) expect(token.tokenHash).not.toContain(viewerToken);
  });

  it("stop working once revoked", async () => {
    const admin = restClient(adminToken);
    const created = await admin.POST("/tokens", { body: { name: "short-lived", role: "VIEWER" } });
    expect(created.response.status).toBe(201);
    const token = created.data!.token;
    expect(token).toMatch(/^baton_/);
    expect((await restClient(token).GET("/workspace")).response.status).toBe(200);
    const revoked = await admin.DELETE("/tokens/{tokenId}", {
      params: { path: { tokenId: created.data!.id } },
    });
    expect(revoked.response.status).toBe(204);
    const after = await restClient(token).GET("/workspace");
    expect(after.response.status).toBe(401);
    expect(after.error?.error.message).toMatch(/revoked/);
  });

  it("cannot be minted above the creator's role", async () => {
    const response = await restClient(adminToken).POST("/tokens", {
      body: { name: "escalate", role: "OWNER" },
    });
    expect(response.response.status).toBe(403);
  });
});

describe("bad input gets a 4xx naming the problem, never a 500", () => {
  it.each([
    ["no token", "GET", "/members", {}, 401, /Authorization: Bearer/],
    ["a made-up token", "GET", "/members", { token: "baton_nope" }, 401, /Invalid, expired or revoked/],
    ["an unknown route", "GET", "/nothing-here", { token: "t" }, 404, /No API route/],
    ["a wrong method", "PUT", "/members", { token: "t" }, 405, /not allowed/],
  ] as const)("%s", async (_name, method, path, options, status, message) => {
    const response = await call(method, path, options as { token?: string });
    expect(response.status).toBe(status);
    expect(response.body.error.message).toMatch(message);
  });

  it("malformed JSON", async () => {
    const response = await call("POST", "/invitations", { token: adminToken, body: "{ not json" });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/not valid JSON/);
  });

  it("a body that is not an object", async () => {
    const response = await call("POST", "/invitations", { token: adminToken, body: "[1,2]" });
    expect(response.status).toBe(400);
  });

  it("wrong types, with every failing field named", async () => {
    const response = await call("POST", "/invitations", {
      token: adminToken,
      body: JSON.stringify({ email: 42, role: "KING" }),
    });
    expect(response.status).toBe(400);
    expect(response.body.error.problems.map((p: { path: string }) => p.path).sort()).toEqual([
      "email",
      "role",
    ]);
  });

  it("an oversized body", async () => {
    const response = await call("POST", "/invitations", {
      token: adminToken,
      body: JSON.stringify({ email: "x".repeat(2_000_000) }),
    });
    expect(response.status).toBe(413);
  });

  it("unknown and malformed ids", async () => {
    expect(
      (await call("DELETE", "/tokens/00000000-0000-4000-8000-000000000000", { token: adminToken })).status,
    ).toBe(404);
    const malformed = await call("PATCH", "/members/not-a-uuid", {
      token: adminToken,
      body: JSON.stringify({ role: "VIEWER" }),
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.problems[0].path).toBe("memberId");
  });
});

describe("OpenAPI", () => {
  it("serves a document the standard validator accepts, without a token", async () => {
    const { status, body } = await call("GET", "/openapi.json");
    expect(status).toBe(200);
    await expect(SwaggerParser.validate(body)).resolves.toBeDefined();
  });

  it("publishes every route with its input schema, without the workspace field", async () => {
    const { status, body } = await call("GET", "/openapi.json");
    expect(status).toBe(200);
    expect(body.openapi).toBe("3.1.0");
    const invite = body.paths["/invitations"].post;
    expect(invite.requestBody.content["application/json"].schema.required.sort()).toEqual(["email", "role"]);
    // A workspace token's workspace is its own; only the console's routes (platform tokens) name one.
    const operations = Object.entries(body.paths)
      .filter(([path]) => !path.startsWith("/platform/"))
      .flatMap(([, path]) => Object.values(path as object));
    for (const operation of operations) {
      expect(operation.parameters.map((p: { name: string }) => p.name)).not.toContain("workspace");
      expect(operation.requestBody?.content["application/json"].schema.properties ?? {}).not.toHaveProperty(
        "workspace",
      );
    }
    expect(body.paths["/members/{memberId}"].patch.parameters[0]).toMatchObject({
      name: "memberId",
      in: "path",
    });
  });
});

describe("lists answer pages", () => {
  it("follow nextCursor to the end, each item once and in order, rows added meanwhile not repeated", async () => {
    const admin = restClient(adminToken);
    for (const key of ["k1", "k2", "k3", "k4", "k5"]) {
      await unwrap(admin.POST("/variables", { body: { key, value: key } }));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await unwrap(admin.GET("/variables", { params: { query: { limit: 2, cursor } } }));
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((v) => v.key));
      // A row sorting before the cursor, added between pages, does not shift what comes next.
      if (pages === 0) await unwrap(admin.POST("/variables", { body: { key: "k0", value: 0 } }));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(seen).toEqual(["k1", "k2", "k3", "k4", "k5"]);
    expect(pages).toBe(3);
  });

  it("refuse a cursor that is not theirs with a 400 naming `cursor`", async () => {
    const response = await call("GET", "/variables?cursor=not-a-cursor", { token: adminToken });
    expect(response.status).toBe(400);
    expect(response.body.error.problems).toEqual([{ path: "cursor", message: expect.any(String) }]);
  });
});
