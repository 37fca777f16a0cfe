// Request generators for the API fuzz test (test/integration/api.fuzz.test.ts): fast-check
// arbitraries built from JSON Schemas (the OpenAPI document's, or a tRPC procedure's zod input
// converted), mostly well-formed so that requests get past the first checks, salted with what
// breaks servers: NUL and lone surrogates, bad percent-encoding, numbers out of every range, deep
// nesting, wrong types, and the ids and names that exist in the fixture workspace.
import fc from "fast-check";

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  $defs?: Record<string, JsonSchema>;
};

/** Text that servers mishandle. */
export const hostileStrings = [
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udc00y",
  "%ZZ",
  "%",
  "%25",
  "%E0%A4%A",
  "../../etc/passwd",
  "' OR 1=1 --",
  "{{ secrets.S }}",
  "__proto__",
  "constructor",
  "9".repeat(30),
  "-9".repeat(20),
  "A".repeat(5000),
  "",
  " ",
  "\n",
  "😀",
  "null",
  "NaN",
  "1e400",
  // Cursors (base64url JSON) holding keys out of every column's range, or of the wrong shape.
  ...[
    ["99999999999999999999999999"],
    [1e300],
    [-1],
    ["9999-99-99T99:99:99Z", "x"],
    ["2026-01-01T00:00:00.000Z", "not-a-uuid"],
    [{}],
    [],
  ].map((key) => Buffer.from(JSON.stringify(key)).toString("base64url")),
];

/** Numbers out of every range a column or a schema has. */
export const hostileNumbers = [
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53 + 2,
  -(2 ** 63),
  1e308,
  -1e308,
  1e-320,
  -1,
  0,
  0.5,
  1e20,
];

/** Nested arrays `depth` deep. */
export const nested = (depth: number): unknown => {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...hostileStrings),
  fc.constantFrom(...hostileNumbers),
  fc.constantFrom(nested(40), nested(1000), { a: nested(50) }, [], {}, null, true, [null], { "": "\u0000" }),
  fc.jsonValue({ maxDepth: 3 }),
);

export interface Known {
  /** Strings that exist in the fixture workspace (ids, keys, names, the slug). */
  strings: string[];
  uuids: string[];
}

export class SchemaArbitraries {
  constructor(
    private readonly known: Known,
    private readonly components: Record<string, JsonSchema> = {},
  ) {}

  /**
   * A whole input for `schema`: a value fitting it, in half of the cases with one place in it (a
   * field, an element, a key, or the whole) replaced by something hostile, so that the rest stays
   * valid and the hostile part travels as deep as it can.
   */
  input(
    schema: JsonSchema | undefined,
    prepare: (value: unknown) => unknown = (v) => v,
  ): fc.Arbitrary<unknown> {
    return fc
      .tuple(this.of(schema), fc.boolean(), fc.nat(), hostileValue, fc.constantFrom(...hostileStrings))
      .map(([value, mutate, pick, hostile, hostileKey]) =>
        mutate ? replaceOne(prepare(value), pick, hostile, hostileKey) : prepare(value),
      );
  }

  /** A value for `schema`: usually fitting it, now and then hostile. */
  of(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
    const fitting = this.fitting(schema ?? {}, depth);
    return fc.oneof({ arbitrary: fitting, weight: 19 }, { arbitrary: hostileValue, weight: 1 });
  }

  private resolve(schema: JsonSchema): JsonSchema {
    if (!schema.$ref) return schema;
    const name = schema.$ref.split("/").at(-1)!;
    return this.components[name] ?? {};
  }

  private fitting(given: JsonSchema, depth: number): fc.Arbitrary<unknown> {
    const schema = this.resolve(given);
    if (depth > 6) return fc.constant(null);
    if (schema.const !== undefined) return fc.constant(schema.const);
    if (schema.enum) return fc.constantFrom(...schema.enum);
    const alternatives = schema.anyOf ?? schema.oneOf;
    if (alternatives?.length) return fc.oneof(...alternatives.map((s) => this.of(s, depth + 1)));
    if (schema.allOf?.length) return this.object(mergeAll(schema.allOf.map((s) => this.resolve(s))), depth);
    const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
    if (types.length > 1) return fc.oneof(...types.map((type) => this.fitting({ ...schema, type }, depth)));
    switch (types[0]) {
      case "string":
        return this.string(schema);
      case "integer":
        return this.number(schema, true);
      case "number":
        return this.number(schema, false);
      case "boolean":
        return fc.boolean();
      case "null":
        return fc.constant(null);
      case "array":
        return fc.array(this.of(schema.items, depth + 1), { maxLength: 4 });
      case "object":
        return this.object(schema, depth);
      default:
        return schema.properties ? this.object(schema, depth) : fc.jsonValue({ maxDepth: 2 });
    }
  }

