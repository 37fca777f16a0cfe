// DAGs and configuration over the public REST API, as CI would use it: PUT a file (JSON or YAML),
// read DAGs, versions and diffs, 422 with every problem, and the published JSON Schema. Every
// answer is checked against the OpenAPI document (test/support/rest.ts).
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { unwrap } from "@/server/client";
import { isPlatformRoute, restRoutes } from "@/server/rest/routes";
import { generateKey } from "@/server/secrets/crypto";
import { createUser } from "../support/factories";
import { raw, restClient } from "../support/rest";

let owner: Awaited<ReturnType<typeof createUser>>;
let editorToken: string;
let viewerToken: string;
const responses: string[] = [];

/** A request as CI would write it, its answer checked against the document and kept for the secret check. */
async function call(
  method: string,
  path: string,
  options: { token?: string; body?: string; contentType?: string } = {},
) {
  const answer = await raw(method, path, {
    token: options.token,
    body: options.body,
    headers: { "content-type": options.contentType ?? "application/json" },
  });
  responses.push(JSON.stringify(answer.body));
  return answer;
}

const yamlDag = `# deployed from git
id: nightly
title: Nightly export
schedule: { type: interval, every: 1h }
tasks:
  - id: export
    operator: http
    config:
      url: https://example.com/export
  - id: notify
    operator: noop
    dependsOn: [export]
`;

beforeAll(async () => {
  process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;
  owner = await createUser("rest-dags");
  const ws = owner.workspace.slug;
  editorToken = (await owner.api.tokens.create({ workspace: ws, name: "ci", role: "EDITOR" })).token;
  viewerToken = (await owner.api.tokens.create({ workspace: ws, name: "dashboard", role: "VIEWER" })).token;
});

describe("PUT /dags/{dagId}", () => {
  it("creates a DAG from YAML (201), then answers 200 for a new version and for an unchanged one", async () => {
    const created = await call("PUT", "/dags/nightly?message=first%20deploy", {
      token: editorToken,
      body: yamlDag,
      contentType: "application/yaml",
    });
    expect(created).toMatchObject({ status: 201, body: { dagId: "nightly", version: 1, created: true } });

    const changed = yamlDag.replace("Nightly export", "Nightly export v2");
    const updated = await call("PUT", "/dags/nightly", {
      token: editorToken,
      body: changed,
      contentType: "text/yaml",
    });
    expect(updated).toMatchObject({ status: 200, body: { version: 2, created: false, unchanged: false } });

    const same = await call("PUT", "/dags/nightly", {
      token: editorToken,
      body: changed,
      contentType: "text/yaml",
    });
    expect(same).toMatchObject({ status: 200, body: { version: 2, unchanged: true } });
  });

  it("takes the document as JSON", async () => {
    const document = {
      id: "json_dag",
      tasks: [
        { id: "a", operator: "noop" },
        { id: "b", operator: "noop", dependsOn: ["a"] },
      ],
    };
    const created = await call("PUT", "/dags/json_dag", {
      token: editorToken,
      body: JSON.stringify(document),
    });
    expect(created).toMatchObject({ status: 201, body: { dagId: "json_dag", version: 1 } });
  });

  it("answers 422 with every problem as {path, message}", async () => {
    const broken = {
      id: "elsewhere",
      tasks: [
        { id: "a", operator: "noop", dependsOn: ["b"] },
        { id: "b", operator: "noop", dependsOn: ["a"] },
        { id: "c", operator: "nope" },
      ],
    };
    const response = await call("PUT", "/dags/broken", { token: editorToken, body: JSON.stringify(broken) });
    expect(response.status).toBe(422);
    expect(response.body.error).toMatchObject({ code: "UNPROCESSABLE_CONTENT", message: expect.any(String) });
    const problems = response.body.error.problems as Array<{ path: string; message: string }>;
    for (const problem of problems) expect(Object.keys(problem).sort()).toEqual(["message", "path"]);
    expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(["id", "tasks[2].operator"]));
    expect(problems.find((p) => p.path === "id")!.message).toMatch(/"broken"/);
    expect(problems.some((p) => p.message.startsWith("cycle:"))).toBe(true);
    expect((await call("GET", "/dags/broken", { token: editorToken })).status).toBe(404);
  });

  it("answers 422 for syntax errors, with the line", async () => {
    const yaml = await call("PUT", "/dags/nightly", {
      token: editorToken,
      body: "id: nightly\ntasks:\n  - id: [unclosed\n",
      contentType: "application/yaml",
    });
    expect(yaml.status).toBe(422);
    expect(yaml.body.error.problems[0].message).toMatch(/YAML syntax error at line \d+/);
    const json = await call("PUT", "/dags/nightly", { token: editorToken, body: '{"id": "nightly",' });
    expect(json.status).toBe(422);
    expect(json.body.error.problems[0].message).toMatch(/JSON syntax error at line 1/);
    const empty = await call("PUT", "/dags/nightly", { token: editorToken, body: "" });
    expect(empty.status).toBe(422);
  });

  it("is refused to viewer tokens and to bad ids", async () => {
    expect(
      (
        await call("PUT", "/dags/nightly", {
          token: viewerToken,
          body: yamlDag,
          contentType: "application/yaml",
        })
      ).status,
    ).toBe(403);
    const badId = await call("PUT", "/dags/Not%20An%20Id", {
      token: editorToken,
      body: yamlDag,
      contentType: "application/yaml",
    });
    expect(badId.status).toBe(400);
    expect(badId.body.error.problems[0].path).toBe("dagId");
  });
});

