// Shape and timing of a valid DAG: topological levels, width, critical path, and the HEFT upward
// rank that orders ready tasks within a run (tasks on the longest remaining path first).
// Everything is O(V + E) except the final sort of tasks by rank (O(V log V)).

/** The part of a task this module reads; a DagDefinition's tasks qualify. */
export interface AnalyzableTask {
  id: string;
  dependsOn: readonly string[];
  estimatedDurationSeconds?: number | undefined;
}

export interface AnalyzeOptions {
  /** Measured durations by task id; they win over the document's estimatedDurationSeconds. */
  estimates?: ReadonlyMap<string, number>;
  /** For tasks with neither a measurement nor an estimate. Default 60,000 ms. */
  defaultEstimateMs?: number;
}

export interface DagAnalysis {
  /** Level 0 holds the tasks without dependencies; each task sits one level below its deepest dependency. */
  levels: string[][];
  /** The most tasks in one level: an upper bound on useful parallelism without mapped tasks. */
  maxWidth: number;
  /** The chain of tasks with the largest total duration, upstream first. */
  criticalPath: string[];
  criticalPathMs: number;
  /** rank_u(t) = w(t) + max over successors s of rank_u(s): the time from t's start to the end. */
  upwardRank: Map<string, number>;
  /** Tasks by decreasing upward rank, ties in topological order: a valid execution order. */
  rankOrder: string[];
}

/** Throws when the tasks contain a cycle or an unknown dependency: validate first. */
export function analyzeDag(
  dag: { tasks: readonly AnalyzableTask[] },
  options: AnalyzeOptions = {},
): DagAnalysis {
  const { estimates, defaultEstimateMs = 60_000 } = options;
  // Each task's fields are read once: task objects come in many shapes (optional fields), which
  // makes every property read in a loop over them slow.
  const n = dag.tasks.length;
  const ids: string[] = new Array(n);
  const dependencies: (readonly string[])[] = new Array(n);
  const weight = new Float64Array(n);
  // Task indexes by id while the graph is built, then the ranks: the answer's map. Overwriting an
  // entry costs a lookup, where filling a second map would cost as many insertions again.
  const indexById = new Map<string, number>();
  let edgeCount = 0;
  for (let i = 0; i < n; i++) {
    const task = dag.tasks[i]!;
    ids[i] = task.id;
    dependencies[i] = task.dependsOn;
    edgeCount += task.dependsOn.length;
    const estimateSeconds = task.estimatedDurationSeconds;
    weight[i] =
      estimates?.get(task.id) ?? (estimateSeconds === undefined ? defaultEstimateMs : estimateSeconds * 1000);
    indexById.set(task.id, i);
  }

  // Dependencies resolved to indexes once, then the successors of each task.
  const edgeFrom = new Int32Array(edgeCount);
  const edgeTo = new Int32Array(edgeCount);
  const waiting = new Int32Array(n);
  let edge = 0;
  // Indexed loops here and below: this runs once per call, mostly before the engine has
  // optimised it, where for…of over ten thousand small arrays pays for as many iterators.
  for (let i = 0; i < n; i++) {
    const dependsOn = dependencies[i]!;
    for (let k = 0; k < dependsOn.length; k++) {
      const u = indexById.get(dependsOn[k]!);
      if (u === undefined) throw new Error(`task "${ids[i]}" depends on unknown task "${dependsOn[k]}"`);
      edgeFrom[edge] = u;
      edgeTo[edge++] = i;
    }
    waiting[i] = dependsOn.length;
  }
  const { start, list: next } = adjacency(n, edgeCount, edgeFrom, edgeTo);

  // Kahn's algorithm, one level at a time: `order` holds the levels one after the other, each
  // sorted into document order (a typed array sorts numbers natively, without a comparator).
  const order = new Int32Array(n);
  const levels: string[][] = [];
  let ordered = 0;
  for (let i = 0; i < n; i++) if (waiting[i] === 0) order[ordered++] = i;
  for (let levelStart = 0; levelStart < ordered; ) {
    const levelEnd = ordered;
    order.subarray(levelStart, levelEnd).sort();
    const level: string[] = new Array(levelEnd - levelStart);
    for (let k = levelStart; k < levelEnd; k++) {
      const u = order[k]!;
      level[k - levelStart] = ids[u]!;
      for (let e = start[u]!; e < start[u + 1]!; e++) {
        const v = next[e]!;
        if (--waiting[v]! === 0) order[ordered++] = v;
      }
    }
    levels.push(level);
    levelStart = levelEnd;
  }
  if (ordered < n) throw new Error("the tasks contain a cycle");

  // Upward rank in reverse topological order; remember the successor that gave each maximum.
  const rank = new Float64Array(n);
  const heaviest = new Int32Array(n).fill(-1);
  for (let k = n - 1; k >= 0; k--) {
    const u = order[k]!;
    let best = 0;
    for (let e = start[u]!; e < start[u + 1]!; e++) {
      const v = next[e]!;
      if (rank[v]! > best || (rank[v] === best && heaviest[u] === -1)) {
        best = rank[v]!;
        heaviest[u] = v;
      }
    }
    rank[u] = weight[u]! + best;
  }

  // The critical path starts at the task of highest rank (always one without dependencies).
  const criticalPath: string[] = [];
  let criticalPathMs = 0;
  if (n > 0) {
    let at = order[0]!;
    for (let k = 1; k < n; k++) if (rank[order[k]!]! > rank[at]!) at = order[k]!;
    criticalPathMs = rank[at]!;
    for (; at !== -1; at = heaviest[at]!) criticalPath.push(ids[at]!);
  }

  const byRank = sortByDecreasingRank(order, rank);
  const rankOrder: string[] = new Array(n);
  for (let k = 0; k < n; k++) rankOrder[k] = ids[byRank[k]!]!;

  const upwardRank = indexById;
  for (let i = 0; i < n; i++) upwardRank.set(ids[i]!, rank[i]!);

  return {
    levels,
    maxWidth: levels.reduce((max, l) => Math.max(max, l.length), 0),
    criticalPath,
    criticalPathMs,
    upwardRank,
    rankOrder,
  };
}

