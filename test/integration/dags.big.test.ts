// DAG documents at the task limit over the public REST API (issue 20): a 20,000-task push fits the
// DAG document body limit, plain or gzip; the decoded size is what counts; the task limit is named.
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../support/factories";
import { inProcess, raw } from "../support/rest";

let editorToken: string;

beforeAll(async () => {
  const owner = await createUser("big-dags");
  editorToken = (
    await owner.api.tokens.create({ workspace: owner.workspace.slug, name: "ci", role: "EDITOR" })
  ).token;
});

describe("big DAG documents over REST", () => {
  /** A WfCommons-like DAG: 100 tasks a level, each on one of the level before; ~150 bytes a task. */
  const bigDag = (id: string, count: number) => ({
    id,
    tasks: Array.from({ length: count }, (_, i) => ({
      id: `individuals_merge_ID${String(i).padStart(7, "0")}`,
      operator: "noop",
      description: `chromosome ${i % 22} slice ${i}`,
      dependsOn: i < 100 ? [] : [`individuals_merge_ID${String(i - 100).padStart(7, "0")}`],
    })),
  });
  const put = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
    inProcess(
      new Request(`http://localhost/api/v1${path}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${editorToken}`, "content-type": "application/json", ...headers },
        body,
      }),
    );

  it("takes a 20,000-task DAG, plain or gzip, past the 1 MiB request limit", async () => {
    const text = JSON.stringify(bigDag("wide", 20_000));
    expect(Buffer.byteLength(text)).toBeGreaterThan(2 * 1_048_576);
    const plain = await put("/dags/wide", text);
    expect(plain.status).toBe(201);
    const changed = JSON.stringify({ ...bigDag("wide", 20_000), title: "gzip" });
    const zipped = await put("/dags/wide", new Blob([gzipSync(changed)]), { "content-encoding": "gzip" });
    expect(zipped.status).toBe(200);
    const got = await raw("GET", "/dags/wide", { token: editorToken });
    expect(got.body.document.title).toBe("gzip");
    expect(got.body.document.tasks).toHaveLength(20_000);
  }, 180_000);

  it("names the task limit, and refuses bodies over the limits and unknown encodings", async () => {
    const over = await put("/dags/too_wide", JSON.stringify(bigDag("too_wide", 20_001)));
    expect(over.status).toBe(422);
    expect((await over.json()).error.problems).toEqual([
      {
        path: "tasks",
        message:
          "a DAG has at most 20000 tasks (the installation's limit); split it into DAGs that trigger one another",
      },
    ]);
    // 17 MiB of spaces gzip to a few KiB: the limit counts the decoded body.
    const bomb = await put("/dags/bomb", new Blob([gzipSync(" ".repeat(17 * 1_048_576))]), {
      "content-encoding": "gzip",
    });
    expect(bomb.status).toBe(413);
    expect((await bomb.json()).error.message).toBe(
      "Request body is over 16777216 bytes (BATON_API_MAX_DAG_BODY_BYTES)",
    );
    const brotli = await put("/dags/nightly", "{}", { "content-encoding": "br" });
    expect(brotli.status).toBe(400);
    const notGzip = await put("/dags/nightly", "{}", { "content-encoding": "gzip" });
    expect(notGzip.status).toBe(400);
    expect((await notGzip.json()).error.message).toMatch(/not valid gzip/);
    // Other requests keep the 1 MiB limit.
    const token = await inProcess(
      new Request("http://localhost/api/v1/tokens", {
        method: "POST",
        headers: { authorization: `Bearer ${editorToken}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "x".repeat(1_048_577) }),
      }),
    );
    expect(token.status).toBe(413);
  }, 120_000);
});
