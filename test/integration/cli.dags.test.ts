// `baton dag validate|push` and `baton keys rotate` against a real database (and the REST API).
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createSecret } from "@/server/config/secrets";
import { db } from "@/server/db/client";
import { handleRest } from "@/server/rest/handler";
import { generateKey } from "@/server/secrets/crypto";
import { systemScope } from "@/server/tenancy/door";
import { baton } from "../support/cli";
import { createUser } from "../support/factories";

const dir = mkdtempSync(path.join(tmpdir(), "baton-dags-"));
const file = (name: string, text: string) => {
  const full = path.join(dir, name);
  writeFileSync(full, text);
  return full;
};
const good = file(
  "etl.yaml",
  "id: etl\ntasks:\n  - id: extract\n    operator: noop\n  - id: load\n    operator: noop\n    dependsOn: [extract]\n",
);
const bad = file(
  "bad.json",
  JSON.stringify({ id: "bad", tasks: [{ id: "a", operator: "nope", dependsOn: ["ghost"] }] }),
);

let owner: Awaited<ReturnType<typeof createUser>>;
let server: Server;
let url: string;

beforeAll(async () => {
  process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;
  owner = await createUser("cli-dags");
  // The REST API served over HTTP, as a CI job would reach it.
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = new Request(`http://localhost${req.url}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const response = await handleRest(request, new URL(request.url).pathname.replace(/^\/api\/v1/, ""));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(await response.text());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it("validates files without a database and lists every problem with its path", async () => {
  const ok = await baton(["dag", "validate", good]);
  expect(ok).toMatchObject({ code: 0 });
  expect(ok.stdout).toMatch(/valid DAG "etl" with 2 task/);
  const broken = await baton(["dag", "validate", bad]);
  expect(broken.code).toBe(1);
  expect(broken.stdout).toMatch(/tasks\[0\]\.operator/);
  expect(broken.stdout).toMatch(/tasks\[0\]\.dependsOn\[0\]/);
});

it("pushes straight to a workspace, and through the REST API with a token", async () => {
  const direct = await baton(["dag", "push", good, "--workspace", owner.workspace.slug, "-m", "first"]);
  expect(direct.stdout.trim()).toBe("etl: created version 1");
  const again = await baton(["dag", "push", good, "--workspace", owner.workspace.slug]);
  expect(again.stdout.trim()).toBe("etl: unchanged (version 1)");

  const { token } = await owner.api.tokens.create({
    workspace: owner.workspace.slug,
    name: "ci",
    role: "EDITOR",
  });
  const changed = file("etl2.yaml", "id: etl\ntitle: ETL\ntasks:\n  - id: extract\n    operator: noop\n");
  const remote = await baton(["dag", "push", changed, "--url", url, "--token", token, "-m", "from CI"]);
  expect(remote.stdout.trim()).toBe("etl: saved version 2");
  const versions = await db.dagVersion.findMany({
    where: { workspaceId: owner.workspace.id },
    orderBy: { number: "asc" },
  });
  expect(versions.map((v) => v.message)).toEqual(["first", "from CI"]);

  const refused = await baton(["dag", "push", bad, "--url", url, "--token", token]);
  expect(refused.code).toBe(1);
  expect(refused.stdout).toMatch(/tasks\[0\]\.operator/);
});

it("re-encrypts secrets under a new key version", async () => {
  const scope = await systemScope(owner.workspace.id);
  const v1 = process.env.BATON_MASTER_KEYS!;
  await createSecret(scope, { name: "API_KEY", value: "s3cret" });
  process.env.BATON_MASTER_KEYS = `2:${generateKey()},${v1}`;
  const rotated = await baton(["keys", "rotate"]);
  expect(rotated.stdout).toMatch(
    /Re-encrypted 1 secret\(s\), 0 connection\(s\), 0 webhook secret\(s\) and 0 authenticator secret\(s\) under key version 2/,
  );
  const stored = await db.secret.findFirstOrThrow({ where: { workspaceId: owner.workspace.id } });
  expect(stored.ciphertext.startsWith("v2:")).toBe(true);
});
