// The OpenAPI 3.1 document of the REST API, built from the route table and the procedures' own zod
// schemas: inputs from `.input()`, answers from `.output()` (server/api/schemas), so it describes
// what the server validates and sends. Schemas with an id (`.meta({ id })`) become components,
// which is also how recursive types (JsonValue) get a target for their `$ref`s. The document is
// checked by @apidevtools/swagger-parser in CI (test/unit/openapi.test.ts), and the REST tests
// validate every answer against it (test/support/rest-client.ts).
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { agentEndpointDocs } from "@/server/agents/http";
import { appRouter } from "@/server/api/root";
import { errorBody, trustedComponent } from "@/server/api/schemas/common";
import { dagDocumentSchema } from "@/server/dags/json-schema";
import { pageEnvelope } from "@/server/pagination";
import { type RestRoute, restRoutes, successStatuses } from "./routes";

type JsonSchema = Record<string, unknown> & {
  properties?: Record<string, JsonSchema>;
  required?: string[];
  $defs?: Record<string, JsonSchema>;
};
type Io = "input" | "output";

const componentRef = (id: string) => `#/components/schemas/${id}`;

/** Error answers, each a component every operation that may give it refers to. */
const errorAnswers = {
  400: ["BadRequest", "The input is malformed or a field is invalid; `problems` names each field"],
  401: ["Unauthorized", "No API token, or a revoked or unknown one"],
  403: ["Forbidden", "The token's role lacks the permission"],
  404: ["NotFound", "No such object in the token's workspace"],
  409: ["Conflict", "A name taken, a concurrent change, a plan's quota reached, a state that forbids it"],
  412: ["PreconditionFailed", "If-Match names another version than the current one"],
  413: ["PayloadTooLarge", "The body is over the limit"],
  422: ["UnprocessableContent", "A document or params that do not fit: `problems` lists every problem"],
  429: ["TooManyRequests", "Over the rate limit; retry after Retry-After seconds"],
} as const satisfies Record<number, readonly [string, string]>;
type ErrorStatus = keyof typeof errorAnswers;

/** Sent on every answer to a request with a valid token (server/rest/handler.ts). */
const rateLimitHeaders = {
  "RateLimit-Limit": "Requests the workspace may make per minute (quota apiRateLimitPerMinute)",
  "RateLimit-Remaining": "Requests left in the current minute",
  "RateLimit-Reset": "Seconds until the minute's budget is full again",
};
const rateLimitRefs = Object.fromEntries(
  Object.keys(rateLimitHeaders).map((name) => [name, { $ref: `#/components/headers/${name}` }]),
);

/** Builds the document; its schemas are converted once per process. */
export function openApiDocument() {
  cached ??= build();
  return cached;
}
let cached: ReturnType<typeof build> | undefined;

function build() {
  const components = new Components();
  components.convert(pageEnvelope, "output");
  const errorSchema = components.convert(errorBody, "output");
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of restRoutes) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation(route, components);
  }
  for (const endpoint of agentEndpointDocs) {
    paths[`/agent${endpoint.path}`] = { post: agentOperation(endpoint, components) };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Baton API",
      version: "1",
      description:
        "Workflow orchestration. Authenticate with `Authorization: Bearer <API token>`; a token acts only inside its own workspace. Conventions (pages, ETags, idempotency keys, rate limits): docs/api.md.",
    },
    servers: [{ url: "/api/v1" }],
    security: [{ bearer: [] }],
    tags: [...new Set([...restRoutes.map(tagOf), "agent"])].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "An API token: baton_…" },
        joinToken: {
          type: "http",
          scheme: "bearer",
          description: "An agent pool's join token: baton_join_…",
        },
        agentToken: { type: "http", scheme: "bearer", description: "An agent's own token: baton_agent_…" },
      },
      schemas: components.schemas,
      headers: Object.fromEntries(
        Object.entries(rateLimitHeaders).map(([name, description]) => [
          name,
          { description, schema: { type: "integer" } },
        ]),
      ),
      responses: Object.fromEntries(
        Object.entries(errorAnswers).map(([status, [name, description]]) => [
          name,
          {
            description,
            headers: {
              ...(Number(status) === 429
                ? { "Retry-After": { description: "Seconds to wait", schema: { type: "integer" } } }
                : {}),
              ...(Number(status) === 401 ? {} : rateLimitRefs),
            },
            content: { "application/json": { schema: errorSchema } },
          },
        ]),
      ),
    },
  };
}

