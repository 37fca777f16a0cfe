// No input answers 5xx (issue 15, finding 7): requests generated with fast-check from the OpenAPI
// document (every REST route) and from every tRPC procedure's input schema, plus the tRPC HTTP
// endpoint and the public webhook URL, against a workspace with real DAGs, runs, variables,
// secrets, connections, pools and webhooks. Mostly well-formed requests, so that they get past the
// first checks, salted with NUL and lone surrogates, bad percent-encoding, numbers out of range,
// deep nesting, wrong types and invalid or revoked tokens. Every answer must be below 500.
//
// The seed is fixed (FUZZ_SEED to try another) so that CI runs the same requests each time; the
// test prints how many it sent. FUZZ_RUNS scales the runs per route and procedure (default 1).
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { GET as trpcGet, POST as trpcPost } from "@/app/api/trpc/[trpc]/route";
import { appRouter, createCaller } from "@/server/api/root";
import type { Context } from "@/server/api/trpc";
import { handleRest } from "@/server/rest/handler";
import { openApiDocument } from "@/server/rest/openapi";
import { restRoutes } from "@/server/rest/routes";
import { generateKey } from "@/server/secrets/crypto";
import type { Caller } from "@/server/tenancy/door";
import { receiveWebhook } from "@/server/webhooks/receive";
import { createUser } from "../support/factories";
import { hostileStrings, type JsonSchema, type Known, pathParam, SchemaArbitraries } from "../support/fuzz";

process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

const SEED = Number(process.env.FUZZ_SEED ?? 20261207);
const SCALE = Number(process.env.FUZZ_RUNS ?? 1);

let owner: Awaited<ReturnType<typeof createUser>>;
let token: string;
let revokedToken: string;
let webhook: { id: string; secret: string };
const known: Known = { strings: [], uuids: [] };
const sent = { rest: 0, trpc: 0, trpcHttp: 0, webhooks: 0 };
const failures: string[] = [];
/** Answers by class (2xx, 4xx…), to see how deep the requests got. */
const classes: Record<string, number> = {};

/** Records an answer at or above 500 with what caused it. */
function check(status: number, what: string, answer: string) {
  const kind = `${Math.floor(status / 100)}xx`;
  classes[kind] = (classes[kind] ?? 0) + 1;
  if (status < 500) return;
  failures.push(`${status} ${what} → ${answer.slice(0, 300)}`);
  console.error(failures.at(-1));
}

beforeAll(async () => {
  owner = await createUser("fuzz");
  const api = owner.api;
  const workspace = owner.workspace.slug;
  token = (await api.tokens.create({ workspace, name: "fuzz", role: "OWNER" })).token;
  const revoked = await api.tokens.create({ workspace, name: "revoked", role: "VIEWER" });
  await api.tokens.revoke({ workspace, tokenId: revoked.id });
  revokedToken = revoked.token;
  const other = await api.tokens.create({ workspace, name: "other", role: "VIEWER" });
  const document = {
    id: "fuzzed",
    params: { n: { type: "integer", default: 1 }, s: { type: "string", default: "x" } },
    tasks: [
      { id: "a", operator: "noop" },
      { id: "b", operator: "noop", dependsOn: ["a"] },
    ],
  };
  await api.dags.push({ workspace, dagId: "fuzzed", document: JSON.stringify(document), format: "json" });
  await api.dags.push({
    workspace,
    dagId: "scheduled",
    document: JSON.stringify({
      ...document,
      id: "scheduled",
      schedule: { type: "cron", cron: "0 2 * * *" },
    }),
    format: "json",
  });
  const run = await api.runs.trigger({ workspace, dagId: "fuzzed" });
  await api.variables.create({ workspace, key: "var_a", value: { x: 1 } });
  await api.secrets.create({ workspace, name: "S", value: "secret-value" });
  await api.connections.create({
    workspace,
    name: "conn_a",
    type: "http",
    config: { baseUrl: "https://example.com", authHeaderValue: "x" },
  });
  await api.pools.create({ workspace, name: "pool_a", slots: 2 });
  const hook = await api.webhooks.create({ workspace, dagId: "fuzzed", name: "in", authMode: "token" });
  webhook = { id: hook.id, secret: hook.secret! };
  const invitation = await api.members.invite({ workspace, email: "invitee@example.com", role: "VIEWER" });
  const members = await api.members.list({ workspace });
  known.uuids = [run.id, hook.id, other.id, owner.workspace.id, owner.user.id, invitation.id];
  known.strings = [
    workspace,
    "fuzzed",
    "scheduled",
    "a",
    "b",
    "var_a",
    "S",
    "conn_a",
    "pool_a",
    "default",
    ...known.uuids,
    ...JSON.stringify(members)
      .match(/[0-9a-f-]{36}/g)!
      .slice(0, 3),
  ];
});

