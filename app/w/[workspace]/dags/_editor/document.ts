// The document the editor works on, and every change the editor makes to it, as pure functions
// returning a new document (the history keeps the old ones). The document is kept as the author
// wrote it, not normalised: the code tab shows exactly this, and validation (validateDag) says
// what is wrong with it.
export interface EditorTask {
  id: string;
  operator: string;
  dependsOn?: string[];
  config?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface EditorDocument {
  id: string;
  tasks: EditorTask[];
  [field: string]: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Accepts a parsed document the canvas can draw (an object whose `tasks` is a list of objects),
 * or says why not. Everything else is left to validation.
 */
export function asEditorDocument(value: unknown): EditorDocument | string {
  if (!isObject(value)) return "The document must be an object";
  if (!Array.isArray(value.tasks)) return "The document needs a list of tasks";
  if (!value.tasks.every(isObject)) return "Each task must be an object";
  return value as EditorDocument;
}

/** A task as the canvas draws it: a unique id even when the document repeats or omits one. */
export interface DrawnTask {
  id: string;
  index: number;
  dependsOn: string[];
  task: EditorTask;
}

export function drawnTasks(document: EditorDocument): DrawnTask[] {
  const seen = new Set<string>();
  return document.tasks.map((task, index) => {
    let id = typeof task.id === "string" && task.id !== "" ? task.id : `(task ${index + 1})`;
    if (seen.has(id)) id = `${id} (${index + 1})`;
    seen.add(id);
    const dependsOn = Array.isArray(task.dependsOn)
      ? task.dependsOn.filter((dep): dep is string => typeof dep === "string")
      : [];
    return { id, index, dependsOn, task };
  });
}

export function emptyDocument(id = ""): EditorDocument {
  return { id, title: "", tags: [], schedule: null, tasks: [] };
}

const indexOf = (document: EditorDocument, id: string) => document.tasks.findIndex((task) => task.id === id);

/** A task id not used yet: `fetch`, `fetch_2`, `fetch_3`… */
export function freeTaskId(document: EditorDocument, base: string): string {
  const slug =
    base
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, "_")
      .replace(/^[^a-z]+/, "") || "task";
  const used = new Set(document.tasks.map((task) => task.id));
  if (!used.has(slug)) return slug;
  for (let n = 2; ; n++) if (!used.has(`${slug}_${n}`)) return `${slug}_${n}`;
}

export function addTask(
  document: EditorDocument,
  operator: string,
  config: Record<string, unknown>,
): { document: EditorDocument; id: string } {
  const id = freeTaskId(document, operator);
  const task: EditorTask = { id, operator, dependsOn: [], config: structuredClone(config) };
  return { document: { ...document, tasks: [...document.tasks, task] }, id };
}

/** Removes the task and every dependency on it. */
export function removeTask(document: EditorDocument, id: string): EditorDocument {
  return {
    ...document,
    tasks: document.tasks
      .filter((task) => task.id !== id)
      .map((task) =>
        task.dependsOn?.includes(id) ? { ...task, dependsOn: task.dependsOn.filter((d) => d !== id) } : task,
      ),
  };
}

/** Replaces one task (by id) with `change(task)`. */
export function updateTask(
  document: EditorDocument,
  id: string,
  change: (task: EditorTask) => EditorTask,
): EditorDocument {
  const index = indexOf(document, id);
  if (index < 0) return document;
  const tasks = [...document.tasks];
  tasks[index] = change(tasks[index]!);
  return { ...document, tasks };
}

/** Sets (or, with undefined, removes) a field of an object, keeping the order of the others. */
export function withField<T extends Record<string, unknown>>(object: T, key: string, value: unknown): T {
  if (value === undefined) {
    const { [key]: _removed, ...rest } = object;
    return rest as T;
  }
  return { ...object, [key]: value };
}

/** Renames a task and the dependencies naming it. */
export function renameTask(document: EditorDocument, from: string, to: string): EditorDocument {
  return {
    ...document,
    tasks: document.tasks.map((task) => {
      const renamed = task.id === from ? { ...task, id: to } : task;
      return renamed.dependsOn?.includes(from)
        ? { ...renamed, dependsOn: renamed.dependsOn.map((d) => (d === from ? to : d)) }
        : renamed;
    }),
  };
}

/** Downstream adjacency: upstream id → ids of the tasks that depend on it. */
function dependents(document: EditorDocument): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const task of document.tasks) {
    for (const upstream of task.dependsOn ?? []) {
      const list = map.get(upstream);
      if (list) list.push(task.id);
      else map.set(upstream, [task.id]);
    }
  }
  return map;
}

/** A chain of dependencies from `from` down to `to`, or undefined when `to` is not downstream. */
export function downstreamPath(document: EditorDocument, from: string, to: string): string[] | undefined {
  const next = dependents(document);
  const parent = new Map<string, string>([[from, ""]]);
  const queue = [from];
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (id === to) {
      const path = [id];
      for (let at = parent.get(id)!; at !== ""; at = parent.get(at)!) path.unshift(at);
      return path;
    }
    for (const child of next.get(id) ?? []) {
      if (!parent.has(child)) {
        parent.set(child, id);
        queue.push(child);
      }
    }
  }
  return undefined;
}

export type ConnectResult = { ok: true; document: EditorDocument } | { ok: false; message: string };

/** Makes `downstream` depend on `upstream`, unless that would close a cycle. */
export function connect(document: EditorDocument, upstream: string, downstream: string): ConnectResult {
  if (upstream === downstream) return { ok: false, message: `A task cannot depend on itself (${upstream}).` };
  const target = document.tasks[indexOf(document, downstream)];
  if (!target || indexOf(document, upstream) < 0) return { ok: false, message: "Unknown task." };
  if (target.dependsOn?.includes(upstream)) {
    return { ok: false, message: `${downstream} already depends on ${upstream}.` };
  }
  const loop = downstreamPath(document, downstream, upstream);
  if (loop) {
    return {
      ok: false,
      message: `Refused: ${upstream} → ${downstream} would close a cycle (${[...loop, downstream].join(" → ")}).`,
    };
  }
  return {
    ok: true,
    document: updateTask(document, downstream, (task) => ({
      ...task,
      dependsOn: [...(task.dependsOn ?? []), upstream],
    })),
  };
}

export function disconnect(document: EditorDocument, upstream: string, downstream: string): EditorDocument {
  return updateTask(document, downstream, (task) => ({
    ...task,
    dependsOn: (task.dependsOn ?? []).filter((id) => id !== upstream),
  }));
}

/** Every task upstream of `id`, nearest first. */
export function upstreamOf(document: EditorDocument, id: string): string[] {
  const byId = new Map(document.tasks.map((task) => [task.id, task]));
  const found: string[] = [];
  const seen = new Set([id]);
  const queue = [...(byId.get(id)?.dependsOn ?? [])];
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (seen.has(next) || !byId.has(next)) continue;
    seen.add(next);
    found.push(next);
    queue.push(...(byId.get(next)!.dependsOn ?? []));
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Problems

/** The top-level key a problem's field is about: `config.headers["X"]` → `headers` under config. */
export function configKeyOf(field: string): string | undefined {
  const match = /^config(?:\.([A-Za-z_$][\w$]*)|\["([^"]+)"\])/.exec(field);
  return match ? (match[1] ?? match[2]) : undefined;
}
