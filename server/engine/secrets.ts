// The secrets a run can reach, and the mask built from their values. A run reaches a secret when
// any of its DAG version's tasks or callbacks names it in a template ({{ secrets.X }}), or names a
// connection ({{ conn.X.field }}, or a connection field of an operator such as http's
// `connection`), whose secret fields it then reaches. Everything a run stores or shows — log
// lines, error messages, outputs, deferred state, callback failures — is masked with all of
// them, not only with those of the task writing it: a task that did not reference a secret can
// still print an upstream output holding one (which is masked at its own write anyway) or be
// handed one by an operator. The values are loaded per attempt, and only for DAGs that reach any.
import { reachableSecretValues, type SecretReach } from "@/server/config/resolve";
import type { DagDefinition } from "@/server/dags/definition";
import { operatorCatalog } from "@/server/operators/catalog";
import { notifyOperator } from "@/server/operators/definitions/notify";
import { SecretMask } from "@/server/secrets/mask";
import { collectTemplatedStrings, findReferences } from "@/server/templating/template";
import type { WorkspaceScope } from "@/server/tenancy/door";

const reachOf = new WeakMap<DagDefinition, SecretReach>();

/** What a DAG version's tasks and callbacks can reach (computed once per version). */
export function secretReach(dag: DagDefinition): SecretReach {
  let reach = reachOf.get(dag);
  if (reach) return reach;
  const secrets = new Set<string>();
  const connections = new Set<string>();
  const scan = (
    config: unknown,
    templatedFields: readonly string[],
    connectionFields: Record<string, unknown> = {},
  ) => {
    for (const { text } of collectTemplatedStrings(config, templatedFields)) {
      for (const ref of findReferences(text).refs) {
        const name = ref.path[0];
        if (name === undefined) continue;
        if (ref.root === "secrets") secrets.add(name);
        else if (ref.root === "conn") connections.add(name);
      }
    }
    for (const path of Object.keys(connectionFields)) {
      const name = valueAt(config, path);
      if (typeof name === "string" && name) connections.add(name);
    }
  };
  for (const task of dag.tasks) {
    const operator = operatorCatalog.get(task.operator);
    scan(
      task.config,
      [...(operator?.templatedFields ?? []), ...(task.templated ?? [])],
      operator?.connectionFields,
    );
  }
  for (const callback of [...(dag.onSuccess ?? []), ...(dag.onFailure ?? [])]) {
    scan(callback, notifyOperator.templatedFields, notifyOperator.connectionFields);
  }
  reach = { secrets: [...secrets], connections: [...connections] };
  reachOf.set(dag, reach);
  return reach;
}

/** The mask of a run of `dag`: every value it can reach, plus `known` (values already loaded). */
export async function runSecretMask(
  scope: WorkspaceScope,
  dag: DagDefinition,
  known: readonly string[] = [],
): Promise<SecretMask> {
  const reach = secretReach(dag);
  const reached =
    reach.secrets.length + reach.connections.length > 0 ? await reachableSecretValues(scope, reach) : [];
  return new SecretMask([...known, ...reached]);
}

function valueAt(config: unknown, dotted: string): unknown {
  let value = config;
  for (const key of dotted.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
