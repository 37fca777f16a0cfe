"use client";
// Where each task sits on a graph, left to right. Two layouts:
//  - `levelLayout`: instant (O(V + E)): a task's column is its depth, rows keep parents' order.
//    Shown at once, so a large DAG is interactive before elk has finished;
//  - elkjs's layered layout, computed in a Web Worker and applied when it arrives.
// Layout runs only when the shape of the graph (task ids and dependencies) changes, never on
// edits that leave the shape alone (typing in a form).
import type { ElkNode } from "elkjs/lib/elk.bundled.js";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

export const NODE_WIDTH = 208;
export const NODE_HEIGHT = 60;
const COLUMN_GAP = 72;
const ROW_GAP = 20;

export interface XY {
  x: number;
  y: number;
}

/** The part of a graph layout depends on; `key` changes exactly when the shape does. */
export interface GraphShape {
  ids: string[];
  /** [upstream, downstream] */
  edges: Array<[string, string]>;
  key: string;
}

/** The shape of a list of tasks, ignoring dependencies on tasks that do not exist. */
export function graphShape(tasks: ReadonlyArray<{ id: string; dependsOn: readonly string[] }>): GraphShape {
  const ids = tasks.map((task) => task.id);
  const known = new Set(ids);
  const edges: Array<[string, string]> = [];
  for (const task of tasks) {
    for (const upstream of task.dependsOn) if (known.has(upstream)) edges.push([upstream, task.id]);
  }
  return { ids, edges, key: `${ids.join(",")}|${edges.map((e) => `${e[0]}>${e[1]}`).join(",")}` };
}

/** `graphShape` of the tasks, the same object for as long as the shape does not change. */
export function useGraphShape(
  tasks: ReadonlyArray<{ id: string; dependsOn: readonly string[] }>,
): GraphShape {
  const last = useRef<GraphShape | null>(null);
  return useMemo(() => {
    const shape = graphShape(tasks);
    if (last.current?.key === shape.key) return last.current;
    last.current = shape;
    return shape;
  }, [tasks]);
}

/** Columns by depth (longest path from a root); tasks caught in a cycle go after the rest. */
export function levelLayout(shape: GraphShape): Map<string, XY> {
  const upstream = new Map<string, string[]>(shape.ids.map((id) => [id, []]));
  const downstream = new Map<string, string[]>(shape.ids.map((id) => [id, []]));
  const waiting = new Map<string, number>(shape.ids.map((id) => [id, 0]));
  for (const [from, to] of shape.edges) {
    upstream.get(to)!.push(from);
    downstream.get(from)!.push(to);
    waiting.set(to, waiting.get(to)! + 1);
  }
  const depth = new Map<string, number>();
  let frontier = shape.ids.filter((id) => waiting.get(id) === 0);
  const columns: string[][] = [];
  for (let level = 0; frontier.length > 0; level++) {
    columns.push(frontier);
    const next: string[] = [];
    for (const id of frontier) {
      depth.set(id, level);
      for (const child of downstream.get(id)!) {
        const left = waiting.get(child)! - 1;
        waiting.set(child, left);
        if (left === 0) next.push(child);
      }
    }
    frontier = next;
  }
  const stuck = shape.ids.filter((id) => !depth.has(id));
  if (stuck.length > 0) columns.push(stuck);

  // Order each column by the mean row of its parents (one barycentre pass), to limit crossings.
  const row = new Map<string, number>();
  const positions = new Map<string, XY>();
  columns.forEach((column, level) => {
    const keyed = column.map((id, i) => {
      const rows = upstream.get(id)!.flatMap((parent) => (row.has(parent) ? [row.get(parent)!] : []));
      return { id, key: rows.length > 0 ? rows.reduce((a, b) => a + b, 0) / rows.length : i };
    });
    keyed.sort((a, b) => a.key - b.key);
    keyed.forEach(({ id }, i) => {
      row.set(id, i);
      positions.set(id, { x: level * (NODE_WIDTH + COLUMN_GAP), y: i * (NODE_HEIGHT + ROW_GAP) });
    });
  });
  return positions;
}

