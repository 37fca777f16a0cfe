// The inputs the security review found answering 500 (issue 15, finding 7), each now a 4xx that
// names the field, and a 500 that carries no internal message. The fuzz test (api.fuzz.test.ts)
// looks for more; this file pins the known ones.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as trpcGet, POST as trpcPost } from "@/app/api/trpc/[trpc]/route";
import { db } from "@/server/db/client";
import { refuseForbiddenMethods } from "@/server/http/methods";
import { handleRest, registerDocument } from "@/server/rest/handler";
import { generateKey } from "@/server/secrets/crypto";
import { createUser } from "../support/factories";

process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

let owner: Awaited<ReturnType<typeof createUser>>;
let token: string;
let revoked: string;

async function rest(method: string, path: string, body?: unknown, bearer = token) {
  const response = await handleRest(
    new Request(`http://localhost/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    path.split("?")[0]!,
  );
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

beforeAll(async () => {
  owner = await createUser("bad-input");
  token = (await owner.api.tokens.create({ workspace: owner.workspace.slug, name: "t", role: "OWNER" }))
    .token;
  const other = await owner.api.tokens.create({ workspace: owner.workspace.slug, name: "r", role: "VIEWER" });
  await owner.api.tokens.revoke({ workspace: owner.workspace.slug, tokenId: other.id });
  revoked = other.token;
  await owner.api.dags.push({
    workspace: owner.workspace.slug,
    dagId: "d",
    document: JSON.stringify({
      id: "d",
      params: { p: { type: "string", default: "" } },
      tasks: [{ id: "t", operator: "noop" }],
    }),
    format: "json",
  });
});

describe("bad input answers 4xx naming the field", () => {
  it("refuses NUL wherever a string is stored", async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ["POST", "/variables", { key: "v", value: "a\u0000b" }, "value"],
      ["POST", "/variables", { key: "v2", value: 1, description: "d\u0000" }, "description"],
      ["POST", "/dags/d/runs", { note: "n\u0000" }, "note"],
      ["POST", "/dags/d/runs", { params: { p: "x\u0000" } }, "params.p"],
      ["POST", "/secrets", { name: "S", value: "v", description: "\u0000" }, "description"],
      [
        "POST",
        "/connections",
        { name: "c", type: "postgres", config: { host: "db\u0000", port: 5432, database: "x", user: "u" } },
        "config.host",
      ],
      ["GET", "/runs?dagId=d%00", undefined, "dagId"],
    ];
    for (const [method, path, body, field] of cases) {
      const answer = await rest(method, path, body);
      expect([path, answer.status], JSON.stringify(answer.body)).toEqual([path, 400]);
      expect(answer.body.error.problems).toContainEqual({
        path: field,
        message: expect.stringMatching(/NUL/),
      });
    }
  });

  it("refuses lone surrogates and deep nesting, and stores nothing", async () => {
    const surrogate = await rest("POST", "/variables", { key: "s", value: "\ud800" });
    expect(surrogate.status).toBe(400);
    expect(surrogate.body.error.problems[0]).toMatchObject({ path: "value", message: /lone surrogate/ });
    const deep = await rest("POST", "/variables", {
      key: "deep",
      value: JSON.parse(`${"[".repeat(1000)}${"]".repeat(1000)}`),
    });
    expect(deep.status).toBe(400);
    expect(deep.body.error.problems[0].message).toMatch(/Nested deeper than 32 levels/);
    expect(await db.variable.count({ where: { workspaceId: owner.workspace.id } })).toBe(0);
  });

  it("answers bad percent-encoding in a path parameter with 400", async () => {
    for (const path of ["/dags/%", "/runs/%ZZ", "/variables/%E0%A4%A"]) {
      const answer = await rest("GET", path);
      expect(answer.status, path).toBe(400);
      expect(answer.body.error.message).toMatch(/percent-encoding/);
    }
  });

  it("answers numbers out of range with 400", async () => {
    const cursor = Buffer.from(JSON.stringify(["99999999999999999999999999"])).toString("base64url");
    for (const path of [
      `/audit?cursor=${cursor}`,
      "/dags/d/versions/99999999999",
      "/runs?limit=99999999999999999999999",
    ]) {
      const answer = await rest("GET", path);
      expect(answer.status, `${path}: ${JSON.stringify(answer.body)}`).toBe(400);
      expect(JSON.stringify(answer.body)).not.toMatch(/prisma|invocation|BigInt/i);
    }
  });
});

describe("tRPC", () => {
  it("answers an invalid or revoked bearer token 401, on public procedures too", async () => {
    for (const bearer of [revoked, "baton_unknown", "not-a-token"]) {
      for (const [handler, url, method] of [
        [trpcGet, "operators.list", "GET"],
        [
          trpcGet,
          `workspace.get?input=${encodeURIComponent(JSON.stringify({ json: { workspace: owner.workspace.slug } }))}`,
          "GET",
        ],
        [trpcPost, "account.signUp", "POST"],
      ] as const) {
        const response = await handler(
          new Request(`http://localhost/api/trpc/${url}`, {
            method,
            headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
            body: method === "POST" ? JSON.stringify({ json: {} }) : undefined,
          }),
        );
        expect([bearer, url, response.status]).toEqual([bearer, url, 401]);
      }
    }
  });

  it("refuses NUL in tRPC input with the field's path", async () => {
    const response = await trpcPost(
      new Request("http://localhost/api/trpc/variables.create", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({
          json: { workspace: owner.workspace.slug, key: "k", value: { a: ["\u0000"] } },
        }),
      }),
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { json: { data: { problems: unknown[] } } } };
    expect(body.error.json.data.problems).toEqual([
      { path: "value.a[0]", message: "Holds a NUL character (\\u0000), which cannot be stored" },
    ]);
  });
});

