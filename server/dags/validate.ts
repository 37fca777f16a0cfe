// Validates a DAG document and reports every problem at once, each with the path of the element
// at fault. Shape checks come from the zod schema (definition.ts), most tasks through its
// hand-written twin (task-fast-path.ts), which answers as the schema does, only faster; this module
// adds what needs the whole document: task ids, dependencies, cycles, operator configs and template
// references.
//
// Problem paths are JavaScript accessors from the document root: `tasks[2].dependsOn[0]`,
// `schedule.cron`, `params.region.default`, `tasks[0].config.headers["Content-Type"]`. Arrays are
// addressed by index (ids can be missing or duplicated, positions cannot); keys that are not
// identifiers are quoted in brackets. The empty path is the document itself.
//
// Graph checks run on the raw input, not on zod's output, so that a typo in one task's retries
// does not hide a cycle elsewhere: the user gets the whole list in one pass.
import { ZodObject, z } from "zod";
import { operatorCatalog } from "../operators/catalog";
import { type BranchConfig, branchTargets } from "../operators/definitions/branch";
import type { OperatorDefinition } from "../operators/types";
import { ScheduleError, schedulePlan, upcomingIntervals } from "../schedules/timetable";
import {
  collectTemplatedStrings,
  findReferences,
  parseReference,
  type TemplateReference,
} from "../templating/template";
import { type Adjacency, adjacency } from "./analyze";
import {
  type DagDefinition,
  dagSchema,
  groupSchema,
  maxTasks,
  type TaskDefinition,
  taskSchema,
  taskSettingsShape,
} from "./definition";
import { closest, type ResolvedDependencies, resolveGroups } from "./groups";
import { parseTaskFast } from "./task-fast-path";

export interface Problem {
  /** Where: see the path scheme above. */
  path: string;
  message: string;
}

export type ValidationResult = { ok: true; dag: DagDefinition } | { ok: false; problems: Problem[] };

export interface ValidateOptions {
  /** The workspace's variables; when given, `{{ vars.x }}` of any other name is a problem. */
  knownVariables?: ReadonlySet<string>;
  /**
   * Secrets and connections that exist but the DAG's folder may not use (their allowed folders,
   * docs/permissions.md): `{{ secrets.x }}` and `{{ conn.x.field }}` naming one are problems.
   */
  unusable?: { secrets: ReadonlySet<string>; connections: ReadonlySet<string> };
}

type Segment = string | number;

/**
 * Never throws: whatever the input, the answer is a valid DAG (defaults filled, operator configs
 * included) or a list of problems. Free-form values (an http body, a param default) are shared with
 * the input rather than copied.
 */
export function validateDag(input: unknown, options: ValidateOptions = {}): ValidationResult {
  try {
    const { dag, problems } = check(input, options);
    return problems.length === 0 && dag ? { ok: true, dag } : { ok: false, problems };
  } catch (error) {
    // A bug in a check must not take the caller down; the document is refused instead.
    return { ok: false, problems: [{ path: "", message: `could not be validated: ${describe(error)}` }] };
  }
}

/** Formats a path as described at the top of this module. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (typeof segment === "string" && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) {
      out += out ? `.${segment}` : segment;
    } else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

type Report = (path: readonly Segment[], message: string) => void;

/** One entry of `tasks` as far as it could be read. */
interface RawTask {
  id: string | undefined;
  operator: string | undefined;
  record: Record<string, unknown> | undefined;
  /** Its dependsOn as written. */
  dependsOn: unknown[];
  /** What it waits for: dependsOn, or with groups the task ids dependsOn and its groups resolve to. */
  dependencies: unknown[];
  /** With groups, where each dependency was written; else dependencies[k] is dependsOn[k]. */
  origins: Segment[][] | undefined;
}

