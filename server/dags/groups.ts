// Task groups in the graph: which tasks a dependency on a group means, and which dependencies a
// group's own dependsOn gives its tasks (definition.ts, groupSchema, has the user's view). As in
// Airflow: depending on a group is depending on its leaves (its tasks that nothing else in the
// group depends on); a group depending on something makes its roots (its tasks that depend on
// nothing else in the group) depend on it. Nested groups count as part of their parents.
//
// Everything here is read from the raw document, like the rest of validate.ts, so that a mistake
// in one group does not hide the problems of another.

export type Segment = string | number;
type Report = (path: readonly Segment[], message: string) => void;

/** A task as validate.ts reads it. */
interface RawTask {
  id: string | undefined;
  dependsOn: unknown[];
}

interface RawGroup {
  id: string;
  index: number;
  dependsOn: unknown[];
}

export interface ResolvedDependencies {
  /** For each task, the ids of the tasks it waits for: each once, groups replaced by their tasks. */
  dependencies: string[][];
  /** For each task, where each of its dependencies was written (a dependsOn entry). */
  origins: Segment[][][];
  /** The task ids a dependsOn entry stands for: itself for a task, the leaves for a group. */
  expand(name: string): string[];
  /** The groups a task or group id lies in, innermost first. */
  enclosingGroups(id: string): string[];
}

/**
 * The dependencies of each task once groups are resolved, reporting what cannot be resolved:
 * names that are neither a task nor a group, a dependency on one's own group, a group without
 * tasks, group ids that are duplicated or also a task's. Returns undefined when the document has
 * no groups: the tasks' dependsOn are then their dependencies as written.
 */
