// Who may hold raw database access is decided by the linter (biome.jsonc, noRestrictedImports):
// the unscoped client, the engine core's SQL and the cross-tenant SQL each have a list of modules
// allowed to import them, and everything else goes through the workspace door. `npm run lint`
// checks the real code; this checks the rule itself holds, by linting probe modules placed where
// a new module would go.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const probes: string[] = [];

/** The noRestrictedImports messages biome reports for `file`. */
function lint(file: string): string[] {
  const run = spawnSync("biome", ["lint", "--reporter=json", file], { encoding: "utf8" });
  const report = JSON.parse(run.stdout) as { diagnostics: { category: string; message: string }[] };
  return report.diagnostics
    .filter((d) => d.category === "lint/style/noRestrictedImports")
    .map((d) => d.message);
}

/** The same, for a new module at `file` (a probe beside it) importing `from`. */
function restricted(file: string, from: string): string[] {
  const probe = file.replace(/\.ts$/, `.probe-${process.pid}.ts`);
  mkdirSync(path.dirname(probe), { recursive: true });
  writeFileSync(probe, `import * as raw from "${from}";\nexport const probe = raw;\n`);
  probes.push(probe);
  return lint(probe);
}

afterAll(() => {
  for (const probe of probes) rmSync(probe, { force: true });
});

describe("raw database access", () => {
  it("is refused to a module outside the lists, however it is imported", () => {
    for (const from of [
      "@/server/db/client",
      "@/server/engine/sql",
      "@/server/db/cross-tenant",
      "../db/sql",
    ]) {
      expect(restricted("server/config/new-module.ts", from), from).toHaveLength(1);
    }
    expect(restricted("worker/tasks/new-task.ts", "@/server/engine/sql")).toHaveLength(1);
    expect(restricted("app/api/new/route.ts", "@/server/db/client")).toHaveLength(1);
  });

  it("is allowed where biome.jsonc says so, and only that kind", () => {
    expect(restricted("server/engine/new-step.ts", "./sql")).toEqual([]);
    expect(restricted("server/engine/new-step.ts", "@/server/engine/sql")).toEqual([]);
    expect(restricted("server/engine/new-step.ts", "@/server/db/cross-tenant")).toHaveLength(1);
    expect(restricted("server/engine/new-step.ts", "@/server/db/client")).toHaveLength(1);
    // Listed modules (they import what they are allowed to).
    expect(lint("server/schedules/scheduler.ts")).toEqual([]);
    expect(lint("server/tenancy/door.ts")).toEqual([]);
  });

  it("leaves the workspace door open to everyone", () => {
    expect(restricted("server/config/new-module.ts", "@/server/tenancy/workspace-sql")).toEqual([]);
    expect(restricted("server/config/new-module.ts", "@/server/tenancy/door")).toEqual([]);
  });
});
