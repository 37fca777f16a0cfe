// Brings a database fully up to date: Baton's schema (Prisma migrations), then graphile-worker's
// own `graphile_worker` schema.
import { Logger, runMigrations } from "graphile-worker";
import { migrate } from "./migrate";

const quietLogger = new Logger(() => () => {});

export async function migrateAll(databaseUrl: string): Promise<string[]> {
  const applied = await migrate(databaseUrl);
  await runMigrations({ connectionString: databaseUrl, logger: quietLogger });
  return applied;
}