describe("a 500", () => {
  it("carries the request id and no internal message, over REST and tRPC", async () => {
    registerDocument("/broken", () => {
      throw new Error("internal detail: relation secret_table");
    });
    const answer = await rest("GET", "/broken");
    expect(answer.status).toBe(500);
    expect(answer.body.error.message).toMatch(/^Something went wrong/);
    expect(JSON.stringify(answer.body)).not.toMatch(/internal detail|secret_table/);

    // A failure inside a procedure: the tenant role loses its right to read variables.
    await db.$executeRawUnsafe(`REVOKE SELECT ON "Variable" FROM baton_tenant`);
    try {
      const response = await trpcGet(
        new Request(
          `http://localhost/api/trpc/variables.list?input=${encodeURIComponent(JSON.stringify({ json: { workspace: owner.workspace.slug } }))}`,
          { headers: { authorization: `Bearer ${token}`, "x-request-id": "fuzz-request-0001" } },
        ),
      );
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).not.toMatch(/permission denied|prisma|adapter/i);
      expect(JSON.parse(text).error.json).toMatchObject({
        message: "Something went wrong on our side (request fuzz-request-0001)",
        data: { code: "INTERNAL_SERVER_ERROR", requestId: "fuzz-request-0001" },
      });
    } finally {
      await db.$executeRawUnsafe(`GRANT SELECT ON "Variable" TO baton_tenant`);
    }
  });
});

describe("methods fetch forbids", () => {
  let server: http.Server;
  beforeAll(async () => {
    refuseForbiddenMethods();
    server = http.createServer((_request, response) => {
      response.writeHead(200).end("framework reached");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("answers TRACE 405 before the framework sees it", async () => {
    const { port } = server.address() as AddressInfo;
    const answer = await new Promise<{ status: number; allow: string | undefined; body: string }>(
      (resolve, reject) => {
        const request = http.request(
          { host: "127.0.0.1", port, method: "TRACE", path: "/api/v1/dags" },
          (response) => {
            let body = "";
            response.on("data", (chunk: Buffer) => {
              body += chunk.toString();
            });
            response.on("end", () =>
              resolve({ status: response.statusCode!, allow: response.headers.allow, body }),
            );
          },
        );
        request.on("error", reject);
        request.end();
      },
    );
    expect(answer.status).toBe(405);
    expect(answer.allow).toMatch(/GET/);
    expect(JSON.parse(answer.body).error.code).toBe("METHOD_NOT_ALLOWED");
  });
});
