// `npm run bench -- wf [file.json …] [--order heft|fifo|both] [--slots 4,10] [--mean-ms 10]
// [--json out.json]`: real scientific
// workflows replayed as Baton DAG runs, against their lower bound (issue 24, points 3 and 4).
//
// The instances are WfCommons executions (https://github.com/wfcommons/WfInstances, LGPL-3.0,
// copied unchanged into ../shared/corpora/wfcommons with their attribution in SOURCES.txt), read as
// WfFormat 1.5 (and the older flat 1.4 layout). Any WfFormat file named on the command line is
// replayed too. Each instance runs
//  - with every task a no-op (the engine's own cost: tasks/s),
//  - with every task 10 ms,
//  - with durations scaled from the recorded runtimes (so the mean task takes 10 ms, or
//    `--mean-ms`),
// at 4 and 10 slots (the workspace's concurrency quota, on one worker with spare slots), and prints
// the makespan (the run's queued → ended), the lower bound max(critical path, work / slots), the
// bound's share of the makespan, and tasks/s. Timed runs go twice: tasks ordered critical-path
// first (HEFT's upward rank, which the engine puts in every instance's priority) and FIFO (every
// priority equal, so ready tasks go in the order they became ready), with the gain of the first.
// A 20,000-task layered DAG of no-ops measures raw DAG throughput.
//
// FIFO is a switch of this bench, not of the product: it zeroes the priorities of the compiled
// version in the engine's per-process cache (graph.ts) before the run is created, so the instances
// are created with priority 0.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { benchDatabase, benchWorkspace, fmt } from "./support";

/** The corpus beside the checkout (`../shared`), or where BENCH_WFCOMMONS_DIR says (a git worktree's checkout sits deeper). */
const CORPUS = path.resolve(process.env.BENCH_WFCOMMONS_DIR ?? "../shared/corpora/wfcommons");
/** The mean task of the "scaled" mode (`--mean-ms`): the recorded runtimes scaled to it. */
const DEFAULT_MEAN_MS = 10;
const SYNTHETIC_TASKS = 20_000;

export interface Workflow {
  name: string;
  /** Task ids in document order, their parents, and recorded runtimes (seconds). */
  tasks: Array<{ id: string; parents: string[]; runtimeSeconds: number }>;
}

export type Order = "heft" | "fifo";
export type Mode = "no-op" | "10 ms" | "scaled";

export interface WfFigure {
  workflow: string;
  tasks: number;
  edges: number;
  mode: Mode;
  slots: number;
  order: Order;
  makespanMs: number;
  criticalPathMs: number;
  workMs: number;
  boundMs: number;
  tasksPerSecond: number;
}

/** Reads a WfFormat document: 1.5 (specification + execution) or the flat 1.4 layout. */
export function readWorkflow(file: string): Workflow {
  const doc = JSON.parse(readFileSync(file, "utf8"));
  const w = doc.workflow ?? {};
  const specTasks: Array<Record<string, unknown>> = w.specification?.tasks ?? w.tasks ?? [];
  const runtimes = new Map<string, number>();
  for (const t of w.execution?.tasks ?? []) runtimes.set(String(t.id), Number(t.runtimeInSeconds ?? 0));
  const idOf = (t: Record<string, unknown>) => String(t.id ?? t.name);
  // 1.4 names parents by task name; 1.5 by id.
  const byName = new Map(specTasks.map((t) => [String(t.name ?? t.id), idOf(t)]));
  const tasks = specTasks.map((t) => ({
    id: idOf(t),
    parents: ((t.parents as string[] | undefined) ?? []).map((p) => byName.get(p) ?? p),
    runtimeSeconds: runtimes.get(idOf(t)) ?? Number(t.runtimeInSeconds ?? t.runtime ?? 0),
  }));
  if (tasks.length === 0) throw new Error(`${file}: no tasks (is it a WfFormat document?)`);
  return { name: path.basename(file, ".json"), tasks };
}

/** Critical path and total work of a DAG (tasks in any order) with the given durations. */
export function lowerBound(tasks: Workflow["tasks"], durationMs: (index: number) => number) {
  const index = new Map(tasks.map((t, i) => [t.id, i]));
  const children: number[][] = tasks.map(() => []);
  const waiting = tasks.map((t) => t.parents.length);
  tasks.forEach((t, i) => {
    for (const p of t.parents) children[index.get(p)!]!.push(i);
  });
  // Kahn's order: each task starts when its last parent finishes.
  const start = new Float64Array(tasks.length);
  const ready = tasks.flatMap((_, i) => (waiting[i] === 0 ? [i] : []));
  let criticalPath = 0;
  let work = 0;
  while (ready.length > 0) {
    const i = ready.pop()!;
    const finish = start[i]! + durationMs(i);
    criticalPath = Math.max(criticalPath, finish);
    work += durationMs(i);
    for (const c of children[i]!) {
      start[c] = Math.max(start[c]!, finish);
      if (--waiting[c]! === 0) ready.push(c);
    }
  }
  return { criticalPath, work };
}