  private string(schema: JsonSchema): fc.Arbitrary<unknown> {
    const formatted =
      schema.format === "uuid"
        ? fc.oneof(fc.constantFrom(...this.known.uuids), fc.uuid())
        : schema.format === "date-time"
          ? fc
              .date({ min: new Date("1900-01-01"), max: new Date("2300-01-01"), noInvalidDate: true })
              .map((d) => d.toISOString())
          : schema.format === "email"
            ? fc.emailAddress()
            : schema.pattern
              ? matching(schema.pattern, schema.maxLength)
              : fc.string({
                  minLength: Math.min(schema.minLength ?? 0, 80),
                  maxLength: Math.min(Math.max(schema.maxLength ?? 40, schema.minLength ?? 0), 80),
                });
    return fc.oneof(
      { arbitrary: formatted, weight: 3 },
      { arbitrary: fc.constantFrom(...this.known.strings), weight: 3 },
      { arbitrary: fc.constantFrom(...hostileStrings), weight: 1 },
    );
  }

  private number(schema: JsonSchema, integer: boolean): fc.Arbitrary<unknown> {
    const min = schema.minimum ?? schema.exclusiveMinimum ?? -1000;
    const max = schema.maximum ?? schema.exclusiveMaximum ?? 1000;
    const inside = integer
      ? fc.integer({ min: Math.max(Math.ceil(min), -(2 ** 31)), max: Math.min(Math.floor(max), 2 ** 31 - 1) })
      : fc.double({
          min: Math.max(min, -1e9),
          max: Math.min(max, 1e9),
          noNaN: true,
          noDefaultInfinity: true,
        });
    return fc.oneof(
      { arbitrary: inside, weight: 3 },
      { arbitrary: fc.constantFrom(min, max, min - 1, max + 1), weight: 1 },
      { arbitrary: fc.constantFrom(...hostileNumbers), weight: 1 },
    );
  }

  private object(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
    const properties = schema.properties ?? {};
    const keys = Object.keys(properties);
    const record =
      keys.length > 0
        ? fc.record(Object.fromEntries(keys.map((key) => [key, this.of(properties[key], depth + 1)])), {
            requiredKeys: (schema.required ?? []).filter((key) => keys.includes(key)),
          })
        : fc.constant({});
    const extra =
      schema.additionalProperties && typeof schema.additionalProperties === "object"
        ? fc.dictionary(
            fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...hostileStrings.slice(0, 4))),
            this.of(schema.additionalProperties, depth + 1),
            { maxKeys: 3 },
          )
        : fc.constant({});
    return fc.tuple(record, extra).map(([fields, more]) => ({ ...more, ...fields }));
  }
}

/** Strings matching a schema's pattern (fast-check's own generator), cut to its maxLength. */
function matching(pattern: string, maxLength = 80): fc.Arbitrary<string> {
  try {
    return fc.stringMatching(new RegExp(pattern)).filter((text) => text.length <= maxLength);
  } catch {
    return fc.string({ maxLength: Math.min(maxLength, 80) });
  }
}

/** `value` with its `pick`-th place (in a walk of all of them) replaced, or a key renamed. */
function replaceOne(value: unknown, pick: number, hostile: unknown, hostileKey: string): unknown {
  const places: Array<{ path: Array<string | number>; key?: boolean }> = [];
  const walk = (node: unknown, path: Array<string | number>) => {
    places.push({ path });
    if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) walk(item, [...path, i]);
    } else if (node !== null && typeof node === "object") {
      for (const [key, item] of Object.entries(node)) {
        places.push({ path: [...path, key], key: true });
        walk(item, [...path, key]);
      }
    }
  };
  walk(value, []);
  const place = places[pick % places.length]!;
  if (place.path.length === 0) return hostile;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const step of place.path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = place.path.at(-1)!;
  if (place.key) {
    const item = parent[last];
    delete parent[last];
    parent[hostileKey] = item;
  } else parent[last] = hostile;
  return copy;
}

function mergeAll(schemas: JsonSchema[]): JsonSchema {
  return {
    type: "object",
    properties: Object.assign({}, ...schemas.map((s) => s.properties ?? {})),
    required: schemas.flatMap((s) => s.required ?? []),
  };
}

/** Percent-encoded; a lone surrogate (which encodeURIComponent refuses) goes as it is. */
function encoded(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A path parameter as sent: encoded, or raw text that is not valid percent-encoding. */
export function pathParam(values: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: values.map((v) => encoded(String(v))), weight: 4 },
    { arbitrary: fc.constantFrom("%ZZ", "%", "%25", "%E0%A4%A", "%00", "%C0%AF", "%ED%A0%80"), weight: 1 },
  );
}
