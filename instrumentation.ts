// Next.js calls `register` once when a server process starts: a production web process checks its
// settings here, as the worker does in worker/main.ts, so a missing key stops it at start rather
// than at the first sign-in or secret.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.NODE_ENV !== "production") return;
  const { assertProductionConfig } = await import("@/server/config");
  assertProductionConfig("web");
}
