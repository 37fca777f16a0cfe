// The typed client's own behaviour: waiting out 429s as Retry-After says, and errors that carry
// the server's problems with their field paths.
import { describe, expect, it } from "vitest";
import { ApiError, createBatonClient, unwrap } from "@/server/client";

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const tooMany = () =>
  answer(
    429,
    { error: { code: "TOO_MANY_REQUESTS", message: "slow down", problems: [] } },
    { "retry-after": "1" },
  );

describe("the client", () => {
  it("waits Retry-After seconds on a 429 and sends the request again, body included", async () => {
    const seen: { method: string; body: string; auth: string | null }[] = [];
    const waits: number[] = [];
    const client = createBatonClient({
      url: "https://baton.example.com/",
      token: "baton_x",
      onRateLimited: (seconds) => waits.push(seconds),
      fetch: async (request) => {
        seen.push({
          method: request.method,
          body: await request.text(),
          auth: request.headers.get("authorization"),
        });
        return seen.length === 1 ? tooMany() : answer(201, { id: "r1", created: true });
      },
    });
    const run = await unwrap(
      client.POST("/dags/{dagId}/runs", { params: { path: { dagId: "etl" } }, body: { note: "n" } }),
    );
    expect(run).toEqual({ id: "r1", created: true });
    expect(waits).toEqual([1]);
    expect(seen).toEqual([
      { method: "POST", body: '{"note":"n"}', auth: "Bearer baton_x" },
      { method: "POST", body: '{"note":"n"}', auth: "Bearer baton_x" },
    ]);
  });

  it("gives the 429 back after maxRetries", async () => {
    let calls = 0;
    const client = createBatonClient({
      url: "https://baton.example.com",
      token: "t",
      maxRetries: 0,
      fetch: async () => {
        calls++;
        return tooMany();
      },
    });
    const error = await unwrap(client.GET("/workspace")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: "TOO_MANY_REQUESTS" });
    expect(calls).toBe(1);
  });

  it("turns error answers into ApiErrors with the problems' field paths", async () => {
    const client = createBatonClient({
      url: "https://baton.example.com",
      token: "t",
      fetch: async () =>
        answer(422, {
          error: {
            code: "UNPROCESSABLE_CONTENT",
            message: "The DAG document has 2 problems",
            problems: [
              { path: "tasks[1].dependsOn[0]", message: 'unknown task "extrct"' },
              { path: "", message: "YAML syntax error at line 3" },
            ],
          },
        }),
    });
    const error = (await unwrap(client.GET("/workspace")).catch((e: unknown) => e)) as ApiError;
    expect(error.describe()).toBe(
      'The DAG document has 2 problems\n  tasks[1].dependsOn[0]: unknown task "extrct"\n  (document): YAML syntax error at line 3',
    );
  });
});
