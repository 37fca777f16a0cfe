import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { tenantModelNames } from "@/server/tenancy/scoped-db";

it("every model with a workspaceId is reachable only through the workspace scope", () => {
  const schema = readFileSync("prisma/schema.prisma", "utf8");
  const withWorkspaceId = [...schema.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)]
    .filter(([, , body]) => /^\s+workspaceId\s/m.test(body!))
    .map(([, name]) => name);
  expect([...tenantModelNames].sort()).toEqual(withWorkspaceId.sort());
});
