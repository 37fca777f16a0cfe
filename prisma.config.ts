// Prisma CLI configuration. The CLI runs its WASM schema engine through a driver adapter, so
// migrations work without downloading Prisma's native engines (see docs/architecture.md).
import { PrismaPg } from "pg-adapter-migrate";
import { defineConfig } from "prisma/config";
import { connectionFields } from "./server/db/url";

export default defineConfig({
  experimental: { adapter: true },
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  engine: "js",
  // Discrete fields, not a connection string: with a string the shadow database silently
  // points at the main database.
  adapter: async () => new PrismaPg(connectionFields(requireDatabaseUrl())),
});

function requireDatabaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set (npm start and npm test set it for you)");
  return url;
}