export function resolveGroups(
  tasks: readonly RawTask[],
  rawGroups: unknown,
  report: Report,
): ResolvedDependencies | undefined {
  if (!Array.isArray(rawGroups) || rawGroups.length === 0) return undefined;
  const taskIds = new Set<string>();
  for (const task of tasks) if (task.id !== undefined) taskIds.add(task.id);

  const groups = new Map<string, RawGroup>();
  rawGroups.forEach((raw, index) => {
    const record = asRecord(raw);
    const id = typeof record?.id === "string" ? record.id : undefined;
    if (id === undefined) return; // the schema reports it
    const dependsOn = Array.isArray(record?.dependsOn) ? record.dependsOn : [];
    const first = groups.get(id);
    if (first)
      report(["groups", index, "id"], `duplicate group id "${id}" (first used by groups[${first.index}])`);
    else if (taskIds.has(id))
      report(["groups", index, "id"], `"${id}" is a task id; a group needs an id of its own`);
    else groups.set(id, { id, index, dependsOn });
  });

  /** The groups a task or group lies in, innermost first (memoised: every task asks). */
  const enclosing = new Map<string, string[]>();
  const enclosingGroups = (id: string): string[] => {
    let found = enclosing.get(id);
    if (found) return found;
    found = [];
    for (let dot = id.lastIndexOf("."); dot > 0; dot = id.lastIndexOf(".", dot - 1)) {
      const prefix = id.slice(0, dot);
      if (groups.has(prefix)) found.push(prefix);
    }
    enclosing.set(id, found);
    return found;
  };
  const isInside = (name: string, group: string) => name.startsWith(`${group}.`);

  // The tasks of each group, nested groups' included, in document order.
  const members = new Map<string, number[]>();
  for (const id of groups.keys()) members.set(id, []);
  tasks.forEach((task, i) => {
    if (task.id !== undefined) for (const group of enclosingGroups(task.id)) members.get(group)!.push(i);
  });
  for (const [id, list] of members) {
    if (list.length === 0) {
      report(
        ["groups", groups.get(id)!.index, "id"],
        `group "${id}" has no tasks; name its tasks "${id}.<task>"`,
      );
    }
  }

  // Who depends on each name: the ids of the tasks and groups that list it.
  const dependents = new Map<string, string[]>();
  const listed = (owner: string, dependsOn: unknown[]) => {
    for (const entry of dependsOn) {
      if (typeof entry !== "string") continue;
      const list = dependents.get(entry);
      if (list) list.push(owner);
      else dependents.set(entry, [owner]);
    }
  };
  for (const task of tasks) if (task.id !== undefined) listed(task.id, task.dependsOn);
  for (const group of groups.values()) listed(group.id, group.dependsOn);

  const namesInside = (dependsOn: unknown[], group: string) =>
    dependsOn.some((entry) => typeof entry === "string" && isInside(entry, group));

  // A task is a root of a group unless something in the group is upstream of it: its own
  // dependsOn, or that of a group between the two of which it is a root. Each question only asks
  // about smaller groups, so the recursion ends.
  const rootMemo = new Map<string, boolean>();
  const isRoot = (task: number, group: string): boolean => {
    const key = `${task} ${group}`;
    let root = rootMemo.get(key);
    if (root !== undefined) return root;
    const id = tasks[task]!.id!;
    root = !namesInside(tasks[task]!.dependsOn, group);
    for (const between of enclosingGroups(id)) {
      if (!root || between === group) break;
      if (namesInside(groups.get(between)!.dependsOn, group) && isRoot(task, between)) root = false;
    }
    rootMemo.set(key, root);
    return root;
  };
  // A task is a leaf of a group unless something in the group depends on it: on it by name, or on
  // a group between the two of which it is a leaf.
  const leafMemo = new Map<string, boolean>();
  const isLeaf = (task: number, group: string): boolean => {
    const key = `${task} ${group}`;
    let leaf = leafMemo.get(key);
    if (leaf !== undefined) return leaf;
    const id = tasks[task]!.id!;
    const dependedOnInside = (name: string) => (dependents.get(name) ?? []).some((d) => isInside(d, group));
    leaf = !dependedOnInside(id);
    for (const between of enclosingGroups(id)) {
      if (!leaf || between === group) break;
      if (dependedOnInside(between) && isLeaf(task, between)) leaf = false;
    }
    leafMemo.set(key, leaf);
    return leaf;
  };

  const leaves = new Map<string, string[]>();
  const expand = (name: string): string[] => {
    if (!groups.has(name)) return taskIds.has(name) ? [name] : [];
    let found = leaves.get(name);
    if (!found) {
      found = members
        .get(name)!
        .filter((i) => isLeaf(i, name))
        .map((i) => tasks[i]!.id!);
      leaves.set(name, found);
    }
    return found;
  };

  const suggestions = [...taskIds, ...groups.keys()];
  /** Why a dependsOn entry of `owner` (a task or group) cannot be followed, or undefined. */
  const entryProblem = (owner: string, ownerIsGroup: boolean, entry: string): string | undefined => {
    if (!taskIds.has(entry) && !groups.has(entry)) {
      const suggestion = closest(entry, suggestions);
      return `unknown task or group "${entry}"${suggestion ? `; did you mean "${suggestion}"?` : ""}`;
    }
    if (entry === owner) return `group "${owner}" cannot depend on itself`;
    if (groups.has(entry) && isInside(owner, entry)) {
      return `"${owner}" is inside group "${entry}" and cannot depend on it`;
    }
    if (ownerIsGroup && isInside(entry, owner)) {
      return `"${entry}" is inside group "${owner}"; a group depends on tasks outside it (its tasks list their own dependencies)`;
    }
    return undefined;
  };

  /** The entries of a dependsOn that can be followed, reporting the others. */
  const followable = (owner: string, ownerIsGroup: boolean, dependsOn: unknown[], at: Segment[]) => {
    const entries: Array<{ name: string; at: Segment[] }> = [];
    dependsOn.forEach((entry, k) => {
      if (typeof entry !== "string") return; // the schema reports it
      const path = [...at, k];
      const problem =
        dependsOn.indexOf(entry) < k
          ? `"${entry}" is listed twice`
          : entryProblem(owner, ownerIsGroup, entry);
      if (problem) report(path, problem);
      else entries.push({ name: entry, at: path });
    });
    return entries;
  };
  const groupEntries = new Map<string, Array<{ name: string; at: Segment[] }>>();
  for (const group of groups.values()) {
    groupEntries.set(
      group.id,
      followable(group.id, true, group.dependsOn, ["groups", group.index, "dependsOn"]),
    );
  }

  const dependencies: string[][] = new Array(tasks.length);
  const origins: Segment[][][] = new Array(tasks.length);
  tasks.forEach((task, i) => {
    const ids: string[] = [];
    const from: Segment[][] = [];
    const seen = new Set<string>();
    const add = (entry: { name: string; at: Segment[] }) => {
      for (const id of expand(entry.name)) {
        if (seen.has(id)) continue;
        seen.add(id);
        ids.push(id);
        from.push(entry.at);
      }
    };
    if (task.id === undefined) {
      // No id (the schema reports it): its dependencies as written, for the other checks.
      for (const entry of task.dependsOn)
        if (typeof entry === "string")
          add({ name: entry, at: ["tasks", i, "dependsOn", task.dependsOn.indexOf(entry)] });
    } else {
      for (const entry of followable(task.id, false, task.dependsOn, ["tasks", i, "dependsOn"])) add(entry);
      for (const group of enclosingGroups(task.id)) {
        if (isRoot(i, group)) for (const entry of groupEntries.get(group)!) add(entry);
      }
    }
    dependencies[i] = ids;
    origins[i] = from;
  });
  return { dependencies, origins, expand, enclosingGroups };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The candidate a misspelling most likely meant: same letters ignoring case and _/-, or 2 edits away. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const normal = (s: string) => s.toLowerCase().replace(/[_-]/g, "");
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    if (normal(candidate) === normal(word)) return candidate;
    if (Math.abs(candidate.length - word.length) >= bestDistance) continue;
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}
