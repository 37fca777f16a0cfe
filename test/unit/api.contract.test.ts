// The REST API's contract: the OpenAPI document is valid for a standard validator, every route's
// procedure declares its answer (`.output()`), the generated client types are current, and the
// answer checker the REST tests use refuses what the document does not describe.
import { readFileSync } from "node:fs";
import SwaggerParser from "@apidevtools/swagger-parser";
import { describe, expect, it } from "vitest";
import { clientTypes, generatedClientPath } from "@/scripts/generate-client";
import { appRouter } from "@/server/api/root";
import { dagJsonSchema } from "@/server/dags/json-schema";
import { openApiDocument } from "@/server/rest/openapi";
import { restRoutes } from "@/server/rest/routes";
import { checkAnswer } from "../support/contract";

const document = openApiDocument() as unknown as {
  paths: Record<string, Record<string, { responses: Record<string, { content?: unknown; $ref?: string }> }>>;
  components: { schemas: Record<string, unknown> };
};

describe("the OpenAPI document", () => {
  it("is valid under @apidevtools/swagger-parser, every $ref resolving inside it", async () => {
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.filter((ref) => !ref.startsWith("#/components/"))).toEqual([]);
  });

  it("describes the success answer of every operation with a schema", () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const success = Object.entries(operation.responses).filter(([status]) => status.startsWith("2"));
        expect(success.length, `${method} ${path}`).toBeGreaterThan(0);
        for (const [status, response] of success) {
          if (status !== "204") expect(response.content, `${method} ${path} ${status}`).toBeDefined();
        }
      }
    }
  });

  it("holds the shared types and the DAG document as components", () => {
    for (const name of [
      "Run",
      "RunDetail",
      "TaskInstance",
      "Attempt",
      "Dag",
      "DagVersion",
      "DagDocument",
      "Problem",
      "Error",
      "Page",
      "RunPage",
      "JsonValue",
    ]) {
      expect(document.components.schemas, name).toHaveProperty(name);
    }
    // The DAG schema served on its own describes the same document.
    const component = document.components.schemas.DagDocument as { properties: object };
    expect(Object.keys(component.properties).sort()).toEqual(
      Object.keys((dagJsonSchema() as { properties: object }).properties).sort(),
    );
  });
});

describe("procedures on the REST API", () => {
  it("each declare their answer with .output() (add one in server/api/schemas), or the route its `answer`", () => {
    const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { output?: unknown } }>;
    const declared = restRoutes.filter((route) => !route.answer);
    const missing = [...new Set(declared.map((route) => route.procedure))].filter(
      (name) => !procedures[name]?._def.output,
    );
    expect(missing).toEqual([]);
  });
});

describe("the generated client", () => {
  it("is what the document generates now (run `npm run api:client` after changing the API)", async () => {
    expect(readFileSync(generatedClientPath, "utf8") === (await clientTypes())).toBe(true);
  });
});

describe("the answer checker of the REST tests", () => {
  const run = {
    id: "00000000-0000-4000-8000-000000000000",
    dagKey: "etl",
    state: "running",
    triggeredBy: "api",
    triggeredByLabel: "",
    note: "",
    logicalDate: "2026-01-01T00:00:00.000Z",
    queuedAt: "2026-01-01T00:00:00.000Z",
    startedAt: null,
    endedAt: null,
    slaMisses: 0,
    stateReason: null,
  };

  it("accepts an answer the document describes", () => {
    expect(() => checkAnswer("GET", "/runs", 200, { items: [run], nextCursor: null })).not.toThrow();
  });

  it("refuses a body its schema does not describe", () => {
    expect(() => checkAnswer("GET", "/runs", 200, [run])).toThrow(/does not match its schema/);
    expect(() =>
      checkAnswer("GET", "/runs", 200, { items: [{ ...run, state: "exploded" }], nextCursor: null }),
    ).toThrow(/state/);
    expect(() =>
      checkAnswer("GET", "/runs", 200, { items: [{ ...run, secret: "leaked" }], nextCursor: null }),
    ).toThrow(/additional properties/);
  });

  it("refuses a status the operation does not list, and a body on a 204", () => {
    expect(() => checkAnswer("GET", "/runs", 409, { error: {} })).toThrow(/does not list/);
    expect(() => checkAnswer("DELETE", "/variables/{key}", 204, { deleted: true })).toThrow(
      /no documented body/,
    );
  });
});