describe("POST /dags/validate", () => {
  it("checks without saving", async () => {
    const ok = await call("POST", "/dags/validate", {
      token: viewerToken,
      body: yamlDag.replace("nightly", "draft"),
      contentType: "application/yaml",
    });
    expect(ok).toMatchObject({
      status: 200,
      body: { ok: true, problems: [], analysis: { criticalPath: ["export", "notify"] } },
    });
    const bad = await call("POST", "/dags/validate", {
      token: viewerToken,
      body: JSON.stringify({ id: "x" }),
    });
    expect(bad).toMatchObject({ status: 200, body: { ok: false, problems: [{ path: "tasks" }] } });
    expect((await call("GET", "/dags/draft", { token: viewerToken })).status).toBe(404);
  });
});

describe("reading DAGs", () => {
  it("GET /dags lists them with version, tags, paused and schedule", async () => {
    const page = await unwrap(restClient(viewerToken).GET("/dags"));
    expect(page.items.map((d) => d.dagId)).toEqual(["json_dag", "nightly"]);
    expect(page.nextCursor).toBeNull();
    expect(page.items[1]).toMatchObject({
      dagId: "nightly",
      title: "Nightly export v2",
      currentVersion: 2,
      paused: false,
      tags: [],
      schedule: { type: "interval", every: "1h" },
    });
  });

  it("GET /dags/{dagId} answers the document and its analysis as plain JSON", async () => {
    const dag = await unwrap(
      restClient(viewerToken).GET("/dags/{dagId}", { params: { path: { dagId: "nightly" } } }),
    );
    expect(dag).toMatchObject({
      dagId: "nightly",
      version: { number: 2, current: true, authorLabel: "token ci" },
      document: { id: "nightly", title: "Nightly export v2", tasks: [{ id: "export" }, { id: "notify" }] },
      analysis: {
        levels: [["export"], ["notify"]],
        maxWidth: 1,
        upwardRank: { export: 120_000, notify: 60_000 },
      },
    });
  });

  it("GET versions, one version, and a diff", async () => {
    const versions = await unwrap(
      restClient(viewerToken).GET("/dags/{dagId}/versions", { params: { path: { dagId: "nightly" } } }),
    );
    expect(versions.items.map((v) => [v.number, v.message])).toEqual([
      [2, ""],
      [1, "first deploy"],
    ]);
    const one = await call("GET", "/dags/nightly/versions/1", { token: viewerToken });
    expect(one).toMatchObject({
      status: 200,
      body: { number: 1, current: false, document: { title: "Nightly export" } },
    });
    expect((await call("GET", "/dags/nightly/versions/7", { token: viewerToken })).status).toBe(404);
    expect((await call("GET", "/dags/nightly/versions/zero", { token: viewerToken })).status).toBe(400);

    const diff = await call("GET", "/dags/nightly/diff?from=1&to=2", { token: viewerToken });
    expect(diff).toMatchObject({
      status: 200,
      body: { added: [], removed: [], changed: [], dagFields: ["title"] },
    });
    const missing = await call("GET", "/dags/nightly/diff?from=1", { token: viewerToken });
    expect(missing.status).toBe(400);
    expect(missing.body.error.problems.map((p: { path: string }) => p.path)).toEqual(["to"]);
    expect((await call("GET", "/dags/nightly/analysis", { token: viewerToken })).body).toMatchObject({
      version: 2,
    });
  });
});

