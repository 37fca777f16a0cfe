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
  ],
  typedRoutes: false,
  poweredByHeader: false,
};

export default config;
