// `npm run bench -- report [--from <dir>]`: runs the engine and wf benches (each in its own
// process: each binds the server modules to its own database) and writes their figures into
// docs/benchmarks.md, between the report markers, with SVG charts under docs/benchmarks/ (issue 24,
// point 6). `--from <dir>` reads engine.json and wf.json saved by an earlier run instead of
// measuring again (`--load "<text>"` then says what the load was). Charts are Apache ECharts
// rendered to SVG strings in Node (its server-side renderer: no DOM, no canvas, no native
// dependency).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as echarts from "echarts";
import type { EngineFigures } from "./engine";
import { fmt } from "./support";
import { heftGains, type WfFigure } from "./wf";

const DOC = "docs/benchmarks.md";
const CHARTS = "docs/benchmarks";
const START = "<!-- report:start (written by `npm run bench -- report`; edits here are overwritten) -->";
const END = "<!-- report:end -->";

export default async function report(args: string[] = []) {
  const fromIndex = args.indexOf("--from");
  const dir = fromIndex >= 0 ? args[fromIndex + 1]! : mkdtempSync(path.join(os.tmpdir(), "baton-report-"));
  const loadBefore = os.loadavg();
  if (fromIndex < 0) {
    await runBench("engine", ["--json", path.join(dir, "engine.json")]);
    await runBench("wf", ["--json", path.join(dir, "wf.json")]);
  }
  const engine: EngineFigures = JSON.parse(readFileSync(path.join(dir, "engine.json"), "utf8"));
  const wf: WfFigure[] = JSON.parse(readFileSync(path.join(dir, "wf.json"), "utf8"));
  const context = {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    commit: execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim(),
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`,
    load:
      fromIndex < 0
        ? `${loadAverage(loadBefore)} before, ${loadAverage(os.loadavg())} after`
        : args.includes("--load")
          ? args[args.indexOf("--load") + 1]!
          : "not recorded",
  };
  mkdirSync(CHARTS, { recursive: true });
  const charts = {
    "hop-latency.svg": hopChart(engine),
    "chain.svg": barChart(
      "40 × 10 ms chain (s, lower is better)",
      systems(engine, (f) => f.chain40 / 1000),
    ),
    "fan-out.svg": barChart(
      "10,000-task fan-out (tasks/s, higher is better)",
      systems(engine, (f) => f.throughput),
    ),
    "wf-makespan.svg": makespanChart(wf),
    "heft-fifo.svg": heftChart(wf),
  };
  for (const [name, svg] of Object.entries(charts)) writeFileSync(path.join(CHARTS, name), svg);
  const section = [START, markdown(engine, wf, context), END].join("\n");
  const doc = readFileSync(DOC, "utf8");
  const at = doc.indexOf(START);
  const next =
    at >= 0
      ? doc.slice(0, at) + section + doc.slice(doc.indexOf(END, at) + END.length)
      : doc.replace("## Figures so far", `${section}\n\n## Figures so far`);
  writeFileSync(DOC, next);
  // The project's formatter aligns the tables as `npm run lint` expects them.
  execFileSync(path.resolve("node_modules/.bin/biome"), ["format", "--write", DOC], { stdio: "ignore" });
  console.log(`wrote ${DOC} and ${Object.keys(charts).length} charts under ${CHARTS}/ (figures in ${dir})`);
}

const loadAverage = (l: number[]) => l.map((x) => x.toFixed(1)).join(" / ");

/** Runs `npm run bench -- <name> <args>` in a child process, its output passed through. */
function runBench(name: string, args: string[]) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, "bench/main.ts", name, ...args], {
      stdio: "inherit",
    });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`bench ${name} exited ${code}`))));
  });
}

type Queue = EngineFigures["raw"];
function systems(engine: EngineFigures, pick: (f: Queue) => number): Array<[string, number]> {
  const rows: Array<[string, number]> = [
    ["Baton", pick(engine.baton)],
    ["raw graphile-worker", pick(engine.raw)],
  ];
  if (engine.pgBoss) rows.push(["pg-boss", pick(engine.pgBoss)]);
  if (engine.bullmq) rows.push(["BullMQ (Redis)", pick(engine.bullmq)]);
  return rows;
}

