// Shared zod shapes for user input, so every form and endpoint names fields the same way.
import { z } from "zod";

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
export const role = z.enum(["OWNER", "ADMIN", "EDITOR", "OPERATOR", "VIEWER"], {
  error: "Role must be one of OWNER, ADMIN, EDITOR, OPERATOR, VIEWER",
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