afterAll(() => {
  const total = sent.rest + sent.trpc + sent.trpcHttp + sent.webhooks;
  console.log(
    `API fuzz (seed ${SEED}): ${total} requests — ${sent.rest} REST, ${sent.trpc} tRPC calls, ` +
      `${sent.trpcHttp} tRPC over HTTP, ${sent.webhooks} webhook deliveries; answers ${JSON.stringify(classes)}; ` +
      `${failures.length} failed`,
  );
});

const params = (runs: number) => ({ seed: SEED, numRuns: runs * SCALE, endOnFailure: true });

describe("no input answers 5xx", () => {
  it("over every REST route of the OpenAPI document", async () => {
    const failedBefore = failures.length;
    const document = openApiDocument() as unknown as {
      paths: Record<string, Record<string, OpenApiOperation>>;
      components: { schemas: Record<string, JsonSchema> };
    };
    const arbitraries = new SchemaArbitraries(known, document.components.schemas);
    const auth = fc.oneof(
      { arbitrary: fc.constant(`Bearer ${token}`), weight: 8 },
      {
        arbitrary: fc.constantFrom(`Bearer ${revokedToken}`, "Bearer baton_nope", "Basic eDp5", ""),
        weight: 1,
      },
    );
    for (const route of restRoutes) {
      const operation = document.paths[route.path]![route.method.toLowerCase()]!;
      const pathNames = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      const parameterSchema = (name: string, where: string) =>
        operation.parameters?.find((p) => p.name === name && p.in === where)?.schema;
      const pathArb = fc.tuple(
        ...pathNames.map((name) => pathParam(arbitraries.of(parameterSchema(name, "path")))),
      );
      const queryNames = (operation.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);
      const queryArb = fc.record(
        Object.fromEntries(queryNames.map((name) => [name, arbitraries.of(parameterSchema(name, "query"))])),
        { requiredKeys: [] },
      );
      const content = operation.requestBody?.content ?? {};
      const bodyArb: fc.Arbitrary<{ type: string; text: string } | null> = content["application/json"]
        ? fc.oneof(
            { arbitrary: arbitraries.input(content["application/json"].schema).map(jsonBody), weight: 6 },
            { arbitrary: fc.constantFrom(...hostileBodies).map(jsonBody), weight: 1 },
            {
              arbitrary: fc.string({ maxLength: 30 }).map((text) => ({ type: "application/json", text })),
              weight: 1,
            },
          )
        : Object.keys(content).length > 0
          ? fc.oneof(
              fc.constantFrom(...documents).map((text) => ({ type: "application/json", text })),
              fc.string({ maxLength: 200 }).map((text) => ({ type: "application/yaml", text })),
              fc.constantFrom(...hostileStrings).map((text) => ({ type: "text/plain", text })),
            )
          : fc.constant(null);
      await fc.assert(
        fc.asyncProperty(pathArb, queryArb, bodyArb, auth, async (pathValues, query, body, authorization) => {
          let path = route.path;
          pathNames.forEach((name, i) => {
            path = path.replace(`{${name}}`, pathValues[i]!);
          });
          const search = new URLSearchParams();
          for (const [name, value] of Object.entries(query)) search.append(name, queryText(value));
          const url = `http://localhost/api/v1${path}${search.size ? `?${search}` : ""}`;
          const headers: Record<string, string> = {};
          if (authorization) headers.authorization = authorization;
          if (body) headers["content-type"] = body.type;
          const response = await handleRest(
            new Request(url, { method: route.method, headers, body: body?.text }),
            path,
          );
          sent.rest++;
          check(
            response.status,
            `${route.method} ${url} ${body?.text.slice(0, 200) ?? ""}`,
            await response.text(),
          );
          return response.status < 500;
        }),
        params(12),
      );
    }
    expect(failures.slice(failedBefore)).toEqual([]);
  }, 600_000);

  it("over every tRPC procedure, called with inputs from its schema", async () => {
    const failedBefore = failures.length;
    const procedures = appRouter._def.procedures as unknown as Record<
      string,
      { _def: { inputs: z.ZodType[]; type: string } }
    >;
    const arbitraries = new SchemaArbitraries(known);
    const caller = (kind: "user" | "token" | "none") => {
      const as: Caller | null =
        kind === "user"
          ? owner.caller
          : kind === "token"
            ? {
                kind: "token",
                tokenId: "00000000-0000-4000-8000-000000000000",
                creatorId: null,
                apiRateLimitPerMinute: 1_000_000,
                workspaceId: owner.workspace.id,
                workspaceSlug: owner.workspace.slug,
                role: "VIEWER",
                name: "made up",
              }
            : null;
      return createCaller({ caller: as, ip: "127.0.0.1", baseUrl: "http://localhost" } as Context);
    };
    // Those that end the fixture (its workspace, members, sessions) go last.
    const last =
      /^(workspace\.delete|members\.remove|account\.(endSession|signOutEverywhere)|tokens\.revoke)$/;
    const names = Object.keys(procedures).sort((a, b) => Number(last.test(a)) - Number(last.test(b)));
    for (const name of names) {
      const schema = mergedInput(procedures[name]!._def.inputs);
      // Mostly in the fixture's workspace, so that the door opens and the input goes deeper.
      const inWorkspace = (input: unknown) =>
        input && typeof input === "object" && !Array.isArray(input) && schema.properties?.workspace
          ? { ...input, workspace: owner.workspace.slug }
          : input;
      const inputArb = fc.oneof(
        { arbitrary: arbitraries.input(schema, inWorkspace), weight: 5 },
        { arbitrary: arbitraries.input(schema), weight: 1 },
      );
      const who = fc.constantFrom<"user" | "token" | "none">("user", "user", "user", "token", "none");
      await fc.assert(
        fc.asyncProperty(inputArb, who, async (input, kind) => {
          const procedure = name
            .split(".")
            .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller(kind)) as (
            input: unknown,
          ) => Promise<unknown>;
          sent.trpc++;
          try {
            await procedure(input);
            check(200, name, "");
          } catch (error) {
            const code = error instanceof TRPCError ? error.code : "not a TRPCError";
            if (error instanceof TRPCError && code !== "INTERNAL_SERVER_ERROR") {
              check(getHTTPStatusCodeFromError(error), name, "");
            }
            if (code === "INTERNAL_SERVER_ERROR" || code === "not a TRPCError") {
              const cause = (error as { cause?: Error }).cause ?? error;
              check(500, `${name} as ${kind} ${safeJson(input)}`, String((cause as Error).stack ?? cause));
              return false;
            }
          }
          return true;
        }),
        params(25),
      );
    }
    expect(failures.slice(failedBefore)).toEqual([]);
  }, 600_000);

  it("over the tRPC HTTP endpoint, with malformed encodings and invalid or revoked tokens", async () => {
    const failedBefore = failures.length;
    // The route itself (app/api/trpc), as Next.js calls it.
    const handler = (request: Request) => (request.method === "POST" ? trpcPost : trpcGet)(request);
    const names = Object.keys(appRouter._def.procedures);
    const procedureTypes = Object.fromEntries(
      Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>).map(
        ([name, procedure]) => [name, procedure._def.type],
      ),
    );
    const input = fc.oneof(
      // superjson's envelope of plain JSON is { json }; __proto__ keys included.
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify({ json: value })),
      fc.constantFrom(
        '{"json":{"__proto__":{"polluted":true}}}',
        '{"json":{"workspace":"x"},"meta":{"values":{"__proto__":["undefined"]}}}',
        '{"json":{"a":1},"meta":{"referentialEqualities":{"a":["__proto__.x"]}}}',
        '{"json":"2026-01-01","meta":{"values":["Date"]}}',
        '{"json":"1e400","meta":{"values":["bigint"]}}',
        '{"json":[1,2],"meta":{"values":["set"]}}',
      ),
      fc.constantFrom(...hostileStrings).map((text) => JSON.stringify({ json: { workspace: text } })),
      fc.string({ maxLength: 40 }),
      fc.constant(
        JSON.stringify({ json: { workspace: owner?.workspace.slug }, meta: { values: { x: ["map"] } } }),
      ),
    );
    const auth = fc.constantFrom(
      `Bearer ${token}`,
      `Bearer ${revokedToken}`,
      "Bearer baton_nope",
      "Bearer x",
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names),
        input,
        auth,
        fc.boolean(),
        async (name, text, authorization, asPost) => {
          const url = asPost
            ? `http://localhost/api/trpc/${name}`
            : `http://localhost/api/trpc/${name}?input=${encodeURIComponent(text)}`;
          const response = await handler(
            new Request(url, {
              method: asPost ? "POST" : "GET",
              headers: { authorization, "content-type": "application/json" },
              body: asPost ? text : undefined,
            }),
          );
          sent.trpcHttp++;
          const answer = await response.text();
          check(response.status, `${asPost ? "POST" : "GET"} ${url} ${authorization}`, answer);
          // An invalid or revoked token is a 401 on every procedure (public ones too), whenever the
          // request reaches one (the method fits the procedure).
          const reaches = asPost === (procedureTypes[name] === "mutation");
          if (reaches && authorization !== `Bearer ${token}` && response.status !== 401) {
            failures.push(`${name} with ${authorization} answered ${response.status}, not 401`);
            return false;
          }
          return response.status < 500;
        },
      ),
      params(300),
    );
    expect(failures.slice(failedBefore)).toEqual([]);
  }, 600_000);

  it("over the public webhook URL", async () => {
    const failedBefore = failures.length;
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
      fc.constantFrom(...hostileStrings).map((text) => JSON.stringify({ n: text, s: text })),
      fc.constantFrom(
        '{"n":"\\u0000"}',
        '{"s":"\\ud800"}',
        "payload=%00",
        "\u0000",
        JSON.stringify({ s: "a\u0000" }),
      ),
      fc.string({ maxLength: 60 }),
    );
    const type = fc.constantFrom(
      "application/json",
      "application/x-www-form-urlencoded",
      "text/plain",
      "",
      "application/json; charset=utf-16",
    );
    const endpoint = fc.oneof(
      { arbitrary: fc.constant(webhook?.id ?? ""), weight: 6 },
      { arbitrary: fc.oneof(fc.uuid(), fc.constantFrom(...hostileStrings)), weight: 1 },
    );
    const key = fc.option(
      fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("\u0000", "%00", "x".repeat(300))),
    );
    await fc.assert(
      fc.asyncProperty(
        endpoint,
        body,
        type,
        key,
        fc.boolean(),
        async (id, text, contentType, idempotency, signed) => {
          const headers: Record<string, string> = {};
          if (contentType) headers["content-type"] = contentType;
          if (signed) headers["x-baton-token"] = webhook.secret;
          if (idempotency !== null) headers["idempotency-key"] = printable(idempotency);
          const response = await receiveWebhook(
            new Request("http://localhost/api/hooks/fuzzed", {
              method: "POST",
              headers,
              body: text,
            }),
            id,
          );
          sent.webhooks++;
          check(response.status, `webhook ${id} ${contentType} ${text.slice(0, 100)}`, await response.text());
          return response.status < 500;
        },
      ),
      params(200),
    );
    expect(failures.slice(failedBefore)).toEqual([]);
  }, 600_000);
});

