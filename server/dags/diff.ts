// What changed between two versions of a DAG, in the terms a reviewer thinks in: tasks added,
// removed or changed (and which of their fields), and DAG-level fields changed.
import type { DagDefinition, TaskDefinition } from "./definition";

export interface DagDiff {
  /** Task ids only in b, in b's order. */
  added: string[];
  /** Task ids only in a, in a's order. */
  removed: string[];
  /** Tasks in both whose fields differ, in b's order, with the top-level task fields that differ. */
  changed: Array<{ taskId: string; fields: string[] }>;
  /** Top-level DAG fields other than tasks that differ. */
  dagFields: string[];
}

export function diffDags(a: DagDefinition, b: DagDefinition): DagDiff {
  const before = new Map(a.tasks.map((task) => [task.id, task]));
  const after = new Map(b.tasks.map((task) => [task.id, task]));

  const changed: DagDiff["changed"] = [];
  for (const task of b.tasks) {
    const old = before.get(task.id);
    if (!old) continue;
    const fields = differingKeys(old, task).filter(
      (key) => key !== "dependsOn" || !sameSet(old.dependsOn, task.dependsOn),
    );
    if (fields.length > 0) changed.push({ taskId: task.id, fields });
  }

  return {
    added: b.tasks.filter((task) => !before.has(task.id)).map((task) => task.id),
    removed: a.tasks.filter((task) => !after.has(task.id)).map((task) => task.id),
    changed,
    dagFields: differingKeys(a, b).filter((key) => key !== "tasks"),
  };
}

/** Keys whose values differ, in order of first appearance (a's keys, then keys only in b). */
function differingKeys(a: object, b: object): string[] {
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  return [...keys].filter((key) => !deepEqual(left[key], right[key]));
}

/** Dependencies are a set: listing them in another order changes nothing. */
function sameSet(a: TaskDefinition["dependsOn"] = [], b: TaskDefinition["dependsOn"] = []): boolean {
  const set = new Set(a);
  return a.length === b.length && b.every((id) => set.has(id));
}

/** Structural equality of JSON-like values; key order does not matter, array order does. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  // A key set to undefined reads like an absent key in JSON, so compare them as equal.
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) if (!deepEqual(left[key], right[key])) return false;
  return true;
}
