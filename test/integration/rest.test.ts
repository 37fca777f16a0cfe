// The public REST API as a client sees it: bearer tokens, JSON in and out, 4xx for every kind of
// bad input, and the OpenAPI document.
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { handleRest } from "@/server/rest/handler";
import { createUser } from "../support/factories";

let owner: Awaited<ReturnType<typeof createUser>>;
let adminToken: string;
let viewerToken: string;

async function call(
  method: string,
  path: string,
  options: { token?: string; body?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await handleRest(
    new Request(`http://localhost/api/v1${path}`, { method, headers, body: options.body }),
    path.split("?")[0]!,
  );
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

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
    const me = await call("GET", "/workspace", { token: viewerToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ slug: owner.workspace.slug, role: "VIEWER" });
    expect((await call("GET", "/tokens", { token: viewerToken })).status).toBe(403);
    const listed = await call("GET", "/tokens", { token: adminToken });
    expect(listed.body.map((t: { name: string }) => t.name).sort()).toEqual(["admin", "viewer"]);
    expect(listed.body.find((t: { name: string }) => t.name === "viewer").lastUsedAt).not.toBeNull();
    const stored = await db.apiToken.findMany({ where: { workspaceId: owner.workspace.id } });
    for (const token of stored) expect(token.tokenHash).not.toContain(viewerToken);
  });

  it("stop working once revoked", async () => {
    const created = await call("POST", "/tokens", {
      token: adminToken,
      body: JSON.stringify({ name: "short-lived", role: "VIEWER" }),
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^baton_/);
    expect((await call("GET", "/workspace", { token: created.body.token })).status).toBe(200);
    expect((await call("DELETE", `/tokens/${created.body.id}`, { token: adminToken })).status).toBe(204);
    const after = await call("GET", "/workspace", { token: created.body.token });
    expect(after.status).toBe(401);
    expect(after.body.error.message).toMatch(/revoked/);
  });

  it("cannot be minted above the creator's role", async () => {
    const response = await call("POST", "/tokens", {
      token: adminToken,
      body: JSON.stringify({ name: "escalate", role: "OWNER" }),
    });
    expect(response.status).toBe(403);
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
  it("publishes every route with its input schema, without the workspace field", async () => {
    const { status, body } = await call("GET", "/openapi.json");
    expect(status).toBe(200);
    expect(body.openapi).toBe("3.1.0");
    const invite = body.paths["/invitations"].post;
    expect(invite.requestBody.content["application/json"].schema.required.sort()).toEqual(["email", "role"]);
    expect(JSON.stringify(body)).not.toContain('"workspace"');
    expect(body.paths["/members/{memberId}"].patch.parameters[0]).toMatchObject({
      name: "memberId",
      in: "path",
    });
  });
});
