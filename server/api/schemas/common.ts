// Building blocks of the API's answers. Every procedure the REST API exposes declares its answer
// with `.output(schema)`: tRPC checks what the handler returns against it (and drops fields it does
// not name), and server/rest/openapi.ts documents it, so the OpenAPI document describes exactly
// what the server sends. A schema given an id with `.meta({ id })` becomes a named component of
// the document (Run, Dag, Problem…); name the shapes clients will meet in several answers.
import type { JsonValue as PrismaJsonValue } from "@prisma/client/runtime/client";
import { z } from "zod";
import { jsonValue } from "@/server/validation";

/** Instants: Date on the server and over tRPC, ISO 8601 text over REST (`format: date-time`). */
export const timestamp = z.date();

const components = new WeakMap<z.ZodType, () => z.ZodType>();

/**
 * A value the server built itself and that is not checked again on the way out — JSON read back
 * from a JSON column (task outputs: megabytes), a stored DAG document — documented as the
 * component that `component()` returns.
 */
export function trusted<T>(component: () => z.ZodType): z.ZodType<T> {
  const schema = z.custom<T>(() => true);
  components.set(schema, component);
  return schema;
}

/** The component a `trusted` schema is documented as (for the OpenAPI generator). */
export const trustedComponent = (schema: unknown) => components.get(schema as z.ZodType)?.();

/** A JSON value read from the database (params, outputs, metadata), documented as JsonValue. */
export const storedJson = trusted<PrismaJsonValue>(() => jsonValue);

export const problem = z
  .object({
    path: z.string().describe('Where: a field of the input ("email", "config.port") or of a document'),
    message: z.string(),
  })
  .meta({ id: "Problem", description: "What is wrong with one field" });

/** The body of every error answer. */
export const errorBody = z
  .object({
    error: z.object({
      code: z
        .string()
        .describe("BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, UNPROCESSABLE_CONTENT…"),
      message: z.string(),
      problems: z.array(problem).describe("One per field at fault; empty when nothing is field-specific"),
    }),
  })
  .meta({ id: "Error", description: "Every 4xx and 5xx answer" });

/** Answers of procedures that answer nothing (REST: 204 without a body). */
export const nothing = z.void();
