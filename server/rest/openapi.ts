// The OpenAPI document of the REST API, built from the route table and the procedures' own zod
// input schemas, so it cannot drift from what the server validates.
import { z } from "zod";
import { appRouter } from "@/server/api/root";
import { type RestRoute, restRoutes } from "./routes";

type JsonSchema = { type?: string; properties?: Record<string, JsonSchema>; required?: string[] } & Record<
  string,
  unknown
>;

function inputSchema(procedurePath: string): JsonSchema {
  const procedure = (
    appRouter._def.procedures as unknown as Record<string, { _def: { inputs: z.ZodType[] } }>
  )[procedurePath];
  if (!procedure) throw new Error(`REST route names unknown procedure ${procedurePath}`);
  const merged: JsonSchema = { type: "object", properties: {}, required: [] };
  for (const input of procedure._def.inputs) {
    const schema = z.toJSONSchema(input, { io: "input", unrepresentable: "any" }) as JsonSchema;
    Object.assign(merged.properties!, schema.properties ?? {});
    merged.required!.push(...(schema.required ?? []));
  }
  // The workspace comes from the token, never from the client.
  delete merged.properties!.workspace;
  merged.required = merged.required!.filter((name) => name !== "workspace");
  return merged;
}

function responses(route: RestRoute) {
  const statuses = typeof route.status === "function" ? ["200", "201"] : [String(route.status ?? 200)];
  return {
    ...Object.fromEntries(
      statuses.map((status) => [status, { description: "Success", content: { "application/json": {} } }]),
    ),
    "4XX": {
      description: "Client error",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    },
  };
}

/** A route whose body is a document sent as a file (JSON or YAML); its other fields are query parameters. */
function documentOperation(
  route: RestRoute,
  schema: JsonSchema,
  pathParams: string[],
  rest: [string, JsonSchema][],
) {
  const { field, formatField, schema: documentSchema } = route.bodyText!;
  const query = rest.filter(([name]) => name !== field && name !== formatField);
  const documentRef = documentSchema ? { $ref: documentSchema } : {};
  return {
    operationId: route.procedure,
    summary: route.summary,
    parameters: [
      ...pathParams.map((name) => ({
        name,
        in: "path",
        required: true,
        schema: schema.properties?.[name] ?? { type: "string" },
      })),
      ...query.map(([name, s]) => ({
        name,
        in: "query",
        required: schema.required?.includes(name) ?? false,
        schema: s,
      })),
    ],
    requestBody: {
      required: true,
      content: {
        "application/json": { schema: documentRef },
        "application/yaml": { schema: { type: "string", description: "The same document as YAML" } },
      },
    },
    responses: responses(route),
  };
}

export function openApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of restRoutes) {
    const schema = inputSchema(route.procedure);
    const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const fixed = Object.keys(route.input ?? {});
    const rest = Object.entries(schema.properties ?? {}).filter(
      ([name]) => !pathParams.includes(name) && !fixed.includes(name),
    );
    const inQuery = route.method === "GET" || route.method === "DELETE";
    if (route.bodyText) {
      paths[route.path] ??= {};
      paths[route.path]![route.method.toLowerCase()] = documentOperation(route, schema, pathParams, rest);
      continue;
    }
    const parameters = [
      ...pathParams.map((name) => ({
        name,
        in: "path",
        required: true,
        schema: schema.properties?.[name] ?? { type: "string" },
      })),
      ...(inQuery
        ? rest.map(([name, s]) => ({
            name,
            in: "query",
            required: schema.required?.includes(name) ?? false,
            schema: s,
          }))
        : []),
    ];
    const body = Object.fromEntries(rest);
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      operationId: route.procedure,
      summary: route.summary,
      parameters,
      ...(!inQuery && rest.length > 0
        ? {
            requestBody: {
              required: true,
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: body,
                    required: schema.required?.filter((r) => r in body),
                  },
                },
              },
            },
          }
        : {}),
      responses: responses(route),
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Baton API",
      version: "1",
      description:
        "Workflow orchestration. Authenticate with `Authorization: Bearer <API token>`; a token acts only inside its own workspace.",
    },
    servers: [{ url: "/api/v1" }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        Error: {
          type: "object",
          properties: {
            error: {
              type: "object",
              properties: {
                code: { type: "string" },
                message: { type: "string" },
                problems: {
                  type: "array",
                  items: {
                    type: "object",
                    properties: { path: { type: "string" }, message: { type: "string" } },
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}
