// Checks an answer of the REST API against the OpenAPI document: its status must be one the
// operation documents, and its body must match the documented schema (Ajv, JSON Schema 2020-12,
// which OpenAPI 3.1 schemas are). The REST tests run every answer through it, so a route that
// answers what its schema does not describe fails them.
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { openApiDocument } from "@/server/rest/openapi";

type Operation = { responses: Record<string, { $ref?: string; content?: Record<string, unknown> }> };

const document = openApiDocument() as unknown as {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, { content?: Record<string, unknown> }> };
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema(document, "openapi");

const pointer = (...segments: string[]) =>
  segments.map((s) => s.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

/** Throws when the answer is not one the document describes for this operation. */
export function checkAnswer(method: string, schemaPath: string, status: number, body: unknown): void {
  const operation = document.paths[schemaPath]?.[method.toLowerCase()];
  if (!operation) throw new Error(`No operation ${method} ${schemaPath} in the OpenAPI document`);
  let response = operation.responses[String(status)];
  let at = pointer("paths", schemaPath, method.toLowerCase(), "responses", String(status));
  if (!response) {
    throw new Error(
      `${method} ${schemaPath} answered ${status}, which the document does not list (${Object.keys(operation.responses).join(", ")})`,
    );
  }
  if (response.$ref) {
    const name = response.$ref.split("/").at(-1)!;
    response = document.components.responses[name]!;
    at = pointer("components", "responses", name);
  }
  if (!response.content) {
    if (body !== null && body !== undefined && body !== "") {
      throw new Error(`${method} ${schemaPath} ${status} has no documented body, but answered one`);
    }
    return;
  }
  const validate = ajv.getSchema(`openapi#/${at}/content/application~1json/schema`);
  if (!validate) throw new Error(`No schema at ${at}`);
  if (!validate(body)) {
    const errors = validate.errors?.map((e) => `${e.instancePath || "(body)"} ${e.message}`).join("; ");
    throw new Error(`${method} ${schemaPath} ${status}: the body does not match its schema: ${errors}`);
  }
}
