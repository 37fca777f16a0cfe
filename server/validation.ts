// Shared zod shapes for user input, so every form and endpoint names fields the same way.
import { z } from "zod";
import { unstorableAt } from "@/server/engine/storable";
import type { Problem } from "@/server/errors";

export const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: "Enter a valid e-mail address" }))
  .pipe(z.string().max(254, "E-mail addresses are at most 254 characters"));
export const password = z
  .string()
  .min(10, "Passwords need at least 10 characters")
  .max(200, "Passwords are at most 200 characters");
export const displayName = z
  .string()
  .trim()
  .min(1, "Enter a name")
  .max(80, "Names are at most 80 characters");
export const workspaceSlug = z
  .string()
  .min(1, "Workspace is required")
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, "Workspace slugs are lowercase letters, digits and dashes");
export const role = z.enum(["OWNER", "ADMIN", "EDITOR", "OPERATOR", "VIEWER", "GUEST"], {
  error: "Role must be one of OWNER, ADMIN, EDITOR, OPERATOR, VIEWER, GUEST",
});
export const uuid = z.uuid({ error: "Not a valid id" });
/** Days until an API token expires; null for none (explicitly); 90 when left out. */
export const tokenExpiryDays = z
  .number({ error: "expiresInDays must be a whole number of days, or null for no expiry" })
  .int("expiresInDays must be a whole number of days")
  .min(1, "A token lasts at least 1 day")
  .max(3650, "A token lasts at most 3650 days (or null: no expiry)")
  .nullable()
  .optional();

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/**
 * Any JSON value, recursively (the component `JsonValue` of the OpenAPI document: recursive types
 * need an id there, or their `$ref`s point at definitions the document does not have).
 */
export const jsonValue: z.ZodType<JsonValue> = z
  .lazy(() =>
    z.union(
      [z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)],
      { error: "Must be a JSON value" },
    ),
  )
  .meta({ id: "JsonValue", description: "Any JSON value" });

/** How deep any input may nest (objects and arrays); a 1000-deep array is refused, not parsed. */
export const MAX_INPUT_DEPTH = 32;

/**
 * Why an input is refused whatever its schema says, naming the field: text PostgreSQL cannot store
 * (NUL, a lone surrogate), or nesting deeper than MAX_INPUT_DEPTH. Every tRPC procedure (and so
 * every REST route) checks its raw input with this before anything else (server/api/trpc.ts).
 */
export function unacceptableInput(input: unknown): Problem | undefined {
  const deep = deepestPath(input, "", 0);
  if (deep !== undefined) {
    return { path: deep || "(input)", message: `Nested deeper than ${MAX_INPUT_DEPTH} levels` };
  }
  const found = unstorableAt(input, "");
  if (!found) return undefined;
  return {
    path: found.path.replace(/^\./, "") || "(input)",
    message: `${found.isKey ? "A key here holds" : "Holds"} ${found.what}, which cannot be stored`,
  };
}

/** The path where `value` nests past MAX_INPUT_DEPTH, or undefined. */
function deepestPath(value: unknown, path: string, depth: number): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  if (depth >= MAX_INPUT_DEPTH) return path;
  const entries = Array.isArray(value)
    ? value.map((item, i) => [`${path}[${i}]`, item] as const)
    : Object.entries(value).map(([key, item]) => [path ? `${path}.${key}` : key, item] as const);
  for (const [at, item] of entries) {
    const found = deepestPath(item, at, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