describe("pause, unpause, archive, restore", () => {
  it("change the DAG and are refused to viewers", async () => {
    expect((await call("POST", "/dags/nightly/pause", { token: viewerToken })).status).toBe(403);
    expect((await call("POST", "/dags/nightly/pause", { token: editorToken })).body).toMatchObject({
      paused: true,
    });
    expect((await call("POST", "/dags/nightly/unpause", { token: editorToken })).body).toMatchObject({
      paused: false,
    });
    const restored = await call("POST", "/dags/nightly/restore", {
      token: editorToken,
      body: JSON.stringify({ number: 1 }),
    });
    expect(restored).toMatchObject({ status: 200, body: { version: 3, restoredFrom: 1 } });

    expect((await call("POST", "/dags/json_dag/archive", { token: editorToken })).body).toMatchObject({
      archived: true,
    });
    expect(
      (await call("GET", "/dags", { token: viewerToken })).body.items.map((d: { dagId: string }) => d.dagId),
    ).toEqual(["nightly"]);
    const all = await call("GET", "/dags?includeArchived=true", { token: viewerToken });
    expect(all.body.items.map((d: { dagId: string }) => d.dagId)).toEqual(["json_dag", "nightly"]);
    const refused = await call("PUT", "/dags/json_dag", {
      token: editorToken,
      body: JSON.stringify({ id: "json_dag", tasks: [{ id: "z", operator: "noop" }] }),
    });
    expect(refused.status).toBe(409);
    expect((await call("POST", "/dags/json_dag/unarchive", { token: editorToken })).body).toMatchObject({
      archived: false,
    });
  });
});