const tagOf = (route: RestRoute) => route.path.split("/")[1]!;

/** An agent endpoint (server/agents/http.ts): POST, its own tokens, the protocol header. */
function agentOperation(endpoint: (typeof agentEndpointDocs)[number], components: Components) {
  const pathParams = [...endpoint.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  return {
    operationId: `agent.${endpoint.path
      .split("/")
      .filter((p) => p && !p.startsWith("{"))
      .join(".")}`,
    summary: endpoint.summary,
    tags: ["agent"],
    security: ["joinToken" in endpoint ? { joinToken: [] } : { agentToken: [] }],
    parameters: [
      ...pathParams.map((name) => ({
        name,
        in: "path",
        required: true,
        schema: { type: "string", format: "uuid" },
      })),
      {
        name: "Baton-Agent-Protocol",
        in: "header",
        required: true,
        description: "The agent protocol the agent speaks; another than the server's is refused (426)",
        schema: { type: "string", const: "1" },
      },
    ],
    requestBody: {
      required: true,
      content: { "application/json": { schema: components.convert(endpoint.body, "input") } },
    },
    responses: {
      200: {
        description: endpoint.summary,
        content: { "application/json": { schema: components.convert(endpoint.answer, "output") } },
      },
      ...Object.fromEntries(
        ([400, 401, 404, 413, 422, 429] as const).map((status) => [
          status,
          { $ref: `#/components/responses/${errorAnswers[status][0]}` },
        ]),
      ),
      426: { description: "The agent speaks another protocol than this server: install the matching agent" },
    },
  };
}

/** The zod schemas of a procedure: its merged input object and its output. */
function procedureSchemas(path: string) {
  const procedure = (
    appRouter._def.procedures as unknown as Record<
      string,
      { _def: { inputs: z.ZodType[]; output?: z.ZodType } } | undefined
    >
  )[path];
  if (!procedure) throw new Error(`REST route names unknown procedure ${path}`);
  return procedure._def;
}

function operation(route: RestRoute, components: Components) {
  const { inputs, output: declared } = procedureSchemas(route.procedure);
  const output = route.answer ?? declared;
  if (!output) throw new Error(`${route.procedure} has no output schema: add .output() (server/api/schemas)`);
  const input: JsonSchema = { type: "object", properties: {}, required: [] };
  for (const schema of inputs) {
    const converted = components.convert(schema, "input");
    Object.assign(input.properties!, converted.properties ?? {});
    input.required!.push(...(converted.required ?? []));
  }
  // The workspace comes from the token, never from the client.
  const skip = new Set(["workspace", ...Object.keys(route.input ?? {})]);
  const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const headerParams = route.headers ?? {};
  const field = (name: string) => input.properties![name] ?? { type: "string" };
  const required = (name: string) => input.required!.includes(name);
  const inBody = route.method !== "GET" && route.method !== "DELETE";
  const rest = Object.keys(input.properties!).filter(
    (name) =>
      !skip.has(name) &&
      !pathParams.includes(name) &&
      !Object.values(headerParams).some((h) => h.field === name) &&
      name !== route.bodyText?.field &&
      name !== route.bodyText?.formatField,
  );
  const queryParams = inBody && !route.bodyText ? [] : rest;
  const bodyFields = inBody && !route.bodyText ? rest : [];

  const parameters = [
    ...pathParams.map((name) => ({ name, in: "path", required: true, schema: field(name) })),
    ...queryParams.map((name) => ({ name, in: "query", required: required(name), schema: field(name) })),
    ...Object.entries(headerParams).map(([name, header]) => ({
      name,
      in: "header",
      required: false,
      description: header.description,
      schema: field(header.field),
    })),
  ];

  let requestBody: unknown;
  if (route.bodyText) {
    requestBody = {
      required: true,
      content: {
        "application/json": { schema: components.convert(dagDocumentSchema(), "input") },
        "application/yaml": { schema: { type: "string", description: "The same document as YAML" } },
      },
    };
  } else if (bodyFields.length > 0) {
    const body: JsonSchema = {
      type: "object",
      properties: Object.fromEntries(bodyFields.map((name) => [name, field(name)])),
    };
    const requiredFields = bodyFields.filter(required);
    if (requiredFields.length > 0) body.required = requiredFields;
    requestBody = {
      required: requiredFields.length > 0,
      content: { "application/json": { schema: body } },
    };
  }

  const success = output instanceof z.ZodVoid ? undefined : components.convert(output, "output");
  const responses: Record<string, unknown> = {};
  // A procedure answering nothing answers 204 without a body (server/rest/handler.ts).
  for (const status of success ? successStatuses(route) : [204]) {
    responses[status] = success
      ? {
          description: route.summary,
          headers: { ...rateLimitRefs, ...route.responseHeaders },
          content: { "application/json": { schema: success } },
        }
      : { description: "Done; no body", headers: rateLimitRefs };
  }
  for (const status of errorStatuses(route)) {
    responses[status] = { $ref: `#/components/responses/${errorAnswers[status][0]}` };
  }
  return {
    operationId: route.operationId ?? route.procedure,
    summary: route.summary,
    tags: [tagOf(route)],
    parameters,
    ...(requestBody ? { requestBody } : {}),
    responses,
  };
}

/** The errors an operation may answer: every kind of request can be malformed, unauthenticated,
 * forbidden, aimed at an unknown object or rate-limited; changes can also conflict or not fit. */
function errorStatuses(route: RestRoute): ErrorStatus[] {
  const statuses: ErrorStatus[] = [400, 401, 403, 404];
  if (route.method !== "GET") statuses.push(409, 422);
  if (route.method === "POST" || route.method === "PUT" || route.method === "PATCH") statuses.push(413);
  if (route.headers && Object.keys(route.headers).includes("If-Match")) statuses.push(412);
  statuses.push(429);
  return statuses.sort((a, b) => a - b);
}

/**
 * The document's named schemas. Each conversion's `$defs` (the schemas with an id it met) move
 * here and its `$ref`s are rewritten to point here. An id converted both as input and as output
 * with different results (defaults make fields optional in input) keeps the output under its id
 * and the input as `<id>Input`.
 */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};
  private pending = new Set<z.ZodType>();

  convert(schema: z.ZodType, io: Io): JsonSchema {
    const json = z.toJSONSchema(schema, {
      io,
      // z.int() bounds itself to the safe integers; saying so on every integer is noise.
      override: ({ jsonSchema }) => {
        if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
        if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      },
      unrepresentable: ({ zodSchema }) => {
        const component = trustedComponent(zodSchema);
        if (component) {
          const id = z.globalRegistry.get(component)?.id;
          if (!id) throw new Error("A trusted schema's component needs an id");
          this.pending.add(component);
          return { $ref: componentRef(id) };
        }
        if (zodSchema._zod.def.type === "date") return { type: "string", format: "date-time" };
        return "any";
      },
    }) as JsonSchema;
    const { $schema: _, $defs = {}, ...root } = json;
    const names = this.lift($defs, io);
    const result = rewriteRefs(root, names) as JsonSchema;
    for (const component of [...this.pending]) {
      this.pending.delete(component);
      this.convert(component, "input");
    }
    return result;
  }

  private lift(defs: Record<string, JsonSchema>, io: Io): Map<string, string> {
    const names = new Map<string, string>();
    for (const id of Object.keys(defs)) {
      if (id.startsWith("__schema")) {
        throw new Error(
          `A recursive schema without an id: give it .meta({ id }) (${JSON.stringify(defs[id]).slice(0, 200)})`,
        );
      }
      names.set(id, id);
    }
    if (io === "input") {
      for (const [id, def] of Object.entries(defs)) {
        const existing = this.schemas[id];
        if (existing && !isDeepStrictEqual(existing, rewriteRefs(def, names))) names.set(id, `${id}Input`);
      }
    }
    for (const [id, def] of Object.entries(defs)) {
      const name = names.get(id)!;
      const converted = rewriteRefs(def, names) as JsonSchema;
      const existing = this.schemas[name];
      if (existing && !isDeepStrictEqual(existing, converted)) {
        throw new Error(`Two different schemas have the id ${name}`);
      }
      this.schemas[name] = converted;
    }
    return names;
  }
}

/** `#/$defs/<id>` → `#/components/schemas/<name>`, throughout a converted schema. */
function rewriteRefs(value: unknown, names: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, names));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => {
      if (key === "$ref" && typeof item === "string" && item.startsWith("#/$defs/")) {
        const id = item.slice("#/$defs/".length);
        return [key, componentRef(names.get(id) ?? id)];
      }
      return [key, rewriteRefs(item, names)];
    }),
  );
}
