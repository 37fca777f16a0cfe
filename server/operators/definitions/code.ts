import { z } from "zod";
import type { RunReach } from "../../tenancy/folders";
import { cpuMsLimit, defineOperator, sandboxedCodeShape } from "../types";

const MiB = 1024 * 1024;

export const codeConfigSchema = z.strictObject({
  language: z.enum(["javascript", "typescript"]).default("javascript"),
  /** The body of an async function; what it returns is the output (docs/sandbox.md). */
  source: z.string().min(1),
  ...sandboxedCodeShape,
  limits: z
    .strictObject({
      cpuMs: cpuMsLimit,
      memoryMiB: z.int().min(1).max(128).default(64),
    })
    .prefault({}),
});

export type CodeConfig = z.output<typeof codeConfigSchema>;

// `inputs` is not one of the sandbox's globals: the code runs as the body of an inner function
// whose parameter it is. Everything goes on the user's first line, so line numbers stay theirs;
// the extra block lets the code declare its own `inputs` with let or const.
const INPUTS_KEY = "$inputs"; // variable keys cannot start with $
const HEAD = "return (async (inputs) => {{";
const TAIL = `\n}})(((v) => { const x = v["${INPUTS_KEY}"]; delete v["${INPUTS_KEY}"]; return x; })(vars));`;

/** Error positions on line 1 as the user counts them, without the head. */
const userPositions = (message: string) =>
  message.replace(/at line 1, column (\d+)/, (all, column: string) =>
    Number(column) > HEAD.length ? `at line 1, column ${Number(column) - HEAD.length}` : all,
  );

/**
 * Runs code in the sandbox for a task: the run's params, the direct upstream outputs and the
 * variables the run reaches (the root's and its DAG folder's) as globals, console to the task log, and `fetch` (when given) through the
 * guarded client. Failures become task errors: the code's own exceptions may be retried, limits
 * and syntax errors fail without retry.
 */
export async function runTaskCode(
  context: RunReach & {
    params: Record<string, unknown>;
    upstream: Record<string, unknown>;
    item: unknown;
    signal: AbortSignal;
    log: { info(line: string): void; warn(line: string): void; error(line: string): void };
  },
  code: Pick<CodeConfig, "source" | "language" | "inputs" | "fetch" | "limits">,
): Promise<unknown> {
  const [{ runCode }, sandboxTask] = await Promise.all([
    import("../../sandbox/run-code"),
    import("../sandbox-task"),
  ]);
  const { signal, log } = context;
  const vars = await sandboxTask.workspaceVariables(context);
  vars[INPUTS_KEY] = code.inputs;
  const result = await runCode({
    source: `${HEAD}${code.source}${TAIL}`,
    language: code.language,
    inputs: { params: context.params, upstream: context.upstream, vars, item: context.item },
    limits: { cpuMs: code.limits.cpuMs, memoryBytes: code.limits.memoryMiB * MiB },
    onLog: (level, line) => log[level](line),
    signal,
    fetch: code.fetch ? sandboxTask.sandboxFetch(signal, log) : undefined,
  });
  if (result.ok) return result.output;
  return sandboxTask.failWith(result.error, signal, log, { message: userPositions(result.error.message) });
}

export const codeOperator = defineOperator({
  name: "code",
  title: "Code",
  description: "Runs a snippet of JavaScript or TypeScript in a sandbox.",
  icon: "file-code",
  docs:
    "Runs `source`, the body of an async function, in a sandbox with memory and CPU limits and no " +
    "network, file system or process access; what it returns becomes the task output. It reads the " +
    "globals `params` (the run's params), `upstream` (outputs of the tasks it depends on directly, by " +
    "task id), `vars` (workspace variables), `item` (in a mapped task) and `inputs` (this config's " +
    "`inputs`, templated, e.g. a secret). `source` is not templated: values reach the code as data, " +
    "never spliced into it. `console.log` writes to the task log; `skip(reason)` ends the task as " +
    "skipped. With `fetch: true` the code may " +
    "call `fetch`, through the same guard as HTTP tasks. Suited to glue: reshaping JSON, small computations.",
  configSchema: codeConfigSchema,
  templatedFields: ["inputs"],
  defaults: {
    language: "javascript",
    source:
      "// Globals: params, upstream (outputs by task id), vars, item, inputs.\n" +
      'console.log("upstream tasks:", Object.keys(upstream));\n' +
      "return { params, upstream };",
  },
  needsUpstream: true,
  async execute({ config, signal, log, workspaceId, run, item, upstream }) {
    const started = performance.now();
    const output = await runTaskCode(
      { workspaceId, runId: run.id, params: run.params, upstream: upstream ?? {}, item, signal, log },
      config,
    );
    log.info(`the code returned in ${Math.round(performance.now() - started)} ms`);
    return { output };
  },
});
