// First start anywhere: a checkout in a private folder (mode 0700, like root's home or any
// `mktemp -d`) starts its embedded PostgreSQL, for root (whose server runs as the `postgres` user,
// which cannot traverse that folder) and for an ordinary user. The checkout is this tree's files
// copied as a clone would have them, with this checkout's installed node_modules hard-linked in
// (what `npm install` would have put there, without the download).
import { spawnSync } from "node:child_process";
import { chownSync, cpSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reachableDataDir } from "@/server/db/embedded";

const isRoot = process.getuid?.() === 0;
const folders: string[] = [];
const movedData: string[] = [];

/** A copy of this tree (tracked and new files, as `git clone` of it would give) in a new 0700 folder. */
function checkout(owner?: { uid: number; gid: number }): string {
  const parent = mkdtempSync(path.join(os.tmpdir(), "baton-first-start-"));
  folders.push(parent);
  expect(statSync(parent).mode & 0o777).toBe(0o700);
  const root = path.join(parent, "baton");
  const files = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    encoding: "utf8",
  })
    .stdout.split("\0")
    .filter((file) => file && statExists(file));
  for (const file of files) {
    mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
    cpSync(file, path.join(root, file));
  }
  // What `npm install` leaves: node_modules (hard links: instant, and inside the private folder
  // like a real install) and the generated Prisma client.
  spawnSync("cp", ["-al", "node_modules", path.join(root, "node_modules")]);
  cpSync("prisma/generated", path.join(root, "prisma/generated"), { recursive: true });
  if (owner) {
    // The folder and the copied files become the user's; hard-linked node_modules stays as it is
    // (readable by all, like a global install), since chown would change the originals too.
    for (const dir of [parent, root]) chownSync(dir, owner.uid, owner.gid);
    spawnSync("find", [
      root,
      "-path",
      path.join(root, "node_modules"),
      "-prune",
      "-o",
      "-exec",
      "chown",
      `${owner.uid}:${owner.gid}`,
      "{}",
      "+",
    ]);
  }
  movedData.push(reachableDataDir(path.join(root, ".data", "postgres")).dir);
  return root;
}

function statExists(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The environment of a newcomer's shell: none of this test run's variables. */
function newcomerEnv(home: string): Record<string, string | undefined> {
  const keep = ["PATH", "LANG", "TERM"];
  const env: Record<string, string | undefined> = {
    HOME: home,
    npm_config_cache: path.join(home, ".npm-cache"),
  };
  for (const key of keep) if (process.env[key]) env[key] = process.env[key];
  // The system's npm first, as in a fresh shell (not this run's node_modules/.bin).
  env.PATH = (env.PATH ?? "")
    .split(":")
    .filter((dir) => !dir.includes("node_modules"))
    .join(":");
  return env;
}

function run(command: string, args: string[], cwd: string, user?: { uid: number; gid: number }) {
  const result = spawnSync(command, args, {
    cwd,
    env: newcomerEnv(path.dirname(cwd)) as NodeJS.ProcessEnv,
    encoding: "utf8",
    timeout: 240_000,
    ...(user ?? {}),
  });
  return { status: result.status, out: `${result.stdout}\n${result.stderr}`, error: result.error };
}

beforeAll(() => {
  expect(spawnSync("git", ["rev-parse", "--is-inside-work-tree"], { encoding: "utf8" }).stdout.trim()).toBe(
    "true",
  );
});

afterAll(() => {
  for (const dir of [...folders, ...movedData.map((d) => path.dirname(d))])
    rmSync(dir, { recursive: true, force: true });
});

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
