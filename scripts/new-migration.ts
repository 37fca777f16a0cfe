// `npm run db:migration -- <name>`: writes prisma/migrations/<timestamp>_<name>/migration.sql from
// the difference between the schema as last migrated (prisma/migrated.prisma) and schema.prisma,
// and records its checksum in prisma/migrations/checksums.json.
// Prisma's `migrate dev` needs a shadow database its offline WASM engine cannot introspect, so we
// diff schema to schema instead (the CLI still wants DATABASE_URL to reach a server).
//
// `npm run db:migration -- --record`: records the checksums of migrations written or extended by
// hand (SQL appended before committing). It never changes the checksum of a migration that is on
// main already: a committed migration is never edited (server/db/migrate.ts refuses to run one).
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import {
  type ChecksumLock,
  checksumsFile,
  migrationChecksum,
  migrationFiles,
  readChecksumLock,
} from "@/server/db/migrate";

const name = process.argv[2];
if (name === "--record") {
  record();
  process.exit(0);
}
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run db:migration -- <snake_case_name>   (or -- --record)");
  process.exit(2);
}
const snapshot = "prisma/migrated.prisma";
const from = existsSync(snapshot) ? ["--from-schema-datamodel", snapshot] : ["--from-empty"];
const sql = execFileSync(
  "prisma",
  ["migrate", "diff", ...from, "--to-schema-datamodel", "prisma/schema.prisma", "--script"],
  { encoding: "utf8" },
);
if (!/^\s*(CREATE|ALTER|DROP)/im.test(sql)) {
  console.log("schema.prisma has no changes since the last migration");
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const dir = `prisma/migrations/${stamp}_${name}`;
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}/migration.sql`, sql);
if (!existsSync("prisma/migrations/migration_lock.toml")) {
  writeFileSync("prisma/migrations/migration_lock.toml", 'provider = "postgresql"\n');
}
copyFileSync("prisma/schema.prisma", snapshot);
record();
console.log(
  `wrote ${dir}/migration.sql (SQL appended by hand before committing: run \`npm run db:migration -- --record\`)`,
);

function record() {
  const lock: ChecksumLock = existsSync(checksumsFile) ? readChecksumLock() : { checksums: {}, repaired: {} };
  const onMain = checksumsOnMain();
  for (const { name, sql } of migrationFiles()) {
    const checksum = migrationChecksum(sql);
    if (lock.checksums[name] === checksum) continue;
    if (onMain[name] !== undefined && onMain[name] !== checksum) {
      console.error(
        `${name} is on main already and was changed: put it back, and make the change in a new migration`,
      );
      process.exit(1);
    }
    lock.checksums[name] = checksum;
    console.log(`recorded ${name}`);
  }
  writeFileSync(checksumsFile, `${JSON.stringify(lock, null, 2)}\n`);
}

function checksumsOnMain(): Record<string, string> {
  try {
    const text = execFileSync("git", ["show", "main:prisma/migrations/checksums.json"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return (JSON.parse(text) as ChecksumLock).checksums;
  } catch {
    return {};
  }
}
