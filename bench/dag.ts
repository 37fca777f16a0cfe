// `npm run bench -- dag`: validate + analyze of a 10,000-task layered DAG. Target: under 50 ms.
// Beside it, the same DAG as JSON text and as YAML text, parsed and validated in turns in the same
// run. Target: YAML within 2× of JSON.

import { parse as parseYamlLibrary } from "yaml";
import { analyzeDag } from "../server/dags/analyze";
import { parseAndValidateDag, toJson, toYaml } from "../server/dags/serialize";
import { validateDag } from "../server/dags/validate";

const TASKS = 10_000;
const WIDTH = 100;
const TARGET_MS = 50;
const YAML_TARGET_RATIO = 2;

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

  textFormats(validateDag(document));
}

/**
 * Parse + validate of the DAG's JSON text and of its YAML text (and, for comparison, of the YAML
 * read by the `yaml` library alone, as before the fast path), alternating, medians side by side.
 * CPU time beside wall time: on a shared machine the difference is time spent waiting for a core.
 */
function textFormats(validated: ReturnType<typeof validateDag>): void {
  if (!validated.ok) throw new Error("bench DAG is invalid");
  const json = toJson(validated.dag);
  const yaml = toYaml(validated.dag);
  const ways = {
    json: () => parseAndValidateDag(json, { format: "json" }),
    yaml: () => parseAndValidateDag(yaml, { format: "yaml" }),
    "yaml library": () => validateDag(parseYamlLibrary(yaml, { uniqueKeys: true })),
  };
  const names = Object.keys(ways);
  const wall = Object.fromEntries(names.map((name) => [name, [] as number[]]));
  const cpu = Object.fromEntries(names.map((name) => [name, [] as number[]]));
  for (let i = 0; i < 13; i++) {
    for (const [name, way] of Object.entries(ways)) {
      if (name === "yaml library" && i % 3 !== 0) continue; // slow; fewer rounds
      const startedCpu = process.cpuUsage();
      const started = performance.now();
      if (!way().ok) throw new Error(`bench ${name} text is invalid`);
      const elapsed = performance.now() - started;
      const used = process.cpuUsage(startedCpu);
      if (i < 3) continue; // the first rounds warm up the JIT
      wall[name]!.push(elapsed);
      cpu[name]!.push((used.user + used.system) / 1000);
    }
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const figure = (name: string) =>
    `${name} ${median(wall[name]!).toFixed(1)} ms (CPU ${median(cpu[name]!).toFixed(1)} ms)`;
  const ratio = median(cpu.yaml!) / median(cpu.json!);
  console.log(
    `parse + validate from text (JSON ${(json.length / 1e6).toFixed(1)} MB, YAML ${(yaml.length / 1e6).toFixed(1)} MB): ` +
      `${figure("json")}, ${figure("yaml")}, before the fast path ${figure("yaml library")}`,
  );
  console.log(
    `YAML/JSON (CPU) ${ratio.toFixed(2)}×, target ≤ ${YAML_TARGET_RATIO}×: ${ratio <= YAML_TARGET_RATIO ? "OK" : "SLOW"}`,
  );
}