/**
 * The tasks of `order` by decreasing rank; tasks of equal rank keep their order (topological).
 * A merge sort over typed arrays: a sort with a comparator pays a function call per comparison,
 * which is most of the time of this module on a large DAG.
 */
function sortByDecreasingRank(order: Int32Array, rank: Float64Array): Int32Array {
  const n = order.length;
  let from = order.slice();
  let to = new Int32Array(n);
  for (let width = 1; width < n; width *= 2) {
    for (let low = 0; low < n; low += 2 * width) {
      mergeByDecreasingRank(from, to, rank, low, Math.min(low + width, n), Math.min(low + 2 * width, n));
    }
    const merged = to;
    to = from;
    from = merged;
  }
  return from;
}

/**
 * Merges from[low…middle) and from[middle…high) into to[low…high). A function of its own, called
 * thousands of times per sort, so that the engine optimises it early rather than the loops of a
 * function called once.
 */
function mergeByDecreasingRank(
  from: Int32Array,
  to: Int32Array,
  rank: Float64Array,
  low: number,
  middle: number,
  high: number,
): void {
  let i = low;
  let j = middle;
  let k = low;
  // Strictly greater on the right to take it first: that keeps equal ranks in order.
  while (i < middle && j < high) to[k++] = rank[from[j]!]! > rank[from[i]!]! ? from[j++]! : from[i++]!;
  while (i < middle) to[k++] = from[i++]!;
  while (j < high) to[k++] = from[j++]!;
}

/**
 * Adjacency lists in compressed form, so that a graph of many tasks needs no array per task:
 * the neighbours of i are list[start[i]] … list[start[i + 1] - 1], in edge order.
 */
export interface Adjacency {
  start: Int32Array;
  list: Int32Array;
}

/** Builds the lists of the first `edgeCount` edges from[e] → to[e] of a graph of n nodes. */
export function adjacency(n: number, edgeCount: number, from: Int32Array, to: Int32Array): Adjacency {
  const start = new Int32Array(n + 1);
  for (let e = 0; e < edgeCount; e++) start[from[e]! + 1]!++;
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
  const list = new Int32Array(edgeCount);
  const fill = start.slice(0, n);
  for (let e = 0; e < edgeCount; e++) list[fill[from[e]!]!++] = to[e]!;
  return { start, list };
}