/** The chart as an SVG document, titled (for screen readers) with its title's text. */
function render(
  option: echarts.EChartsOption & { title: { text: string } },
  width = 760,
  height = 420,
): string {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
  chart.setOption({ animation: false, backgroundColor: "#ffffff", ...option });
  const svg = chart.renderToSVGString();
  chart.dispose();
  const title = option.title.text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  return `${svg.replace(/^<svg[^>]*>/, (open) => `${open}\n<title>${title}</title>`)}\n`;
}

/** Each system's hop latencies as a cumulative distribution on a log scale. */
function hopChart(engine: EngineFigures): string {
  const cdf = (hops: number[]) => {
    const sorted = [...hops].filter((h) => h > 0).sort((a, b) => a - b);
    const step = Math.max(1, Math.floor(sorted.length / 200));
    const points: Array<[number, number]> = [];
    for (let i = 0; i < sorted.length; i += step) points.push([sorted[i]!, (i + 1) / sorted.length]);
    points.push([sorted[sorted.length - 1]!, 1]);
    return points;
  };
  const series = systems(engine, () => 0).map(([name]) => ({
    name,
    type: "line" as const,
    showSymbol: false,
    data: cdf(
      name === "Baton"
        ? engine.baton.hops
        : name === "raw graphile-worker"
          ? engine.raw.hops
          : name === "pg-boss"
            ? engine.pgBoss!.hops
            : engine.bullmq!.hops,
    ),
  }));
  return render({
    title: { text: "Hop latency, 1,000-task chain (cumulative share of hops)", left: "center" },
    legend: { bottom: 0 },
    grid: { left: 60, right: 30, top: 50, bottom: 70 },
    xAxis: { type: "log", name: "ms", nameLocation: "middle", nameGap: 28, min: 0.05 },
    yAxis: { type: "value", min: 0, max: 1 },
    series,
  });
}

function barChart(title: string, rows: Array<[string, number]>): string {
  return render({
    title: { text: title, left: "center" },
    grid: { left: 150, right: 60, top: 50, bottom: 30 },
    xAxis: { type: "value" },
    yAxis: { type: "category", data: rows.map((r) => r[0]), inverse: true },
    series: [
      {
        type: "bar",
        data: rows.map((r) => Number(r[1].toPrecision(3))),
        label: { show: true, position: "right" },
      },
    ],
  });
}

const shortName = (workflow: string) => workflow.replace(/-chameleon.*$/, "");
const timed = (wf: WfFigure[]) => wf.filter((f) => f.boundMs > 0 && f.order === "heft");

/** Ratios on a linear axis (a log axis would draw bars under 1 leftwards), with a reference line. */
function ratioChart(
  title: string,
  labels: string[],
  values: number[],
  reference: number,
  name: string,
): string {
  return render(
    {
      title: { text: title, left: "center", textStyle: { fontSize: 15 } },
      grid: { left: 190, right: 50, top: 50, bottom: 30 },
      // The reference line stays in view however far the bars are from it.
      xAxis: { type: "value", min: 0, max: Math.ceil(Math.max(reference, ...values) * 11) / 10 },
      yAxis: { type: "category", data: labels, inverse: true },
      series: [
        {
          type: "bar",
          data: values.map(round),
          label: { show: true, position: "right" },
          markLine: {
            symbol: "none",
            label: { formatter: name, position: "end" },
            data: [{ xAxis: reference }],
          },
        },
      ],
    },
    760,
    100 + labels.length * 24,
  );
}

function makespanChart(wf: WfFigure[]): string {
  const rows = timed(wf);
  return ratioChart(
    "WfCommons replays: lower bound / makespan (1 = at the bound), critical path first",
    rows.map((f) => `${shortName(f.workflow)} ${f.mode} ×${f.slots}`),
    rows.map((f) => f.boundMs / f.makespanMs),
    0.8,
    "target 0.8",
  );
}

function heftChart(wf: WfFigure[]): string {
  const gains = heftGains(wf);
  return ratioChart(
    "FIFO makespan / HEFT makespan (above 1: critical path first was faster)",
    gains.map((g) => `${shortName(g.workflow)} ${g.mode} ×${g.slots}`),
    gains.map((g) => g.fifoMs / g.heftMs),
    1,
    "equal",
  );
}

const round = (n: number) => Number(n.toPrecision(3));