/** Layers of 100 no-op tasks, each depending on up to three of the layer above. */
export function syntheticWorkflow(taskCount = SYNTHETIC_TASKS, width = 100): Workflow {
  let seed = 24;
  const random = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % n;
  };
  return {
    name: `layered-${taskCount}`,
    tasks: Array.from({ length: taskCount }, (_, i) => {
      const above = (Math.floor(i / width) - 1) * width;
      const parents = above < 0 ? [] : [...new Set([0, 1, 2].map(() => `w${above + random(width)}`))];
      return { id: `w${i}`, parents, runtimeSeconds: 0 };
    }),
  };
}

function parseArgs(args: string[]) {
  const files: string[] = [];
  let orders: Order[] = ["heft", "fifo"];
  let slots = [4, 10];
  let meanMs = DEFAULT_MEAN_MS;
  let json: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--json") json = args[++i];
    else if (arg === "--mean-ms") {
      meanMs = Number(args[++i]);
      if (!(meanMs > 0)) throw new Error("--mean-ms must be a positive number of milliseconds");
    } else if (arg === "--order") {
      const value = args[++i];
      if (value !== "heft" && value !== "fifo" && value !== "both") {
        throw new Error(`--order must be heft, fifo or both, not ${value}`);
      }
      orders = value === "both" ? ["heft", "fifo"] : [value];
    } else if (arg === "--slots") {
      slots = (args[++i] ?? "").split(",").map(Number);
      if (slots.some((n) => !Number.isInteger(n) || n < 1))
        throw new Error("--slots must be whole numbers, as 4,10");
    } else files.push(arg);
  }
  return { files, orders, slots, meanMs, json };
}

export default async function wfBench(args: string[] = []) {
  const figures = await wfFigures(args);
  printWf(figures);
  const { json } = parseArgs(args);
  if (json) writeFileSync(json, JSON.stringify(figures));
}

export function printWf(figures: WfFigure[]) {
  console.table(
    figures.map((f) => ({
      workflow: f.workflow,
      tasks: String(f.tasks),
      mode: f.mode,
      slots: String(f.slots),
      order: f.order,
      "makespan (s)": fmt(f.makespanMs / 1000, 2),
      "bound (s)": f.boundMs > 0 ? fmt(f.boundMs / 1000, 2) : "—",
      "bound / makespan": f.boundMs > 0 ? fmt(f.boundMs / f.makespanMs, 2) : "—",
      "tasks/s": fmt(f.tasksPerSecond, 0),
    })),
  );
  const gains = heftGains(figures);
  if (gains.length > 0) {
    console.log("HEFT (critical path first) against FIFO, same instance, mode and slots:");
    console.table(
      gains.map((g) => ({
        workflow: g.workflow,
        mode: g.mode,
        slots: String(g.slots),
        "HEFT (s)": fmt(g.heftMs / 1000, 2),
        "FIFO (s)": fmt(g.fifoMs / 1000, 2),
        "gain (FIFO / HEFT − 1)": `${fmt((g.fifoMs / g.heftMs - 1) * 100, 1)} %`,
      })),
    );
  }
}

export function heftGains(figures: WfFigure[]) {
  const gains = [];
  for (const heft of figures.filter((f) => f.order === "heft")) {
    const fifo = figures.find(
      (f) =>
        f.order === "fifo" && f.workflow === heft.workflow && f.mode === heft.mode && f.slots === heft.slots,
    );
    if (fifo) {
      gains.push({
        workflow: heft.workflow,
        mode: heft.mode,
        slots: heft.slots,
        heftMs: heft.makespanMs,
        fifoMs: fifo.makespanMs,
      });
    }
  }
  return gains;
}