/** Tasks by position; edges between positions, from first occurrences of ids. */
interface Graph {
  tasks: RawTask[];
  indexById: Map<string, number>;
  /** Task groups resolved, when the document has some. */
  groups: ResolvedDependencies | undefined;
  /** For each task, the tasks it depends on. */
  upstream: Adjacency;
  /** For each task, the tasks that depend on it. */
  downstream: Adjacency;
  /** Longest distance from a task without dependencies; Infinity in and below cycles. */
  depth: Float64Array;
  /** Marks for graph searches: a task is visited in the current search when visits[i] === visit. */
  visits: Int32Array;
  visit: number;
  /** The stack of graph searches, kept between them: each task is pushed at most once per search. */
  stack: Int32Array;
}

function check(input: unknown, options: ValidateOptions) {
  const problems: Problem[] = [];
  const report: Report = (path, message) => problems.push({ path: formatPath(path), message });

  const parsed = parseDocument(input);
  if (!parsed.success) for (const issue of parsed.error.issues) reportIssue(issue, [], report, documentKeys);

  const doc = asRecord(input);
  const graph = buildGraph(Array.isArray(doc?.tasks) ? doc.tasks : [], doc?.groups, report);
  checkCycles(graph, report);
  checkEdgeLabels(graph, report);
  const configs = checkConfigs(graph, report);
  new ReferenceChecker(graph, doc, options, report).checkAll();
  checkDateRange(doc, report);
  if (parsed.success && problems.length === 0) checkScheduleComputes(parsed.data, report);

  if (!parsed.success || problems.length > 0) return { problems };
  // The tasks zod returned are its own objects, not the input's, so configs can be set in place.
  const dag = parsed.data;
  for (let i = 0; i < dag.tasks.length; i++) dag.tasks[i]!.config = configs[i] ?? dag.tasks[i]!.config;
  if (graph.groups) storeResolvedDependencies(dag, graph.groups);
  return { dag, problems };
}

/** The document with its tasks left as they are: they were parsed one by one before. */
const documentOfParsedTasks = z.strictObject({ ...dagSchema.shape, tasks: z.unknown() });

/**
 * What dagSchema.safeParse(input) answers, faster: the tasks are parsed one at a time, most by
 * parseTaskFast, and the rest of the document by zod. When a task is invalid, the whole document
 * goes through dagSchema, so that the problems are exactly the schema's, in its order.
 */
function parseDocument(
  input: unknown,
): { success: true; data: DagDefinition } | { success: false; error: z.ZodError } {
  const rawTasks = asRecord(input)?.tasks;
  if (!Array.isArray(rawTasks) || rawTasks.length > maxTasks) return dagSchema.safeParse(input);
  const tasks: TaskDefinition[] = new Array(rawTasks.length);
  for (let i = 0; i < rawTasks.length; i++) {
    const task = parseTaskFast(rawTasks[i]) ?? taskSchema.safeParse(rawTasks[i]).data;
    if (task === undefined) return dagSchema.safeParse(input);
    tasks[i] = task;
  }
  const parsed = documentOfParsedTasks.safeParse(input);
  if (!parsed.success) return parsed;
  return { success: true, data: { ...parsed.data, tasks } };
}

/** Field names at a path relative to what was parsed, to suggest a correction for a misspelt one. */
type KnownKeys = (path: readonly Segment[]) => string[] | undefined;

function reportIssue(
  issue: z.core.$ZodIssue,
  prefix: readonly Segment[],
  report: Report,
  keysAt: KnownKeys,
): void {
  const relative = issue.path.map((s) => (typeof s === "symbol" ? String(s) : s));
  const path = [...prefix, ...relative];
  if (issue.code === "unrecognized_keys") {
    const known = keysAt(relative);
    for (const key of issue.keys) {
      const suggestion = known && closest(key, known);
      report([...path, key], `unknown field "${key}"${suggestion ? `; did you mean "${suggestion}"?` : ""}`);
    }
  } else if ((issue.code === "invalid_key" || issue.code === "invalid_element") && issue.issues[0]) {
    report(path, issue.issues[0].message);
  } else {
    report(path, issue.message);
  }
}

const documentKeys: KnownKeys = (path) => {
  if (path.length === 0) return Object.keys(dagSchema.shape);
  if (path.length === 2 && path[0] === "tasks") return Object.keys(taskSchema.shape);
  if (path.length === 2 && path[0] === "groups") return Object.keys(groupSchema.shape);
  if (path.length === 3 && path[0] === "groups" && path[2] === "defaults")
    return Object.keys(taskSettingsShape);
  return undefined;
};

