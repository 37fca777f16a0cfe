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
  const tasks = dag.tasks;
  const n = tasks.length;
  const indexById = new Map<string, number>();
  for (let i = 0; i < n; i++) indexById.set(tasks[i]!.id, i);

  // Dependencies resolved to indexes once, then successor lists in compressed form: the
  // successors of i are next[start[i]] … next[start[i+1]-1].
  const edgeCount = tasks.reduce((sum, task) => sum + task.dependsOn.length, 0);
  const edgeFrom = new Int32Array(edgeCount);
  const edgeTo = new Int32Array(edgeCount);
  const waiting = new Int32Array(n);
  const start = new Int32Array(n + 1);
  let edge = 0;
  for (let i = 0; i < n; i++) {
    for (const dep of tasks[i]!.dependsOn) {
      const u = indexById.get(dep);
      if (u === undefined) throw new Error(`task "${tasks[i]!.id}" depends on unknown task "${dep}"`);
      edgeFrom[edge] = u;
      edgeTo[edge++] = i;
      start[u + 1]!++;
      waiting[i]!++;
    }
  }
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
  const next = new Int32Array(edgeCount);
  const fill = start.slice(0, n);
  for (let e = 0; e < edgeCount; e++) next[fill[edgeFrom[e]!]!++] = edgeTo[e]!;

  // Kahn's algorithm, one level at a time, keeping document order within a level.
  const order = new Int32Array(n);
  const levels: string[][] = [];
  let ordered = 0;
  let level: number[] = [];
  for (let i = 0; i < n; i++) if (waiting[i] === 0) level.push(i);
  while (level.length > 0) {
    levels.push(level.map((i) => tasks[i]!.id));
    const nextLevel: number[] = [];
    for (const u of level) {
      order[ordered++] = u;
      for (let e = start[u]!; e < start[u + 1]!; e++) {
        const v = next[e]!;
        if (--waiting[v]! === 0) nextLevel.push(v);
      }
    }
    level = nextLevel.sort((a, b) => a - b);
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
    rank[u] = weight(tasks[u]!, estimates, defaultEstimateMs) + best;
  }

  // The critical path starts at the task of highest rank (always one without dependencies).
  const criticalPath: string[] = [];
  let criticalPathMs = 0;
  if (n > 0) {
    let at = order[0]!;
    for (let k = 1; k < n; k++) if (rank[order[k]!]! > rank[at]!) at = order[k]!;
    criticalPathMs = rank[at]!;
    for (; at !== -1; at = heaviest[at]!) criticalPath.push(tasks[at]!.id);
  }

  // The sort is stable, so tasks of equal rank keep their topological order.
  const rankOrder = Array.from(order)
    .sort((a, b) => rank[b]! - rank[a]!)
    .map((i) => tasks[i]!.id);

  const upwardRank = new Map<string, number>();
  for (let i = 0; i < n; i++) upwardRank.set(tasks[i]!.id, rank[i]!);

  return {
    levels,
    maxWidth: levels.reduce((max, l) => Math.max(max, l.length), 0),
    criticalPath,
    criticalPathMs,
    upwardRank,
    rankOrder,
  };
}

function weight(
  task: AnalyzableTask,
  estimates: ReadonlyMap<string, number> | undefined,
  fallback: number,
): number {
  const measured = estimates?.get(task.id);
  if (measured !== undefined) return measured;
  if (task.estimatedDurationSeconds !== undefined) return task.estimatedDurationSeconds * 1000;
  return fallback;
}
