// Prisma CLI configuration. The CLI runs its WASM schema engine through a driver adapter, so
// migrations work without downloading Prisma's native engines (see docs/architecture.md).
import { PrismaPg } from "pg-adapter-migrate";
import { defineConfig } from "prisma/config";
import { connectionFields } from "./server/db/url";

// The schema names env("DATABASE_URL"), so `prisma generate` (which needs no database) must see
// some value; migrations still insist on a real one below.
const configuredUrl = process.env.DATABASE_URL;
process.env.DATABASE_URL ??= "postgresql://generate-only@localhost/none";

export default defineConfig({
  experimental: { adapter: true },
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  engine: "js",
  // Discrete fields, not a connection string: with a string the shadow database silently
  // points at the main database.
  // A short idle timeout lets the CLI exit as soon as it is done instead of holding the pool 10 s.
  adapter: async () =>
    new PrismaPg({ ...connectionFields(requireDatabaseUrl()), idleTimeoutMillis: 50, allowExitOnIdle: true }),
});

function requireDatabaseUrl(): string {
  const url = configuredUrl;
  if (!url) throw new Error("DATABASE_URL is not set (npm start and npm test set it for you)");
  return url;
}
