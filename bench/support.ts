// Benchmark plumbing: a fresh database per benchmark (on the embedded PostgreSQL in
// .data/bench-postgres, or on BENCH_DATABASE_URL's server), and small statistics helpers.
import path from "node:path";
import pg from "pg";
import { reachableDataDir, startEmbeddedPostgres } from "../server/db/embedded";
import { migrateAll } from "../server/db/migrate-all";
import { connectionFields, withDatabase } from "../server/db/url";

export async function benchDatabase(name: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const embedded = process.env.BENCH_DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres({ dir: reachableDataDir(path.resolve(".data/bench-postgres")).dir });
  const server = withDatabase(process.env.BENCH_DATABASE_URL ?? embedded!.serverUrl, "postgres");
  const database = `baton_bench_${name}`;
  const admin = new pg.Client(connectionFields(server));
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  const url = withDatabase(server, database);
  await migrateAll(url);
  return { url, stop: async () => embedded?.stop() };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Jain's fairness index: 1 when every share is equal, 1/n when one takes everything. */
export function jain(shares: number[]): number {
  const sum = shares.reduce((a, b) => a + b, 0);
  const squares = shares.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? 1 : (sum * sum) / (shares.length * squares);
}

/**
 * A workspace of its own (an account signed up as a person would), with `settings` on its quota
 * columns; its scope, as a job would open it. Call once DATABASE_URL points at the bench database.
 */
export async function benchWorkspace(
  name: string,
  settings: { maxConcurrentTasks: number; shareWeight?: number },
): Promise<import("../server/tenancy/door").WorkspaceScope> {
  const [{ createAccount }, { db }, { systemScope }] = await Promise.all([
    import("../server/auth/accounts"),
    import("../server/db/client"),
    import("../server/tenancy/door"),
  ]);
  const { workspace } = await createAccount({
    email: `${name}@bench.example`,
    name,
    password: "benchmark password",
  });
  await db.workspace.update({ where: { id: workspace.id }, data: settings });
  return systemScope(workspace.id);
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

export function table(rows: Array<Record<string, string>>) {
  console.table(rows);
}
