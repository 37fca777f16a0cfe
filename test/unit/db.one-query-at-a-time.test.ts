// Prisma's adapter sends a query's relation reads at once on a transaction's connection; pg 9 will
// refuse a query sent while another runs on the client. The pool's connections queue them instead.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { oneQueryAtATime } from "@/server/db/one-query-at-a-time";

/** A client whose queries answer only when the test says so; records what was sent when. */
function fakeClient() {
  const sent: string[] = [];
  const pending: { text: string; settle: (error?: Error) => void }[] = [];
  const client = {
    query: (config: string | { text: string }, ..._rest: unknown[]) => {
      const text = typeof config === "string" ? config : config.text;
      sent.push(text);
      return new Promise((resolve, reject) =>
        pending.push({ text, settle: (error) => (error ? reject(error) : resolve({ rows: [text] })) }),
      );
    },
  };
  oneQueryAtATime(client as unknown as pg.ClientBase);
  return { client: client as unknown as pg.ClientBase, sent, pending };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("one query at a time on a connection", () => {
  it("sends the next query only once the previous one answered, in order, failures included", async () => {
    const { client, sent, pending } = fakeClient();
    const first = client.query("SELECT 1");
    const second = client.query({ text: "SELECT 2" });
    const third = client.query("SELECT 3", []);
    await tick();
    expect(sent).toEqual(["SELECT 1"]);
    pending.shift()!.settle(new Error("first failed"));
    await expect(first).rejects.toThrow("first failed");
    await tick();
    expect(sent).toEqual(["SELECT 1", "SELECT 2"]);
    pending.shift()!.settle();
    await expect(second).resolves.toEqual({ rows: ["SELECT 2"] });
    await tick();
    expect(sent).toEqual(["SELECT 1", "SELECT 2", "SELECT 3"]);
    pending.shift()!.settle();
    await expect(third).resolves.toEqual({ rows: ["SELECT 3"] });
  });

  it("leaves callback queries (pg.Pool's own) and streaming ones as pg sends them", async () => {
    const { client, sent } = fakeClient();
    void client.query("SELECT 1");
    (client.query as (...a: unknown[]) => unknown)("SELECT 2", [], () => {});
    (client.query as (...a: unknown[]) => unknown)({ text: "CURSOR", submit: () => {} });
    await tick();
    expect(sent).toEqual(["SELECT 1", "SELECT 2", "CURSOR"]);
  });

  it("queues a real connection's concurrent queries outside pg, so pg has no query waiting behind another", async () => {
    const client = new pg.Client();
    // Connecting needs no server for this check: count what pg queues internally instead.
    const queued: number[] = [];
    const internal = client as unknown as { _queryQueue: unknown[]; _pulseQueryQueue: () => void };
    internal._pulseQueryQueue = () => queued.push(internal._queryQueue.length);
    oneQueryAtATime(client);
    void client.query("SELECT 1").catch(() => {});
    void client.query("SELECT 2").catch(() => {});
    await tick();
    expect(queued).toEqual([1]);
  });
});
