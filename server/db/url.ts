/**
 * Splits a postgres:// URL into the discrete fields that node-postgres and Prisma's adapter take.
 * Every session runs in UTC: Prisma's DateTime columns are `timestamp` without a zone holding UTC,
 * and SQL comparing them with now() reads now() in the session's time zone, which otherwise is
 * the server's (a cluster initialised on a laptop in New York takes New York's).
 */
export function connectionFields(url: string) {
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname) || "localhost",
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username) || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || undefined,
    options: "-c TimeZone=UTC",
  };
}

/** The same server, another database: used by tests to clone databases from a template. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