describe("variables, secrets and connections", () => {
  it("CRUD over REST, secrets never answered", async () => {
    const variable = await call("POST", "/variables", {
      token: editorToken,
      body: JSON.stringify({ key: "bucket", value: "s3://exports", description: "Where exports go" }),
    });
    expect(variable).toMatchObject({ status: 201, body: { key: "bucket", value: "s3://exports" } });
    expect(
      (
        await call("PATCH", "/variables/bucket", {
          token: editorToken,
          body: JSON.stringify({ value: "s3://other" }),
        })
      ).body,
    ).toMatchObject({ value: "s3://other", description: "Where exports go" });
    expect((await call("GET", "/variables/bucket", { token: viewerToken })).body.value).toBe("s3://other");
    expect((await unwrap(restClient(viewerToken).GET("/variables"))).items).toHaveLength(1);
    expect((await call("DELETE", "/variables/bucket", { token: viewerToken })).status).toBe(403);
    expect((await call("DELETE", "/variables/bucket", { token: editorToken })).status).toBe(204);
    expect((await call("GET", "/variables/bucket", { token: viewerToken })).status).toBe(404);

    const secretValue = "rest-secret-value-8c1f";
    const secret = await call("POST", "/secrets", {
      token: editorToken,
      body: JSON.stringify({ name: "TOKEN", value: secretValue }),
    });
    expect(secret).toMatchObject({ status: 201, body: { name: "TOKEN", value: "••••••••" } });
    expect(
      (
        await call("PATCH", "/secrets/TOKEN", {
          token: editorToken,
          body: JSON.stringify({ value: `${secretValue}-2` }),
        })
      ).status,
    ).toBe(200);
    expect((await call("GET", "/secrets", { token: viewerToken })).body.items).toEqual([
      expect.objectContaining({ name: "TOKEN" }),
    ]);

    const connection = await call("POST", "/connections", {
      token: editorToken,
      body: JSON.stringify({
        name: "crm",
        type: "http",
        config: { baseUrl: "https://crm.example.com", authHeaderValue: `Bearer ${secretValue}` },
      }),
    });
    expect(connection).toMatchObject({ status: 201, body: { config: { authHeaderValue: "••••••••" } } });
    const patched = await call("PATCH", "/connections/crm", {
      token: editorToken,
      body: JSON.stringify({ config: { headers: { "X-Team": "data" } } }),
    });
    expect(patched.body).toMatchObject({
      config: { headers: { "X-Team": "data" }, authHeaderValue: "••••••••" },
    });
    const bad = await call("POST", "/connections", {
      token: editorToken,
      body: JSON.stringify({ name: "db", type: "postgres", config: { host: "x" } }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems.map((p: { path: string }) => p.path).sort()).toEqual([
      "config.database",
      "config.user",
    ]);
    expect((await call("GET", "/connections/crm", { token: viewerToken })).status).toBe(200);
    expect((await call("DELETE", "/connections/crm", { token: editorToken })).status).toBe(204);
    expect((await call("DELETE", "/secrets/TOKEN", { token: editorToken })).status).toBe(204);

    for (const text of responses) expect(text).not.toContain(secretValue);
  });
});

describe("documents", () => {
  it("publishes the DAG JSON Schema at /schema/dag.json, without a token", async () => {
    const response = await call("GET", "/schema/dag.json");
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      $id: "/api/v1/schema/dag.json",
      title: "Baton DAG",
      type: "object",
    });
    expect(response.body.properties.tasks).toBeDefined();
    expect(response.body.required).toEqual(expect.arrayContaining(["id", "tasks"]));
  });

  it("keeps the OpenAPI document working, with the new routes", async () => {
    const response = await call("GET", "/openapi.json");
    expect(response.status).toBe(200);
    const paths = response.body.paths;
    expect(paths["/dags/{dagId}"].put).toMatchObject({
      operationId: "dags.push",
      requestBody: {
        content: {
          "application/json": { schema: { $ref: "#/components/schemas/DagDocument" } },
          "application/yaml": {},
        },
      },
      responses: { "200": {}, "201": {} },
    });
    expect(
      paths["/dags/{dagId}"].put.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`),
    ).toEqual(["path:dagId", "query:message", "query:folder", "header:If-Match", "header:If-None-Match"]);
    expect(paths["/dags/{dagId}/diff"].get.parameters.map((p: { name: string }) => p.name)).toEqual([
      "dagId",
      "from",
      "to",
    ]);
    expect(paths["/dags/{dagId}/pause"].post.requestBody).toBeUndefined();
    for (const path of [
      "/variables",
      "/secrets/{name}",
      "/connections/{name}",
      "/dags/{dagId}/versions/{number}",
    ]) {
      expect(paths[path], path).toBeDefined();
    }
  });

  it("docs/api.md describes every route, and docs/platform-console.md the console's", () => {
    const api = readFileSync("docs/api.md", "utf8");
    const consoleDoc = readFileSync("docs/platform-console.md", "utf8");
    for (const route of restRoutes) {
      const [doc, path] = isPlatformRoute(route) ? [consoleDoc, `/api/v1${route.path}`] : [api, route.path];
      expect(doc, `${route.method} ${route.path}`).toContain(`\`${route.method} ${path}\``);
    }
  });
});