function elkGraph(shape: GraphShape): ElkNode {
  const large = shape.ids.length > 200;
  return {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.layered.spacing.nodeNodeBetweenLayers": String(COLUMN_GAP),
      "elk.spacing.nodeNode": String(ROW_GAP),
      "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
      // React Flow draws the edges itself; elk's routing only costs time.
      "elk.edgeRouting": "POLYLINE",
      ...(large ? { "elk.layered.thoroughness": "1" } : {}),
    },
    children: shape.ids.map((id) => ({ id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: shape.edges.map(([from, to], i) => ({ id: `e${i}`, sources: [from], targets: [to] })),
  };
}

// One worker for the page, created on first use; requests are answered in order.
let worker: Worker | undefined;
let nextRequest = 0;
const pending = new Map<number, (positions: Map<string, XY> | undefined) => void>();

function elkWorker(): Worker | undefined {
  if (worker || typeof Worker === "undefined") return worker;
  try {
    worker = new Worker(new URL("./elk.worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (
      event: MessageEvent<{ id: number; positions?: Array<[string, number, number]>; error?: string }>,
    ) => {
      const resolve = pending.get(event.data.id);
      pending.delete(event.data.id);
      const positions = event.data.positions?.map(([id, x, y]) => [id, { x, y }] as const);
      resolve?.(positions ? new Map(positions) : undefined);
    };
    // A worker that cannot load leaves the level layout in place rather than hanging requests.
    worker.onerror = () => {
      for (const resolve of pending.values()) resolve(undefined);
      pending.clear();
    };
  } catch {
    worker = undefined;
  }
  return worker;
}

/** elk's layered layout of the shape, off the main thread; undefined if it could not be made. */
export function elkLayout(shape: GraphShape): Promise<Map<string, XY> | undefined> {
  const target = elkWorker();
  if (!target) return Promise.resolve(undefined);
  const id = nextRequest++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    target.postMessage({ id, graph: elkGraph(shape) });
  });
}

/**
 * Positions for a graph: the level layout at once, elk's when it arrives (after the shape has
 * been still for `delayMs`). `move` pins a node where the user put it until the next layout;
 * `relayout` asks for a fresh one. Nodes that elk has not placed yet use the level layout.
 */
export function useGraphLayout(shape: GraphShape, delayMs = 150) {
  const levels = useMemo(() => levelLayout(shape), [shape]);
  const [elk, setElk] = useState<{ key: string; positions: Map<string, XY> } | null>(null);
  const [moved, setMoved] = useState<Map<string, XY>>(() => new Map());
  const [generation, setGeneration] = useState(0);
  const shapeRef = useRef(shape);
  shapeRef.current = shape;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the key stands for the shape; generation forces a run
  useEffect(() => {
    let cancelled = false;
    const timer = setTimeout(async () => {
      const positions = await elkLayout(shapeRef.current);
      if (cancelled || !positions) return;
      setElk({ key: shapeRef.current.key, positions });
      setMoved(new Map());
    }, delayMs);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [shape.key, generation, delayMs]);

  const positions = useMemo(() => {
    if (!elk && moved.size === 0) return levels;
    const merged = new Map<string, XY>();
    for (const id of shape.ids) merged.set(id, moved.get(id) ?? elk?.positions.get(id) ?? levels.get(id)!);
    return merged;
  }, [shape, levels, elk, moved]);

  const move = useCallback((id: string, position: XY) => {
    setMoved((current) => new Map(current).set(id, position));
  }, []);
  const relayout = useCallback(() => setGeneration((g) => g + 1), []);

  /** `arranged` changes each time an elk layout is applied (to re-frame the view). */
  return { positions, laidOut: elk?.key === shape.key, arranged: elk, move, relayout };
}
