// The JSON Schema of DAG documents, served at /api/v1/schema/dag.json for editors (VS Code's YAML
// and JSON support complete and check documents that name it in `$schema`), and the component
// DagDocument of the OpenAPI document.
import { z } from "zod";
import { operatorCatalog } from "../operators/catalog";
import { dagSchema, taskSchema } from "./definition";

let documentSchema: z.ZodType | undefined;
let cached: Record<string, unknown> | undefined;

/**
 * The document as zod: the same schemas the server validates with, tasks refined per operator (a
 * union on `operator`, each with its own config schema) so that editors can complete configs.
 * Graph rules (unknown dependencies, cycles, template references) are beyond JSON Schema; the
 * server reports those.
 */
export function dagDocumentSchema(): z.ZodType {
  documentSchema ??= build();
  return documentSchema;
}

/** The document's JSON Schema, standalone: the document at the root, what it refers to in $defs. */
export function dagJsonSchema(): Record<string, unknown> {
  cached ??= standalone();
  return structuredClone(cached);
}

function standalone(): Record<string, unknown> {
  const { $schema, $defs = {} } = z.toJSONSchema(dagDocumentSchema(), {
    io: "input",
    unrepresentable: "any",
  }) as { $schema: string; $defs?: Record<string, Record<string, unknown>> };
  const { DagDocument: root, ...rest } = $defs;
  return { $schema, $id: "/api/v1/schema/dag.json", ...root, $defs: rest };
}

function build(): z.ZodType {
  const taskVariants = [...operatorCatalog.values()].map((operator) =>
    taskSchema.extend({
      operator: z.literal(operator.name).describe(operator.description),
      // Required exactly when an empty config would not do, as the validator decides.
      config: operator.configSchema.safeParse({}).success
        ? operator.configSchema.optional()
        : operator.configSchema,
    }),
  );
  const [first, ...rest] = taskVariants;
  return dagSchema.extend({ tasks: z.array(z.discriminatedUnion("operator", [first!, ...rest])) }).meta({
    id: "DagDocument",
    title: "Baton DAG",
    description: "A DAG document, as written in JSON or YAML (docs/dag-format.md)",
  });
}
