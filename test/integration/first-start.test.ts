// First start anywhere: a checkout in a private folder (mode 0700, like root's home or any
// `mktemp -d`) starts its embedded PostgreSQL, for root (whose server runs as the `postgres` user,
// which cannot traverse that folder) and for an ordinary user (test/support/checkout.ts).
// `npm start` itself, which serves the production build, is started in test/system/first-start.test.ts.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reachableDataDir } from "@/server/db/embedded";
import { checkout, isRoot, removeCheckouts, run } from "../support/checkout";

beforeAll(() => {
  expect(spawnSync("git", ["rev-parse", "--is-inside-work-tree"], { encoding: "utf8" }).stdout.trim()).toBe(
    "true",
  );
});

afterAll(removeCheckouts);

describe.runIf(isRoot)("as root, in a 0700 folder", () => {
  let root: string;
  beforeAll(() => {
    root = checkout();
  });

  it("the CLI starts the embedded PostgreSQL (its data where the postgres user can reach it) and answers", () => {
    const { status, out } = run("npx", ["baton", "workspace", "list"], root);
    expect(out).not.toMatch(/EACCES|EBADENGINE/);
    expect(out).toContain(
      `Starting the embedded PostgreSQL in ${reachableDataDir(path.join(root, ".data", "postgres")).dir}`,
    );
    expect(status).toBe(0);
  });

  it("npm test starts its own cluster and passes", () => {
    const { status, out } = run("npm", ["test", "--", "test/unit/config.test.ts"], root);
    expect(out).not.toMatch(/EACCES|EBADENGINE/);
    expect(out).toMatch(/^\d+ passed, 0 failed$/m);
    expect(status).toBe(0);
  });
});

describe("as an ordinary user, in a 0700 folder", () => {
  // Run as `nobody` when the suite runs as root; otherwise the suite's own user is ordinary.
  const user = isRoot ? { uid: 65534, gid: 65534 } : undefined;
  let root: string;
  beforeAll(() => {
    root = checkout(user);
  });

  it("the CLI starts the embedded PostgreSQL in .data and answers", () => {
    const { status, out } = run("npx", ["baton", "workspace", "list"], root, user);
    expect(out).not.toMatch(/EACCES|EBADENGINE/);
    expect(out).toContain(`Starting the embedded PostgreSQL in ${path.join(root, ".data", "postgres")}`);
    expect(status).toBe(0);
  });
});
