// Next.js calls `register` once when a server process starts. The web process stamps every request
// with its socket address (server/net/client-ip.ts: Next.js gives handlers none), and checks its
// settings here, as the worker does in worker/main.ts, so a malformed value or (in production) a missing key
// stops it at start rather than at the first sign-in or secret.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { recordPeerAddresses } = await import("@/server/net/client-ip");
  recordPeerAddresses();
  // TRACE and the other methods fetch forbids are answered 405 before Next.js fails on them.
  const { refuseForbiddenMethods } = await import("@/server/http/methods");
  refuseForbiddenMethods();
  const { checkConfig } = await import("@/server/config");
  checkConfig("web", { production: process.env.NODE_ENV === "production" });
  // OpenTelemetry traces when OTEL_EXPORTER_OTLP_ENDPOINT is set (server/observability/tracing.ts).
  const { startTracing } = await import("@/server/observability/tracing");
  await startTracing("web");
}
