// `npm run migrate`: applies Baton's and graphile-worker's migrations to DATABASE_URL.

import { env } from "@/server/config";
import { MigrationChecksumError } from "@/server/db/migrate";
import { migrateAll } from "@/server/db/migrate-all";

const url = env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is not set");
  process.exit(1);
}
const applied = await migrateAll(url).catch((error) => {
  if (!(error instanceof MigrationChecksumError)) throw error;
  console.error(error.message);
  process.exit(1);
});
console.log(applied.length ? `applied: ${applied.join(", ")}` : "database is up to date");
