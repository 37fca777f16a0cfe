// Safe upgrades: committed migrations never change (their checksums are recorded in
// prisma/migrations/checksums.json), a repaired migration names a repair that runs after it, and
// graphile-worker, whose private tables the engine's SQL functions read, is pinned exactly.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { migrationChecksum, migrationFiles, readChecksumLock } from "@/server/db/migrate";

const lock = readChecksumLock();
const files = migrationFiles();

describe("prisma/migrations/checksums.json", () => {
  it("records every migration exactly as committed", () => {
    const changed = files
      .filter(({ name, sql }) => lock.checksums[name] !== migrationChecksum(sql))
      .map(({ name }) =>
        lock.checksums[name]
          ? `${name} differs from its recorded checksum: a committed migration is never edited; put it back and write a new migration`
          : `${name} has no recorded checksum: run \`npm run db:migration -- --record\``,
      );
    expect(changed).toEqual([]);
    expect(Object.keys(lock.checksums).sort()).toEqual(files.map((f) => f.name));
  });

  it("names, for each repaired migration, a repair that runs after it and earlier checksums it no longer has", () => {
    const names = files.map((f) => f.name);
    for (const [name, repair] of Object.entries(lock.repaired)) {
      expect(names).toContain(name);
      expect(names).toContain(repair.by);
      expect(repair.by > name).toBe(true);
      expect(repair.earlier).not.toContain(lock.checksums[name]);
      expect(repair.earlier.every((checksum) => /^[0-9a-f]{64}$/.test(checksum))).toBe(true);
    }
  });
});

describe("graphile-worker", () => {
  it("is pinned to one exact version (the engine's functions read its private tables)", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: Record<string, string> };
    const installed = JSON.parse(readFileSync("node_modules/graphile-worker/package.json", "utf8")) as {
      version: string;
    };
    expect(pkg.dependencies["graphile-worker"]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installed.version).toBe(pkg.dependencies["graphile-worker"]);
  });
});
