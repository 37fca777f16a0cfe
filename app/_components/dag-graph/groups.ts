// Task groups on a graph or grid (docs/dag-format.md#task-groups): a collapsed group is one node
// standing for all its tasks, with the dependencies that cross its border and the state of its
// tasks taken together. Pure functions, shared by the run graph, the grid and the editor canvas.

export interface GroupedTask {
  id: string;
  dependsOn: readonly string[];
  /** Words on the arrows into the task, by upstream task id. */
  edgeLabels?: Readonly<Record<string, string>>;
}

/** A node once groups are collapsed: a task, or a collapsed group with the tasks it stands for. */
export interface CollapsedNode {
  id: string;
  dependsOn: string[];
  /** For a collapsed group: its tasks, nested groups' included. */
  members?: string[];
}

/** The groups an id lies in, outermost first. */
export function enclosingGroups(id: string, groups: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (let dot = id.indexOf("."); dot > 0; dot = id.indexOf(".", dot + 1)) {
    const prefix = id.slice(0, dot);
    if (groups.has(prefix)) found.push(prefix);
  }
  return found;
}

/** The node a task is drawn as: its outermost collapsed group, else itself. */
export function nodeOf(id: string, groups: ReadonlySet<string>, collapsed: ReadonlySet<string>): string {
  return enclosingGroups(id, groups).find((group) => collapsed.has(group)) ?? id;
}

/**
 * The graph with each collapsed group as one node, placed where its first task was. Its
 * dependencies are those of its tasks on tasks outside it, each once; arrows between two tasks
 * inside one collapsed group disappear.
 */
export function collapseGroups(
  tasks: readonly GroupedTask[],
  groups: ReadonlySet<string>,
  collapsed: ReadonlySet<string>,
): CollapsedNode[] {
  if (collapsed.size === 0) return tasks.map((task) => ({ id: task.id, dependsOn: [...task.dependsOn] }));
  const nodes = new Map<string, CollapsedNode>();
  for (const task of tasks) {
    const id = nodeOf(task.id, groups, collapsed);
    let node = nodes.get(id);
    if (!node) {
      node = { id, dependsOn: [], ...(id === task.id ? {} : { members: [] }) };
      nodes.set(id, node);
    }
    node.members?.push(task.id);
    for (const upstream of task.dependsOn) {
      const from = nodeOf(upstream, groups, collapsed);
      if (from !== id && !node.dependsOn.includes(from)) node.dependsOn.push(from);
    }
  }
  return [...nodes.values()];
}

/**
 * The label of each arrow drawn, by `from->to`: a task's own labels, carried onto the arrow that
 * stands for them when a group is collapsed (the first one found when several meet there).
 */
export function edgeLabels(
  tasks: readonly GroupedTask[],
  groups: ReadonlySet<string>,
  collapsed: ReadonlySet<string>,
): Map<string, string> {
  const labels = new Map<string, string>();
  for (const task of tasks) {
    if (!task.edgeLabels) continue;
    const to = nodeOf(task.id, groups, collapsed);
    for (const [upstream, label] of Object.entries(task.edgeLabels)) {
      const key = `${nodeOf(upstream, groups, collapsed)}->${to}`;
      if (!labels.has(key)) labels.set(key, label);
    }
  }
  return labels;
}

/** Task states from the one that most needs attention to the one that needs none. */
const attentionOrder = [
  "failed",
  "upstream_failed",
  "up_for_retry",
  "running",
  "deferred",
  "scheduled",
  "queued",
  "none",
  "cancelled",
  "success",
  "skipped",
];

/**
 * The state of a group in a run, as Airflow shows a collapsed group: the state of its tasks that
 * most needs attention (any failure, else anything still going, …); running while some tasks
 * have ended and others wait; success when all succeeded or were skipped (skipped when all were);
 * `none` when no task has a state yet.
 */
export function groupState(states: ReadonlyArray<string | undefined>): string {
  let best = attentionOrder.length;
  let ended = false;
  for (const state of states) {
    if (state === undefined) continue;
    const rank = attentionOrder.indexOf(state);
    if (rank !== -1 && rank < best) best = rank;
    if (state === "success" || state === "skipped") ended = true;
  }
  const state = attentionOrder[best] ?? "none";
  return state === "none" && ended ? "running" : state;
}

/** A row of a grouped list: a task, or a group heading its tasks; depth counts enclosing groups. */
export type GroupedRow =
  | { kind: "task"; id: string; depth: number }
  | { kind: "group"; id: string; depth: number; members: string[]; collapsed: boolean };

/**
 * Tasks in order with each group's tasks gathered under a heading row where its first task was;
 * a collapsed group's heading stands alone (its tasks, nested groups' included, are hidden).
 */
export function groupedRows(
  ids: readonly string[],
  groups: ReadonlySet<string>,
  collapsed: ReadonlySet<string>,
): GroupedRow[] {
  interface Branch {
    id: string;
    members: string[];
    children: Array<string | Branch>;
  }
  const root: Branch = { id: "", members: [], children: [] };
  const branches = new Map<string, Branch>();
  for (const id of ids) {
    let parent = root;
    for (const group of enclosingGroups(id, groups)) {
      let branch = branches.get(group);
      if (!branch) {
        branch = { id: group, members: [], children: [] };
        branches.set(group, branch);
        parent.children.push(branch);
      }
      branch.members.push(id);
      parent = branch;
    }
    parent.children.push(id);
  }
  const rows: GroupedRow[] = [];
  const walk = (branch: Branch, depth: number) => {
    for (const child of branch.children) {
      if (typeof child === "string") {
        rows.push({ kind: "task", id: child, depth });
        continue;
      }
      const isCollapsed = collapsed.has(child.id);
      rows.push({ kind: "group", id: child.id, depth, members: child.members, collapsed: isCollapsed });
      if (!isCollapsed) walk(child, depth + 1);
    }
  };
  walk(root, 0);
  return rows;
}
