// `npm run build:cli`: the client `baton` as one file, dist/baton.mjs (server/cli/client-main.ts
// with everything it imports bundled by esbuild). It runs with Node 20 or later in any folder,
// with no node_modules and no database driver: copy it to a CI image or a laptop and run
// `node baton.mjs login --url https://baton.example.com`.
import { chmodSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Bundles the client into `outfile`; returns the modules it holds (to check what is not in it). */
export async function buildClient(outfile: string): Promise<Metafile> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ["server/cli/client-main.ts"],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    tsconfig: "tsconfig.json",
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
    // Bundled CommonJS modules (commander, yaml) still call require.
    banner: {
      js: '#!/usr/bin/env node\nimport { createRequire as __batonRequire } from "node:module";\nconst require = __batonRequire(import.meta.url);',
    },
  });
  chmodSync(outfile, 0o755);
  return result.metafile;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outfile = `${root}dist/baton.mjs`;
  const metafile = await buildClient(outfile);
  const bytes = Object.values(metafile.outputs)[0]?.bytes ?? 0;
  console.log(
    `wrote dist/baton.mjs (${Math.round(bytes / 1024)} KiB); run it with: node dist/baton.mjs --help`,
  );
}