const configKeys =
  (schema: z.ZodType): KnownKeys =>
  (path) =>
    path.length === 0 && schema instanceof ZodObject ? Object.keys(schema.shape) : undefined;

// ---------------------------------------------------------------------------------------------
// Graph: ids, dependencies, cycles

function buildGraph(rawTasks: unknown[], rawGroups: unknown, report: Report): Graph {
  const n = rawTasks.length;
  const tasks: RawTask[] = new Array(n);
  let idCount = 0;
  for (let i = 0; i < n; i++) {
    const record = asRecord(rawTasks[i]);
    const id = typeof record?.id === "string" ? record.id : undefined;
    const dependsOn = Array.isArray(record?.dependsOn) ? record.dependsOn : [];
    tasks[i] = {
      id,
      operator: typeof record?.operator === "string" ? record.operator : undefined,
      record,
      dependsOn,
      dependencies: dependsOn,
      origins: undefined,
    };
    if (id !== undefined) idCount++;
  }
  // With groups, dependencies are resolved (and their problems reported) there: each is a known
  // task, once, and the checks below find nothing more to say.
  const groups = resolveGroups(tasks, rawGroups, report);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const task = tasks[i]!;
    if (groups) {
      task.dependencies = groups.dependencies[i]!;
      task.origins = groups.origins[i]!;
    }
    total += task.dependencies.length;
  }

  // Positions by id, the first use of an id winning. Filled from the end, so that the first use
  // overwrites later ones: one insertion per task and no lookup, as map insertions are what
  // building the graph of a large DAG costs most.
  const indexById = new Map<string, number>();
  for (let i = n - 1; i >= 0; i--) {
    const id = tasks[i]!.id;
    if (id !== undefined) indexById.set(id, i);
  }
  if (indexById.size < idCount) {
    for (let i = 0; i < n; i++) {
      const id = tasks[i]!.id;
      const first = id === undefined ? i : indexById.get(id)!;
      if (first !== i)
        report(["tasks", i, "id"], `duplicate task id "${id}" (first used by tasks[${first}])`);
    }
  }
  // Ids in document order, for suggestions: the map's order is not that one.
  let knownIds: string[] | undefined;

  const edgeFrom = new Int32Array(total);
  const edgeTo = new Int32Array(total);
  let edgeCount = 0;
  for (let i = 0; i < n; i++) {
    const dependsOn = tasks[i]!.dependencies;
    for (let k = 0; k < dependsOn.length; k++) {
      const dep = dependsOn[k];
      if (typeof dep !== "string") continue;
      const u = indexById.get(dep);
      if (u === undefined) {
        knownIds ??= tasks.flatMap((task, j) =>
          task.id !== undefined && indexById.get(task.id) === j ? [task.id] : [],
        );
        const suggestion = closest(dep, knownIds);
        report(
          ["tasks", i, "dependsOn", k],
          `unknown task "${dep}"${suggestion ? `; did you mean "${suggestion}"?` : ""}`,
        );
      } else if (dependsOn.indexOf(dep) < k) {
        report(["tasks", i, "dependsOn", k], `"${dep}" is listed twice`);
      } else {
        edgeFrom[edgeCount] = u;
        edgeTo[edgeCount++] = i;
      }
    }
  }

  const upstream = adjacency(n, edgeCount, edgeTo, edgeFrom);
  const downstream = adjacency(n, edgeCount, edgeFrom, edgeTo);
  const depth = depths(upstream, downstream);
  const searchState = { visits: new Int32Array(n), visit: 0, stack: new Int32Array(n) };
  return { tasks, indexById, groups, upstream, downstream, depth, ...searchState };
}

/** Where a task's k-th dependency was written. */
function originOf(graph: Graph, task: number, k: number): Segment[] {
  return graph.tasks[task]!.origins?.[k] ?? ["tasks", task, "dependsOn", k];
}

