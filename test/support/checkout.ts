// A newcomer's checkout for first-start tests: this tree's files copied as a clone would have
// them into a new private folder (mode 0700, like root's home or any `mktemp -d`), with this
// checkout's installed node_modules hard-linked in (what `npm install` would have put there,
// without the download), and commands run with a newcomer's environment.
import { spawnSync } from "node:child_process";
import { chownSync, cpSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { reachableDataDir } from "@/server/db/embedded";

export const isRoot = process.getuid?.() === 0;
const folders: string[] = [];
const movedData: string[] = [];

/** A copy of this tree (tracked and new files, as `git clone` of it would give) in a new 0700 folder. */
export function checkout(owner?: { uid: number; gid: number }, options: { build?: boolean } = {}): string {
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
  // The web app's production build, when the test wants `npm start` without building it again.
  if (options.build) spawnSync("cp", ["-al", ".next", path.join(root, ".next")]);
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
export function newcomerEnv(home: string): Record<string, string | undefined> {
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

export function run(command: string, args: string[], cwd: string, user?: { uid: number; gid: number }) {
  const result = spawnSync(command, args, {
    cwd,
    env: newcomerEnv(path.dirname(cwd)) as NodeJS.ProcessEnv,
    encoding: "utf8",
    timeout: 240_000,
    ...(user ?? {}),
  });
  return { status: result.status, out: `${result.stdout}\n${result.stderr}`, error: result.error };
}

/** Removes every checkout made, and the data folders moved out of them. */
export function removeCheckouts(): void {
  for (const dir of [...folders, ...movedData.map((d) => path.dirname(d))])
    rmSync(dir, { recursive: true, force: true });
}