export async function wfFigures(args: string[] = []): Promise<WfFigure[]> {
  const options = parseArgs(args);
  const corpus = readdirSync(CORPUS)
    .filter((f) => f.endsWith(".json") && f !== "wfformat-schema.json")
    .sort()
    .map((f) => path.join(CORPUS, f));
  const workflows = [...corpus, ...options.files].map(readWorkflow);

  const database = await benchDatabase("wf");
  process.env.DATABASE_URL = database.url;
  const { env } = await import("../server/config");
  const { db, closeDb } = await import("../server/db/client");
  const { triggerRun } = await import("../server/engine/runs");
  const { compiledVersion } = await import("../server/engine/graph");
  const { sql } = await import("../server/engine/sql");
  const { startWorker } = await import("../worker/runner");
  const { storeDag, waitForRun } = await import("../test/support/engine");

  // One worker with more slots than any run may take (the pool keeps BATON_POOL_RESERVE of them
  // for newcomers): each run's slots are its workspace's concurrency quota.
  const maxSlots = Math.max(...options.slots);
  const runner = await startWorker({ concurrency: maxSlots + env.BATON_POOL_RESERVE });
  const figures: WfFigure[] = [];
  try {
    const scopes = new Map<number, Awaited<ReturnType<typeof benchWorkspace>>>();
    for (const slots of options.slots) {
      scopes.set(slots, await benchWorkspace(`wf${slots}`, { maxConcurrentTasks: slots }));
    }
    let dagNumber = 0;

    const replay = async (workflow: Workflow, mode: Mode, slots: number, order: Order) => {
      const scope = scopes.get(slots)!;
      const durations = durationsFor(workflow, mode, options.meanMs);
      const ids = new Map(workflow.tasks.map((t, i) => [t.id, `t${i}`]));
      const dagKey = `wf${++dagNumber}`;
      const dagId = await storeDag(scope, {
        id: dagKey,
        tasks: workflow.tasks.map((t, i) => ({
          id: ids.get(t.id)!,
          operator: mode === "no-op" ? "noop" : "test",
          config: mode === "no-op" ? {} : { durationMs: durations[i]! },
          dependsOn: t.parents.map((p) => ids.get(p)!),
          // What a user would declare from past runs: the ranks follow the real durations.
          estimatedDurationSeconds: Math.max(durations[i]!, 1) / 1000,
        })),
      });
      if (order === "fifo") {
        const { currentVersionId } = await db.dag.findUniqueOrThrow({ where: { id: dagId } });
        const compiled = await compiledVersion(sql, currentVersionId!, scope.workspace.id);
        for (const task of compiled.tasks.values()) task.priority = 0;
      }
      const run = await waitForRun((await triggerRun(scope, { dagKey })).id, 900_000);
      if (run.state !== "success") throw new Error(`${workflow.name} (${mode}, ${order}) ended ${run.state}`);
      const makespanMs = run.endedAt!.getTime() - run.queuedAt.getTime();
      const { criticalPath, work } = lowerBound(workflow.tasks, (i) => durations[i]!);
      const figure: WfFigure = {
        workflow: workflow.name,
        tasks: workflow.tasks.length,
        edges: workflow.tasks.reduce((n, t) => n + t.parents.length, 0),
        mode,
        slots,
        order,
        makespanMs,
        criticalPathMs: criticalPath,
        workMs: work,
        boundMs: Math.max(criticalPath, work / slots),
        tasksPerSecond: workflow.tasks.length / (makespanMs / 1000),
      };
      figures.push(figure);
      console.log(
        `${workflow.name} ${mode} ${slots} slots ${order}: ${fmt(makespanMs / 1000, 2)} s` +
          (figure.boundMs > 0 ? ` (bound ${fmt(figure.boundMs / 1000, 2)} s)` : ""),
      );
    };

    // Warm up: connections, prepared statements, the compiled operators.
    await replay(workflows[0]!, "no-op", options.slots[0]!, "heft");
    figures.length = 0;

    for (const workflow of workflows) {
      for (const slots of options.slots) {
        await replay(workflow, "no-op", slots, "heft");
        for (const mode of ["10 ms", "scaled"] as const) {
          for (const order of options.orders) await replay(workflow, mode, slots, order);
        }
      }
    }
    await replay(syntheticWorkflow(), "no-op", maxSlots, "heft");
  } finally {
    await runner.stop();
    await closeDb();
    await database.stop();
  }
  return figures;
}

/** Each task's duration in ms for a mode: none, 10 ms each, or runtimes scaled to `meanMs` on average. */
function durationsFor(workflow: Workflow, mode: Mode, meanMs: number): number[] {
  if (mode === "no-op") return workflow.tasks.map(() => 0);
  if (mode === "10 ms") return workflow.tasks.map(() => 10);
  const mean = workflow.tasks.reduce((s, t) => s + t.runtimeSeconds, 0) / workflow.tasks.length;
  return workflow.tasks.map((t) => Math.max(1, Math.round((t.runtimeSeconds / (mean || 1)) * meanMs)));
}