/** True when `task` lists `dependency` in its dependsOn. */
function dependsDirectly(graph: Graph, task: number, dependency: number): boolean {
  const { start, list } = graph.upstream;
  for (let e = start[task]!; e < start[task + 1]!; e++) if (list[e] === dependency) return true;
  return false;
}

/** Kahn's algorithm; tasks it cannot reach (in or below a cycle) keep depth Infinity. */
function depths(upstream: Adjacency, downstream: Adjacency): Float64Array {
  const n = upstream.start.length - 1;
  const depth = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const waiting = new Int32Array(n);
  const queue = new Int32Array(n);
  let queued = 0;
  for (let i = 0; i < n; i++) {
    waiting[i] = upstream.start[i + 1]! - upstream.start[i]!;
    if (waiting[i] === 0) {
      depth[i] = 0;
      queue[queued++] = i;
    }
  }
  const { start, list } = downstream;
  for (let head = 0; head < queued; head++) {
    const u = queue[head]!;
    for (let e = start[u]!; e < start[u + 1]!; e++) {
      const v = list[e]!;
      // A task is released once all its dependencies are; its depth is final by then.
      if (--waiting[v]! === 0) {
        let deepest = 0;
        for (let f = upstream.start[v]!; f < upstream.start[v + 1]!; f++) {
          deepest = Math.max(deepest, depth[upstream.list[f]!]!);
        }
        depth[v] = deepest + 1;
        queue[queued++] = v;
      }
    }
  }
  return depth;
}

/** The most cycles one validation reports; past it, one more problem says that there are more. */
const maxCyclesReported = 100;

/**
 * Reports every cycle a user must break, as task ids in dependency order, each on the dependsOn
 * entry that closes it. The simple cycles of a graph can be exponentially many, so "every" means:
 * each dependency inside a strongly connected component lies on a reported cycle (the shortest one
 * through it), walking dependencies in document order and skipping those an earlier cycle already
 * went through. `a → b → c → a` plus `c → c` is two cycles; a ring of 10,000 tasks is one.
 */
function checkCycles(graph: Graph, report: Report): void {
  if (!graph.depth.includes(Number.POSITIVE_INFINITY)) return; // every task got a depth: no cycle
  const n = graph.tasks.length;
  const componentOf = new Int32Array(n);
  const components = stronglyConnectedComponents(graph.downstream);
  components.forEach((members, c) => {
    for (const task of members) componentOf[task] = c;
  });
  // Dependencies already on a reported cycle, as task × n + dependency.
  const covered = new Set<number>();
  let reported = 0;
  for (let task = 0; task < n; task++) {
    const { dependencies } = graph.tasks[task]!;
    for (let k = 0; k < dependencies.length; k++) {
      const dependency = graph.indexById.get(dependencies[k] as string);
      if (dependency === undefined || componentOf[dependency] !== componentOf[task]) continue;
      if (covered.has(task * n + dependency) || dependencies.indexOf(dependencies[k]) < k) continue;
      if (reported === maxCyclesReported) {
        report(originOf(graph, task, k), `more cycles; the first ${maxCyclesReported} are listed`);
        return;
      }
      // The cycle runs from the task down to its dependency, which closes it.
      const cycle =
        dependency === task ? [task] : shortestPath(task, dependency, componentOf, graph.downstream);
      for (let i = 0; i < cycle.length; i++) covered.add(cycle[(i + 1) % cycle.length]! * n + cycle[i]!);
      const ids = cycle.map((i) => graph.tasks[i]!.id);
      report(originOf(graph, task, k), `cycle: ${[...ids, ids[0]].join(" → ")}`);
      reported++;
    }
  }
}

/** Breadth-first from `from` to `to` inside their component: the shortest chain of dependents. */
function shortestPath(from: number, to: number, componentOf: Int32Array, downstream: Adjacency): number[] {
  const parent = new Map<number, number>([[from, -1]]);
  const queue = [from];
  for (let head = 0; head < queue.length; head++) {
    const u = queue[head]!;
    for (let e = downstream.start[u]!; e < downstream.start[u + 1]!; e++) {
      const v = downstream.list[e]!;
      if (componentOf[v] !== componentOf[from] || parent.has(v)) continue;
      parent.set(v, u);
      if (v === to) {
        const path: number[] = [];
        for (let at = v; at !== -1; at = parent.get(at)!) path.push(at);
        return path.reverse();
      }
      queue.push(v);
    }
  }
  return [from, to]; // unreachable: the two share a component
}

