import type { NextConfig } from "next";

const config: NextConfig = {
  // Prisma's generated client and native/WASM packages load from node_modules at run time.
  serverExternalPackages: [
    "@node-rs/argon2",
    "graphile-worker",
    "quickjs-emscripten",
    "pg",
    "pino",
    "pino-pretty",
    "prom-client",
    // The optional OpenTelemetry SDK, loaded only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
    "@opentelemetry/sdk-trace",
    "@opentelemetry/exporter-trace-otlp-http",
    "@opentelemetry/resources",
    "@opentelemetry/context-async-hooks",
    "@opentelemetry/core",
  ],
  typedRoutes: false,
  // forbidden() (next/navigation): the platform console answers HTTP 403 to signed-in
  // non-administrators, with app/forbidden.tsx as the page.
  experimental: { authInterrupts: true },
  poweredByHeader: false,
};

export default config;
