// The JSON Schema of DAG documents, served at /api/v1/schema/dag.json for editors (VS Code's YAML
// and JSON support complete and check documents that name it in `$schema`).
import { z } from "zod";
import { operatorCatalog } from "../operators/catalog";
import { dagSchema, taskSchema } from "./definition";

let cached: Record<string, unknown> | undefined;

/**
 * Generated from the same zod schemas the server validates with. Tasks are refined per operator
 * (a union on `operator`, each with its own config schema) so that editors can complete configs.
 * Graph rules (unknown dependencies, cycles, template references) are beyond JSON Schema; the
 * server reports those.
 */
export function dagJsonSchema(): Record<string, unknown> {
  cached ??= build();
  return structuredClone(cached);
}

function build(): Record<string, unknown> {
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
  const document = dagSchema.extend({
    tasks: z.array(z.discriminatedUnion("operator", [first!, ...rest])),
  });
  const schema = z.toJSONSchema(document, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { ...schema, $id: "/api/v1/schema/dag.json", title: "Baton DAG" };
}