/** Tarjan's algorithm, iterative so that a 10,000-task chain cannot overflow the stack. */
function stronglyConnectedComponents({ start, list }: Adjacency): number[][] {
  const n = start.length - 1;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const calls = [root];
    const edges = [start[root]!];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (calls.length > 0) {
      const top = calls.length - 1;
      const v = calls[top]!;
      const e = edges[top]!;
      if (e < start[v + 1]!) {
        edges[top] = e + 1;
        const w = list[e]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          calls.push(w);
          edges.push(start[w]!);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v]!, index[w]!);
        }
        continue;
      }
      calls.pop();
      edges.pop();
      if (calls.length > 0) {
        const parent = calls[calls.length - 1]!;
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === index[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          component.push(w);
        } while (w !== v);
        components.push(component);
      }
    }
  }
  return components;
}

/** True when `ancestor` is upstream of `task`, directly or through other tasks. */
function isUpstream(graph: Graph, ancestor: number, task: number): boolean {
  if (dependsDirectly(graph, task, ancestor)) return true;
  // Only tasks deeper than the ancestor can have it upstream, which prunes most of the search
  // (no pruning when the ancestor sits in or below a cycle, where depths mean nothing).
  const depth = graph.depth[ancestor]!;
  const floor = Number.isFinite(depth) ? depth : -1;
  const visit = ++graph.visit;
  const { start, list } = graph.upstream;
  const { stack, visits } = graph;
  visits[task] = visit;
  stack[0] = task;
  for (let size = 1; size > 0; ) {
    const at = stack[--size]!;
    for (let e = start[at]!; e < start[at + 1]!; e++) {
      const u = list[e]!;
      if (u === ancestor) return true;
      if (graph.depth[u]! > floor && visits[u] !== visit) {
        visits[u] = visit;
        stack[size++] = u;
      }
    }
  }
  return false;
}

/** Each edge label names an entry of its task's dependsOn. */
function checkEdgeLabels(graph: Graph, report: Report): void {
  for (let i = 0; i < graph.tasks.length; i++) {
    const { record, dependsOn } = graph.tasks[i]!;
    const labels = asRecord(record?.edgeLabels);
    if (!labels) continue;
    for (const name of Object.keys(labels)) {
      if (!dependsOn.includes(name)) {
        report(
          ["tasks", i, "edgeLabels", name],
          `"${name}" is not in dependsOn; a label names one of the task's dependencies`,
        );
      }
    }
  }
}

/**
 * With groups, a version stores each task's dependencies resolved (task ids, the group's own
 * included) and its edge labels by task id, so that what runs and draws the DAG needs to know
 * nothing of groups; validating the stored version again gives it back unchanged.
 */
function storeResolvedDependencies(dag: DagDefinition, groups: ResolvedDependencies): void {
  dag.tasks.forEach((task, i) => {
    if (task.edgeLabels) {
      const labels: Record<string, string> = {};
      for (const [name, label] of Object.entries(task.edgeLabels)) {
        for (const id of groups.expand(name)) labels[id] = label;
      }
      task.edgeLabels = labels;
    }
    task.dependsOn = groups.dependencies[i]!;
  });
}

// ---------------------------------------------------------------------------------------------
// Operators and their configs