interface OpenApiOperation {
  parameters?: { name: string; in: string; schema?: JsonSchema }[];
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
}

const jsonBody = (value: unknown) => ({ type: "application/json", text: JSON.stringify(value) ?? "null" });

/** Bodies no schema expects. */
const hostileBodies: unknown[] = [
  [],
  "text",
  42,
  null,
  { value: { deep: JSON.parse(`${"[".repeat(1000)}${"]".repeat(1000)}`) } },
  { key: "k\u0000", value: "v\u0000", description: "\ud800" },
  { name: "x", slots: 2 ** 40 },
  { limit: -1, before: "99999999999999999999999999" },
];

/** DAG documents as sent to push and validate. */
const documents = [
  JSON.stringify({ id: "fuzz_doc", tasks: [{ id: "t", operator: "noop" }] }),
  JSON.stringify({
    id: "fuzz_doc",
    params: { constructor: { type: "string" } },
    tasks: [{ id: "t", operator: "noop" }],
  }),
  JSON.stringify({ id: "fuzz_doc", tasks: [{ id: "t\u0000", operator: "noop" }] }),
  JSON.stringify({ id: "fuzz_doc", description: "\ud800", tasks: [{ id: "t", operator: "noop" }] }),
  "id: fuzz_doc\ntasks:\n  - {id: t, operator: noop, config: {x: !!binary AAA=}}",
  "{",
];

/** The text without control characters (a header cannot carry them). */
const printable = (text: string) => [...text].filter((c) => c.charCodeAt(0) >= 32).join("");

function queryText(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value) ?? "");
}

function safeJson(value: unknown): string {
  try {
    return (JSON.stringify(value) ?? String(value)).slice(0, 300);
  } catch {
    return String(value);
  }
}

/** A procedure's inputs (its chained .input() schemas) as one JSON Schema object. */
function mergedInput(inputs: z.ZodType[]): JsonSchema {
  const merged: JsonSchema = { type: "object", properties: {}, required: [] };
  for (const schema of inputs) {
    const converted = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
    if (!converted.properties) return converted;
    Object.assign(merged.properties!, converted.properties);
    merged.required!.push(...(converted.required ?? []));
  }
  return merged;
}
