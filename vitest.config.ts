import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

// Four suites. Unit tests touch no database; integration tests each get a database cloned from
// a migrated template (test/support/setup-db.ts); system tests run the production processes
// against a built app; browser tests drive Chromium against a built app.
// scripts/test.ts prepares the template and the browser, then runs this.
export default defineConfig({
  resolve: { alias: { "@": root } },
  test: {
    projects: [
      // A few unit tests start a program (tsx, biome): seconds on a loaded machine.
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 30_000 } },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          setupFiles: ["test/support/setup-db.ts"],
          // Runs wait up to 60 s for their end (waitForRun); a Python task's first start alone can
          // take 20 s on 2 busy cores, so a test gets more than the runs it waits for.
          testTimeout: 90_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The production processes together (2 web, 3 workers) on a PostgreSQL the test restarts.
        extends: true,
        test: {
          name: "system",
          include: ["test/system/**/*.test.ts"],
          setupFiles: ["test/support/setup-db.ts"],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          setupFiles: ["test/support/setup-db.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