/** Checks each config against its operator; returns the parsed configs (defaults filled). */
function checkConfigs(graph: Graph, report: Report): Array<Record<string, unknown> | undefined> {
  return graph.tasks.map((task, i) => {
    if (task.operator === undefined) return undefined;
    const operator = operatorCatalog.get(task.operator);
    if (!operator) {
      const suggestion = closest(task.operator, operatorCatalog.keys());
      const hint = suggestion
        ? `did you mean "${suggestion}"?`
        : `use one of ${[...operatorCatalog.keys()].join(", ")}`;
      report(["tasks", i, "operator"], `unknown operator "${task.operator}"; ${hint}`);
      return undefined;
    }
    if (task.record?.config === undefined) {
      const defaults = defaultConfig(operator);
      if (defaults) return defaults;
    }
    const config = task.record?.config === undefined ? {} : task.record.config;
    if (!asRecord(config)) return undefined; // the schema has reported it
    const result = operator.configSchema.safeParse(config);
    if (!result.success) {
      const keysAt = configKeys(operator.configSchema);
      for (const issue of result.error.issues) reportIssue(issue, ["tasks", i, "config"], report, keysAt);
      return undefined;
    }
    const parsed = result.data as Record<string, unknown>;
    if (operator.name === "branch") checkBranchTargets(graph, i, parsed as BranchConfig, report);
    return parsed;
  });
}

/**
 * The config of a task that gives none: the operator's parse of `{}`, which is the same every
 * time, so it is parsed once per operator and copied. Only when it is valid and flat (its values
 * are not objects, so that a shallow copy shares nothing between tasks); undefined otherwise.
 */
function defaultConfig(operator: OperatorDefinition): Record<string, unknown> | undefined {
  let defaults = defaultConfigs.get(operator);
  if (defaults === undefined) {
    const result = operator.configSchema.safeParse({});
    const flat =
      result.success &&
      Object.values(result.data as object).every((value) => value === null || typeof value !== "object");
    defaults = flat ? (result.data as Record<string, unknown>) : null;
    defaultConfigs.set(operator, defaults);
  }
  return defaults === null ? undefined : { ...defaults };
}

const defaultConfigs = new Map<OperatorDefinition, Record<string, unknown> | null>();

