// The engine's SQL functions plan with enable_seqscan = off, which prices any sequential scan in
// them (the "Worker" table's, tiny tables') past PostgreSQL's JIT thresholds: without jit = off
// each call JIT-compiled its statements, 300-650 ms per admission on a loaded machine (migration
// 20261207202619_engine_functions_without_jit). Every such function must say jit = off.
import { describe, expect, it } from "vitest";
import { sql } from "@/server/engine/sql";

describe("the engine's functions", () => {
  it("every function planned without sequential scans plans without JIT too", async () => {
    const { rows } = await sql.query<{ name: string; config: string[] }>(
      `SELECT p.proname AS name, p.proconfig AS config FROM pg_proc p
       WHERE p.proconfig @> ARRAY['enable_seqscan=off'] ORDER BY 1`,
    );
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(["baton_admit", "baton_allowance"]));
    expect(rows.filter((r) => !r.config.includes("jit=off")).map((r) => r.name)).toEqual([]);
  });
});
