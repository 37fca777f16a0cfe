// Group commit (server/engine/batch.ts): a lone call goes at once, calls arriving while batches
// are in flight go together in the next one, and a failing batch fails only its bad item.
import { describe, expect, it } from "vitest";
import { batched } from "@/server/engine/batch";

/** A batch runner that records each batch and finishes when told to. */
function recorder(fail?: (item: number) => boolean) {
  const batches: number[][] = [];
  const release: Array<() => void> = [];
  const run = async (items: number[]) => {
    batches.push(items);
    await new Promise<void>((resolve) => release.push(resolve));
    if (fail && items.some(fail)) throw new Error(`bad item in ${items.join(",")}`);
    return items.map((i) => i * 10);
  };
  const releaseAll = () => {
    for (const r of release.splice(0)) r();
  };
  return { batches, run, releaseAll };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("batched", () => {
  it("sends a lone call at once, in a batch of its own", async () => {
    const r = recorder();
    const call = batched(r.run, { maxInFlight: 1 });
    const answer = call(1);
    await tick();
    expect(r.batches).toEqual([[1]]);
    r.releaseAll();
    expect(await answer).toBe(10);
  });

  it("groups the calls that arrive while a batch is in flight, each getting its own answer", async () => {
    const r = recorder();
    const call = batched(r.run, { maxInFlight: 1 });
    const answers = [call(1), call(2), call(3), call(4)];
    await tick();
    expect(r.batches).toEqual([[1]]);
    r.releaseAll();
    await tick();
    await tick();
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
    r.releaseAll();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40]);
  });

  it("runs up to maxInFlight batches at once and caps a batch at maxSize", async () => {
    const r = recorder();
    const call = batched(r.run, { maxInFlight: 2, maxSize: 2 });
    const answers = [1, 2, 3, 4, 5, 6].map((i) => call(i));
    await tick();
    expect(r.batches).toEqual([[1], [2]]);
    for (let i = 0; i < 4; i++) {
      r.releaseAll();
      await tick();
      await tick();
    }
    expect(r.batches.slice(2)).toEqual([
      [3, 4],
      [5, 6],
    ]);
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it("runs a failed batch again item by item, so only the bad item's caller sees the error", async () => {
    const r = recorder((item) => item === 3);
    const call = batched(r.run, { maxInFlight: 1 });
    const first = call(1);
    const rest = [call(2), call(3), call(4)].map((p) =>
      p.then(
        (v) => ({ ok: v }),
        (e: Error) => ({ error: e.message }),
      ),
    );
    for (let i = 0; i < 8; i++) {
      r.releaseAll();
      await tick();
      await tick();
    }
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([{ ok: 20 }, { error: "bad item in 3" }, { ok: 40 }]);
    expect(r.batches).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });
});