/** A branch chooses among the tasks that depend directly on it; any other target is a mistake. */
function checkBranchTargets(graph: Graph, branch: number, config: BranchConfig, report: Report): void {
  const branchId = graph.tasks[branch]!.id;
  for (const { taskId, path } of branchTargets(config)) {
    const target = graph.indexById.get(taskId);
    const at = ["tasks", branch, "config", ...path];
    if (target === undefined) report(at, `unknown task "${taskId}"`);
    else if (!dependsDirectly(graph, target, branch)) {
      report(
        at,
        `task "${taskId}" does not depend on "${branchId}"; a branch chooses among its direct downstream tasks`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Template references

/** Where a template is being read: which task (none for DAG callbacks), and whether it is mapped. */
interface Scope {
  task: number | undefined;
  mapped: boolean;
}

class ReferenceChecker {
  private readonly params: Set<string>;

  constructor(
    private readonly graph: Graph,
    private readonly doc: Record<string, unknown> | undefined,
    private readonly options: ValidateOptions,
    private readonly report: Report,
  ) {
    this.params = new Set(Object.keys(asRecord(doc?.params) ?? {}));
  }

  checkAll(): void {
    this.checkTasks();
    this.checkCallbacks();
  }

  private checkTasks(): void {
    const tasks = this.graph.tasks;
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i]!;
      const map = asRecord(task.record?.map);
      if (map?.over !== undefined) this.checkMapSource(map.over, i);
      const operator = task.operator === undefined ? undefined : operatorCatalog.get(task.operator);
      const config = task.record?.config;
      if (!operator || !asRecord(config)) continue;
      const extra = task.record?.templated;
      const fields = Array.isArray(extra)
        ? [...operator.templatedFields, ...extra.filter((f): f is string => typeof f === "string")]
        : operator.templatedFields;
      this.checkStrings(config, fields, ["tasks", i, "config"], { task: i, mapped: map !== undefined });
    }
  }

  /** onSuccess and onFailure: notify configs, read after the run, outside any task. */
  private checkCallbacks(): void {
    const notify = operatorCatalog.get("notify")!;
    for (const key of ["onSuccess", "onFailure"]) {
      const callbacks = this.doc?.[key];
      if (!Array.isArray(callbacks)) continue;
      callbacks.forEach((callback, i) => {
        this.checkStrings(callback, notify.templatedFields, [key, i], { task: undefined, mapped: false });
      });
    }
  }

  private checkStrings(config: unknown, fields: string[], at: Segment[], scope: Scope): void {
    // Indexed loops: this runs for every templated string of the document, often before the
    // engine has optimised it, where for…of pays for an iterator.
    const strings = collectTemplatedStrings(config, fields);
    for (let s = 0; s < strings.length; s++) {
      const { path, text } = strings[s]!;
      const { refs, errors } = findReferences(text);
      for (const error of errors) this.report([...at, ...path], `template error at ${error}`);
      for (let r = 0; r < refs.length; r++) {
        const ref = refs[r]!;
        const problem = this.referenceProblem(ref, scope);
        if (problem) this.report([...at, ...path], `{{ ${ref.raw} }}: ${problem}`);
      }
    }
  }

  private referenceProblem(ref: TemplateReference, scope: Scope): string | undefined {
    const name = ref.path[0];
    switch (ref.root) {
      case "params":
        return this.params.has(name!) ? undefined : `unknown param "${name}"; declare it under params`;
      case "vars":
        return !this.options.knownVariables || this.options.knownVariables.has(name!)
          ? undefined
          : `unknown variable "${name}"`;
      case "secrets":
        return this.options.unusable?.secrets.has(name!)
          ? `secret "${name}" may not be used by this DAG's folder (see the secret's allowed folders)`
          : undefined;
      case "conn":
        return this.options.unusable?.connections.has(name!)
          ? `connection "${name}" may not be used by this DAG's folder (see the connection's allowed folders)`
          : undefined;
      case "tasks":
        return this.upstreamProblem(name!, scope.task);
      case "item":
        return scope.mapped ? undefined : "item is only defined in a mapped task (set map.over)";
      case "task":
        return scope.task === undefined ? "task is not defined in a DAG callback" : undefined;
      default:
        return undefined;
    }
  }

  /** A task may read the output of a task that is certain to have finished before it starts. */
  private upstreamProblem(id: string, task: number | undefined): string | undefined {
    const source = this.graph.indexById.get(id);
    if (source === undefined) return `unknown task "${id}"`;
    if (task === undefined) return undefined; // callbacks run after every task
    if (source === task) return "a task cannot read its own output";
    if (!isUpstream(this.graph, source, task)) {
      return `task "${id}" is not upstream of "${this.graph.tasks[task]!.id}"; add it to dependsOn`;
    }
    return undefined;
  }

  private checkMapSource(over: unknown, task: number): void {
    if (typeof over !== "string") return; // a literal list: the schema checked it
    const problem = this.mapSourceProblem(over, task);
    if (problem) this.report(["tasks", task, "map", "over"], problem);
  }

  private mapSourceProblem(over: string, task: number): string | undefined {
    if (over.includes("{{")) return "write the path without {{ }}, for example tasks.list_files.output";
    const parsed = parseReference(over);
    if ("error" in parsed) return parsed.error;
    if (parsed.ref.root !== "tasks" && parsed.ref.root !== "params") {
      return "must name an upstream task's output (tasks.<id>.output…) or a param (params.<name>…)";
    }
    return this.referenceProblem(parsed.ref, { task, mapped: false });
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * The schedule's next fire times can be computed (the scheduler will ask the same code): a
 * document whose schedule fails here is refused rather than saved and silently never run.
 */
function checkScheduleComputes(dag: DagDefinition, report: Report): void {
  try {
    const plan = schedulePlan(dag);
    if (plan) upcomingIntervals(plan, new Date(), 2);
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    report(["schedule"], `its run times cannot be computed: ${error.message}`);
  }
}

function checkDateRange(doc: Record<string, unknown> | undefined, report: Report): void {
  const start = typeof doc?.startDate === "string" ? Date.parse(doc.startDate) : Number.NaN;
  const end = typeof doc?.endDate === "string" ? Date.parse(doc.endDate) : Number.NaN;
  if (start > end) report(["endDate"], "must not be before startDate");
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function describe(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return "unknown error";
  }
}