function markdown(
  engine: EngineFigures,
  wf: WfFigure[],
  context: { date: string; commit: string; machine: string; load: string },
): string {
  const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const peer = (f: Queue | undefined, pick: (q: Queue) => number, digits: number) =>
    f ? fmt(pick(f), digits) : "skipped";
  const measure = (name: string, pick: (q: Queue) => number, digits: number, target: string) =>
    row([
      name,
      fmt(pick(engine.baton), digits),
      peer(engine.raw, pick, digits),
      peer(engine.pgBoss, pick, digits),
      peer(engine.bullmq, pick, digits),
      fmt(pick(engine.baton) / pick(engine.raw), 2),
      engine.bullmq ? fmt(pick(engine.baton) / pick(engine.bullmq), 2) : "—",
      target,
    ]);
  const lines = [
    "## Latest report",
    "",
    `Written by \`npm run bench -- report\` on ${context.date}, commit \`${context.commit}\`, on ${context.machine}.`,
    `Load average (1 / 5 / 15 min): ${context.load}. The machine is shared; figures are inflated by load,`,
    "the ratios measured side by side in the same run are the meaningful part.",
    "",
    "### Engine against peer queues (`npm run bench -- engine`)",
    "",
    row([
      "measure",
      "Baton",
      "raw graphile-worker",
      "pg-boss",
      "BullMQ",
      "Baton / raw",
      "Baton / BullMQ",
      "target",
    ]),
    row(Array(8).fill("---")),
    measure("hop p50 (ms)", (f) => f.hop.p50, 2, "≤ 1.0 ms and below raw"),
    measure("hop p95 (ms)", (f) => f.hop.p95, 2, ""),
    measure("hop p99 (ms)", (f) => f.hop.p99, 2, ""),
    measure("40 × 10 ms chain (s)", (f) => f.chain40 / 1000, 2, "< 0.45 s, under BullMQ"),
    measure("10,000-task fan-out (tasks/s)", (f) => f.throughput, 0, "≥ 1.0 × raw"),
    "",
    `Fairness, Baton only: quiet queue-to-start p50 ${fmt(engine.baton.fair.quietP50)} ms, p99 ${fmt(engine.baton.fair.quietP99)} ms beside a 50,000-task backlog; Jain's index ${fmt(engine.baton.fair.jain, 3)} over 5 backlogged workspaces.`,
    "",
    "![Hop latency](benchmarks/hop-latency.svg)",
    "![40 × 10 ms chain](benchmarks/chain.svg)",
    "![Fan-out](benchmarks/fan-out.svg)",
    "",
    "### WfCommons replays (`npm run bench -- wf`)",
    "",
    "Real workflow executions from the WfCommons project (WfInstances, LGPL-3.0; see",
    "`../shared/corpora/wfcommons/SOURCES.txt`), replayed as Baton DAGs. Makespan is the run's queued → ended;",
    "the bound is max(critical path, work / slots). `scaled`: recorded runtimes scaled to a 10 ms mean.",
    "",
    row([
      "workflow",
      "tasks",
      "mode",
      "slots",
      "order",
      "makespan (s)",
      "bound (s)",
      "bound / makespan",
      "tasks/s",
    ]),
    row(Array(9).fill("---")),
    ...wf.map((f) =>
      row([
        shortName(f.workflow),
        String(f.tasks),
        f.mode,
        String(f.slots),
        f.order.toUpperCase(),
        fmt(f.makespanMs / 1000, 2),
        f.boundMs > 0 ? fmt(f.boundMs / 1000, 2) : "—",
        f.boundMs > 0 ? fmt(f.boundMs / f.makespanMs, 2) : "—",
        fmt(f.tasksPerSecond, 0),
      ]),
    ),
    "",
    "Targets: bound / makespan ≥ 0.8 for 10 ms tasks at 10 slots; ≥ 1,500 tasks/s for the 20,000-task no-op DAG.",
    "",
    "![Lower bound / makespan per replay](benchmarks/wf-makespan.svg)",
    "",
    "HEFT (critical path first, the engine's order) against FIFO (a bench switch: every priority equal):",
    "",
    row(["workflow", "mode", "slots", "HEFT (s)", "FIFO (s)", "FIFO / HEFT − 1"]),
    row(Array(6).fill("---")),
    ...heftGains(wf).map((g) =>
      row([
        shortName(g.workflow),
        g.mode,
        String(g.slots),
        fmt(g.heftMs / 1000, 2),
        fmt(g.fifoMs / 1000, 2),
        `${fmt((g.fifoMs / g.heftMs - 1) * 100, 1)} %`,
      ]),
    ),
    "",
    "![FIFO makespan / HEFT makespan per replay](benchmarks/heft-fifo.svg)",
  ];
  return lines.join("\n");
}
