// `baton dag validate|push|pull|list|diff` over the REST API (in-process) and `baton keys rotate`
// on the database.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, expect, it } from "vitest";
import { createSecret } from "@/server/config/secrets";
import { db } from "@/server/db/client";
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
let token: string;

beforeAll(async () => {
  process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;
  owner = await createUser("cli-dags");
  token = (await owner.api.tokens.create({ workspace: owner.workspace.slug, name: "ci", role: "EDITOR" }))
    .token;
});

it("validates files offline (the repository's CLI) and with the Baton, listing every problem with its path", async () => {
  const ok = await baton(["dag", "validate", good]);
  expect(ok).toMatchObject({ code: 0 });
  expect(ok.stdout).toMatch(/valid DAG "etl" with 2 task/);
  const broken = await baton(["dag", "validate", bad]);
  expect(broken.code).toBe(1);
  expect(broken.stdout).toMatch(/tasks\[0\]\.operator/);
  expect(broken.stdout).toMatch(/tasks\[0\]\.dependsOn\[0\]/);

  const remote = await baton(["dag", "validate", good, bad, "--json"], { token });
  expect(remote.code).toBe(1);
  expect(JSON.parse(remote.stdout)).toEqual([
    { file: good, ok: true, dagId: "etl", tasks: 2 },
    {
      file: bad,
      ok: false,
      problems: expect.arrayContaining([expect.objectContaining({ path: "tasks[0].operator" })]),
    },
  ]);
});

it("pushes through the REST API with a token, with messages; refusals name each problem", async () => {
  const first = await baton(["dag", "push", good, "-m", "first"], { token });
  expect(first.stdout.trim()).toBe("etl: created version 1");
  const again = await baton(["dag", "push", good], { token });
  expect(again.stdout.trim()).toBe("etl: unchanged (version 1)");
  const changed = file("etl2.yaml", "id: etl\ntitle: ETL\ntasks:\n  - id: extract\n    operator: noop\n");
  const fromCi = await baton(["dag", "push", changed], { token, env: { GIT_COMMIT: "abc123" } });
  expect(fromCi.stdout.trim()).toBe("etl: saved version 2");
  const versions = await db.dagVersion.findMany({
    where: { workspaceId: owner.workspace.id },
    orderBy: { number: "asc" },
  });
  expect(versions.map((v) => v.message)).toEqual(["first", "abc123"]);

  const refused = await baton(["dag", "push", bad], { token });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/bad\.json: The DAG document has \d problems/);
  expect(refused.stderr).toMatch(/\n {2}tasks\[0\]\.operator: /);

  const stale = await baton(["dag", "push", good, "--if-match", versions[0]!.hash], { token });
  expect(stale.code).toBe(1);
  expect(stale.stderr).toMatch(/changed since you read it: its current version is 2/);
});

it("gzips large DAG files on validate and push, small ones go as they are", async () => {
  const tasks = Array.from({ length: 5000 }, (_, i) => ({
    id: `Stage.task_${i}`,
    operator: "noop",
    ...(i > 0 ? { dependsOn: [`Stage.task_${i - 1}`] } : {}),
  }));
  const big = file("wide.json", JSON.stringify({ id: "wide", tasks }, null, 2));
  const sent: { method: string; encoding: string | null; body: Promise<ArrayBuffer> }[] = [];
  const onRequest = (request: Request) =>
    sent.push({
      method: request.method,
      encoding: request.headers.get("content-encoding"),
      body: request.clone().arrayBuffer(),
    });
  const checked = await baton(["dag", "validate", big], { token, onRequest });
  expect(checked.stdout).toMatch(/valid DAG "wide" with 5000 task/);
  const pushed = await baton(["dag", "push", big], { token, onRequest });
  expect(pushed.stdout.trim()).toBe("wide: created version 1");
  expect(sent.map(({ method, encoding }) => [method, encoding])).toEqual([
    ["POST", "gzip"],
    ["PUT", "gzip"],
  ]);
  // Compressed, the body is a small part of the file.
  const plain = Buffer.byteLength(JSON.stringify({ id: "wide", tasks }, null, 2));
  expect((await sent[1]!.body).byteLength).toBeLessThan(plain / 4);

  sent.length = 0;
  await baton(["dag", "validate", good], { token, onRequest });
  expect(sent.map(({ encoding }) => encoding)).toEqual([null]);
});

it("pulls, lists and diffs DAGs", async () => {
  const pulled = await baton(["dag", "pull", "etl"], { token });
  expect(pulled.stdout).toMatch(/^id: etl$/m);
  expect(pulled.stdout).toMatch(/title: ETL/);
  const old = await baton(["dag", "pull", "etl", "--number", "1", "--format", "json"], { token });
  expect(JSON.parse(old.stdout)).toMatchObject({ id: "etl", tasks: [{ id: "extract" }, { id: "load" }] });

  const list = await baton(["dag", "list"], { token });
  expect(list.stdout).toMatch(/^DAG\s+VERSION\s+STATE/);
  expect(list.stdout).toMatch(/etl\s+2\s+active/);

  const versions = await baton(["dag", "diff", "etl", "--from", "1", "--to", "2"], { token });
  expect(versions.stdout).toMatch(/^- task load$/m);
  expect(versions.stdout).toMatch(/^~ title$/m);
  const fileDiff = await baton(["dag", "diff", good], { token });
  expect(fileDiff.stdout).toMatch(/^-title: ETL$/m);
  expect(fileDiff.stdout).toMatch(/^\+ {2}- id: load$/m);
});

it("re-encrypts secrets under a new key version", async () => {
  const scope = await systemScope(owner.workspace.id);
  const v1 = process.env.BATON_MASTER_KEYS!;
  await createSecret(scope, { name: "API_KEY", value: "s3cret" });
  process.env.BATON_MASTER_KEYS = `2:${generateKey()},${v1}`;
  const rotated = await baton(["keys", "rotate"]);
  expect(rotated.stdout).toMatch(
    /Re-encrypted 1 secret\(s\), 0 connection\(s\), 0 webhook secret\(s\), 0 single sign-on client secret\(s\) and 0 authenticator secret\(s\) under key version 2/,
  );
  const stored = await db.secret.findFirstOrThrow({ where: { workspaceId: owner.workspace.id } });
  expect(stored.ciphertext.startsWith("v2:")).toBe(true);
});
