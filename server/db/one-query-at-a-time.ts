// One statement at a time on each connection. Prisma's driver adapter (@prisma/adapter-pg 6.19)
// sends the reads of a query with several relations (`include: { a, b }`) at once, and inside a
// transaction they all go to the same connection — every scoped query is such a transaction
// (server/tenancy/scoped-db.ts). node-postgres queues them itself today but warns that pg 9 will
// refuse a query sent while another is still running on the client, and asks for the flow
// control to be done outside it: this is that queue. Statements still run in the order they were
// sent, and a failed one does not hold up those behind it.
import type pg from "pg";

const serialized = new WeakSet<object>();

/** Makes `client.query` wait for the client's previous query before sending the next one. */
export function oneQueryAtATime(client: pg.ClientBase): void {
  if (serialized.has(client)) return;
  serialized.add(client);
  // pg's own query is looked up at each call, so whatever wraps pg.Client's prototype later
  // (tracing, a test counting statements) still sees every statement; a query the client itself
  // holds is kept as it is.
  type Query = (...args: unknown[]) => unknown;
  const own = Object.hasOwn(client, "query") ? (client.query as Query) : undefined;
  const send = (...args: unknown[]) =>
    (own ?? (Object.getPrototypeOf(client) as { query: Query }).query).apply(client, args);
  /** Queries sent and not answered yet, and the answer of the last one (what the next waits for). */
  let waiting = 0;
  let last: Promise<unknown> = Promise.resolve();
  client.query = ((...args: unknown[]) => {
    const [config] = args;
    // Callback-style calls (pg.Pool's own query, on an idle client) and streaming queries (a
    // Submittable such as a cursor, read as it goes) keep pg's behaviour; promise queries queue.
    const streaming = typeof (config as { submit?: unknown } | null)?.submit === "function";
    if (streaming || typeof args.at(-1) === "function") return send(...args);
    // An idle connection sends at once, so the order of calls is the order of statements.
    const result = (waiting === 0 ? send(...args) : last.then(() => send(...args))) as Promise<unknown>;
    waiting++;
    const answered = () => {
      waiting--;
    };
    last = result.then(answered, answered);
    return result;
  }) as typeof client.query;
}
