// The REST API's conventions (docs/api.md#conventions) as a client meets them: ETag and If-Match
// on DAG pushes, idempotency keys on run triggers, and the workspace's per-minute request budget.
// Calls go through the generated client; every answer is checked against the OpenAPI document.
import { beforeAll, describe, expect, it } from "vitest";
import { unwrap } from "@/server/client";
import { db } from "@/server/db/client";
import { createUser } from "../support/factories";
import { raw, restClient } from "../support/rest";

let owner: Awaited<ReturnType<typeof createUser>>;
let token: string;

const dag = (title: string) => ({
  id: "report",
  title,
  params: { city: { type: "string" as const, default: "Oslo" } },
  tasks: [{ id: "only", operator: "noop" as const }],
});

beforeAll(async () => {
  owner = await createUser("conventions");
  token = (await owner.api.tokens.create({ workspace: owner.workspace.slug, name: "ci", role: "ADMIN" }))
    .token;
});

describe("ETag and If-Match on DAG pushes", () => {
  it("lets a push through only onto the version it was made on", async () => {
    const api = restClient(token);
    const path = { dagId: "report" };
    const created = await api.PUT("/dags/{dagId}", {
      params: { path, header: { "If-None-Match": "*" } },
      body: dag("first"),
    });
    expect(created.response.status).toBe(201);
    const firstTag = created.response.headers.get("etag")!;
    expect(firstTag).toBe(`"${created.data!.hash}"`);

    // Create-only refuses once it exists.
    const again = await api.PUT("/dags/{dagId}", {
      params: { path, header: { "If-None-Match": "*" } },
      body: dag("x"),
    });
    expect(again.response.status).toBe(412);
    expect(again.error?.error.code).toBe("PRECONDITION_FAILED");

    // Reading gives the same tag; a change made on it goes through and gets the next one.
    const read = await api.GET("/dags/{dagId}", { params: { path } });
    expect(read.response.headers.get("etag")).toBe(firstTag);
    const second = await api.PUT("/dags/{dagId}", {
      params: { path, header: { "If-Match": firstTag } },
      body: dag("second"),
    });
    expect(second.response.status).toBe(200);
    expect(second.data).toMatchObject({ version: 2 });
    const secondTag = second.response.headers.get("etag")!;
    expect(secondTag).not.toBe(firstTag);

    // A second editor still holding the first tag is refused, and nothing is stored.
    const stale = await api.PUT("/dags/{dagId}", {
      params: { path, header: { "If-Match": firstTag } },
      body: dag("lost"),
    });
    expect(stale.response.status).toBe(412);
    expect(stale.error?.error.message).toMatch(/changed since you read it: its current version is 2/);
    expect(stale.error?.error.problems[0]).toMatchObject({ path: "ifMatch" });
    expect((await unwrap(api.GET("/dags/{dagId}", { params: { path } }))).version.number).toBe(2);

    // Several tags (any of them current) and `*` (it exists) are accepted.
    const listed = await api.PUT("/dags/{dagId}", {
      params: { path, header: { "If-Match": `${firstTag}, ${secondTag}` } },
      body: dag("third"),
    });
    expect(listed.data).toMatchObject({ version: 3 });
    const missing = await api.PUT("/dags/{dagId}", {
      params: { path: { dagId: "nothing_here" }, header: { "If-Match": "*" } },
      body: { ...dag("x"), id: "nothing_here" },
    });
    expect(missing.response.status).toBe(412);
  });

  it("holds under racing pushes: of two made on the same version, one wins and one is refused", async () => {
    const api = restClient(token);
    const path = { dagId: "report" };
    // Several rounds: the loser may read the DAG before or after the winner's commit.
    for (const round of [1, 2, 3, 4, 5]) {
      const current = (await api.GET("/dags/{dagId}", { params: { path } })).response.headers.get("etag")!;
      const answers = await Promise.all(
        ["left", "right"].map((side) =>
          api.PUT("/dags/{dagId}", {
            params: { path, header: { "If-Match": current } },
            body: dag(`${side} ${round}`),
          }),
        ),
      );
      expect(answers.map((a) => a.response.status).sort(), `round ${round}`).toEqual([200, 412]);
    }
  });
});

describe("idempotency keys on run triggers", () => {
  const trigger = (key: string, city = "Bergen") =>
    restClient(token).POST("/dags/{dagId}/runs", {
      params: { path: { dagId: "report" }, header: { "Idempotency-Key": key } },
      body: { params: { city } },
    });

  it("answer the first request's run to a repeat, and refuse a repeat with other params", async () => {
    const first = await trigger("deploy-1234");
    expect(first.response.status).toBe(201);
    expect(first.response.headers.get("idempotent-replayed")).toBeNull();
    const repeat = await trigger("deploy-1234");
    expect(repeat.response.status).toBe(200);
    expect(repeat.response.headers.get("idempotent-replayed")).toBe("true");
    expect(repeat.data).toEqual({ id: first.data!.id, created: false });

    const other = await trigger("deploy-1234", "Tromsø");
    expect(other.response.status).toBe(409);
    expect(other.error?.error.problems[0]).toMatchObject({ path: "idempotencyKey" });
    expect(await db.dagRun.count({ where: { workspaceId: owner.workspace.id } })).toBe(1);
  });

  it("make one run of many simultaneous requests", async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => trigger("burst-1")));
    const ids = new Set(answers.map((a) => a.data!.id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.response.status === 201)).toHaveLength(1);
  });

  it("are checked: empty or with spaces is a 400 naming the field", async () => {
    const response = await raw("POST", "/dags/report/runs", {
      token,
      body: "{}",
      headers: { "idempotency-key": "has spaces" },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.problems[0].path).toBe("idempotencyKey");
  });
});

describe("the per-minute request budget", () => {
  it("is told on every answer, refuses beyond it with 429 and Retry-After, and is the workspace's own", async () => {
    const busy = await createUser("busy");
    await db.workspace.update({ where: { id: busy.workspace.id }, data: { apiRateLimitPerMinute: 3 } });
    const busyToken = (
      await busy.api.tokens.create({ workspace: busy.workspace.slug, name: "ci", role: "VIEWER" })
    ).token;
    const api = restClient(busyToken);
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await api.GET("/workspace");
      expect(answer.response.status).toBe(200);
      expect(answer.response.headers.get("ratelimit-limit")).toBe("3");
      remaining.push(answer.response.headers.get("ratelimit-remaining"));
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const refused = await api.GET("/dags");
    expect(refused.response.status).toBe(429);
    expect(refused.error?.error.code).toBe("TOO_MANY_REQUESTS");
    expect(refused.error?.error.message).toMatch(/apiRateLimitPerMinute/);
    expect(Number(refused.response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.response.headers.get("ratelimit-remaining")).toBe("0");

    // Another workspace's budget is untouched; the usage page shows the spent one.
    expect((await restClient(token).GET("/workspace")).response.status).toBe(200);
    const usage = await busy.api.usage.summary({ workspace: busy.workspace.slug });
    expect(usage.quotas.find((q) => q.key === "apiRateLimitPerMinute")).toMatchObject({ limit: 3, used: 3 });
  });
});
