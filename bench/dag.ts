// `npm run bench -- dag`: validate + analyze of a 10,000-task layered DAG. Target: under 50 ms.
import { analyzeDag } from "../server/dags/analyze";
import { validateDag } from "../server/dags/validate";

const TASKS = 10_000;
const WIDTH = 100;
const TARGET_MS = 50;

/**
 * Layers of WIDTH tasks; each task depends on up to three tasks of the layer above, and its config
 * reads the output of a direct dependency and of one two layers up, so the upstream check of
 * template references does real work.
 */
export function layeredDag(tasks = TASKS, width = WIDTH) {
  const id = (i: number) => `t${i}`;
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % n;
  };
  const dependencies: number[][] = [];
  return {
    id: "bench",
    schedule: { type: "cron", cron: "*/15 * * * *", timezone: "Europe/Paris" },
    params: { region: { type: "string", default: "eu" } },
    defaults: { retries: 2 },
    tasks: Array.from({ length: tasks }, (_, i) => {
      const layer = Math.floor(i / width);
      const above = (layer - 1) * width;
      const deps = layer === 0 ? [] : [...new Set([0, 1, 2].map(() => above + random(width)))];
      dependencies.push(deps);
      if (layer === 0) {
        return { id: id(i), operator: "http", config: { url: "https://example.com/{{ params.region }}" } };
      }
      const parent = deps[0]!;
      const grandparent = dependencies[parent]![0];
      const output = `{{ tasks.${id(parent)}.output.value }} ${grandparent === undefined ? "" : `{{ tasks.${id(grandparent)}.output }}`}`;
      return {
        id: id(i),
        operator: i % 2 === 0 ? "test" : "noop",
        dependsOn: deps.map(id),
        ...(i % 2 === 0 ? { config: { output } } : {}),
        estimatedDurationSeconds: 1 + random(60),
      };
    }),
  };
}

export default async function run(): Promise<void> {
  const document = layeredDag();
  const once = () => {
    const result = validateDag(document);
    if (!result.ok) throw new Error(`bench DAG is invalid: ${JSON.stringify(result.problems.slice(0, 3))}`);
    return analyzeDag(result.dag);
  };

  for (let i = 0; i < 5; i++) once(); // warm up the JIT
  const wall: number[] = [];
  const cpu: number[] = [];
  let analysis = once();
  for (let i = 0; i < 15; i++) {
    const startedCpu = process.cpuUsage();
    const started = performance.now();
    analysis = once();
    wall.push(performance.now() - started);
    const used = process.cpuUsage(startedCpu);
    cpu.push((used.user + used.system) / 1000);
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const wallMs = median(wall);

  console.log(`tasks ${TASKS}, levels ${analysis.levels.length}, max width ${analysis.maxWidth}`);
  console.log(
    `critical path ${analysis.criticalPath.length} tasks, ${(analysis.criticalPathMs / 1000).toFixed(0)} s`,
  );
  // CPU time (this process, GC threads included) next to wall time: on a shared machine the
  // difference is time spent waiting for a core.
  console.log(
    `validate + analyze: median ${wallMs.toFixed(1)} ms (min ${wall[0]!.toFixed(1)}, max ${wall.at(-1)!.toFixed(1)}), ` +
      `CPU median ${median(cpu).toFixed(1)} ms; target < ${TARGET_MS} ms: ${wallMs < TARGET_MS ? "OK" : "SLOW"}`,
  );
}
