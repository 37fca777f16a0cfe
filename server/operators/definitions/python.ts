import { z } from "zod";
import { NonRetryableError } from "../execution";
import { cpuMsLimit, defineOperator, sandboxedCodeShape } from "../types";

const MiB = 1024 * 1024;

/** Exceptions that mean the sandbox refused something (a module, a function, code generation). */
const REFUSED =
  /^(ModuleNotFoundError|ImportError|SystemExit|PermissionError|FileNotFoundError)\b|^The Python sandbox crashed|not available in the sandbox|Code generation from strings disallowed|can't start new thread/;

export const pythonConfigSchema = z.strictObject({
  /**
   * A Python module. Its output is what `main(...)` returns when it defines `main` (called with
   * those of `params`, `upstream`, `vars`, `item`, `inputs` it names as parameters), else its
   * global `result` (docs/sandbox.md).
   */
  source: z.string().min(1),
  ...sandboxedCodeShape,
  limits: z
    .strictObject({
      cpuMs: cpuMsLimit,
      /** Heap beyond the interpreter's own; at most BATON_PYTHON_MEMORY_MIB (128 by default). */
      memoryMiB: z.int().min(1).max(2048).default(64),
      /** Python's recursion limit. */
      recursionLimit: z.int().min(50).max(5000).default(1000),
    })
    .prefault({}),
});

export type PythonConfig = z.output<typeof pythonConfigSchema>;

export const pythonOperator = defineOperator({
  name: "python",
  title: "Python",
  description: "Runs Python (3.14, standard library) in a sandbox.",
  icon: "terminal",
  docs:
    "Runs `source`, a Python module, in a sandbox (CPython compiled to WebAssembly, a fresh " +
    "interpreter per task) with memory, CPU and recursion limits and no network, file system or " +
    "process access. It reads the globals `params`, `upstream` (outputs of the tasks it depends on " +
    "directly, by task id), `vars`, `item` and `inputs` (this config's `inputs`, templated) as dicts, " +
    "lists, str, int, float, bool and None. Define `main` (its parameters may be any of those five " +
    "names) and return the output, or set `result`; it must be JSON; `skip(reason)` ends the task as " +
    "skipped instead. `print` and `logging` write to " +
    "the task log. With `fetch: true`, `fetch(url, method=…, headers=…, json=…)` sends a request " +
    "through the same guard as HTTP tasks. The standard library only: numpy, pandas and other " +
    "packages are not available.",
  configSchema: pythonConfigSchema,
  templatedFields: ["inputs"],
  defaults: {
    source:
      "# Globals: params, upstream (outputs by task id), vars, item, inputs.\n" +
      "def main(params, upstream):\n" +
      '    print("upstream tasks:", list(upstream))\n' +
      '    return {"params": params, "upstream": upstream}\n',
  },
  needsUpstream: true,
  async execute({ config, signal, log, workspaceId, run, item, upstream }) {
    const [{ runPython }, sandboxTask, { env }] = await Promise.all([
      import("../../sandbox/python/run-python"),
      import("../sandbox-task"),
      import("../../config"),
    ]);
    if (config.limits.memoryMiB > env.BATON_PYTHON_MEMORY_MIB) {
      throw new NonRetryableError(
        `config.limits.memoryMiB: must be at most ${env.BATON_PYTHON_MEMORY_MIB} on this installation (BATON_PYTHON_MEMORY_MIB)`,
      );
    }
    const started = performance.now();
    const result = await runPython({
      source: config.source,
      inputs: {
        params: run.params,
        upstream: upstream ?? {},
        vars: await sandboxTask.workspaceVariables({ workspaceId, runId: run.id }),
        item,
        inputs: config.inputs,
      },
      limits: {
        cpuMs: config.limits.cpuMs,
        memoryBytes: config.limits.memoryMiB * MiB,
        recursionLimit: config.limits.recursionLimit,
      },
      onLog: (level, line) => log[level](line),
      signal,
      fetch: config.fetch ? sandboxTask.sandboxFetch(signal, log) : undefined,
    });
    // What the sandbox refuses would only be refused again: no retry.
    if (!result.ok)
      return sandboxTask.failWith(result.error, signal, log, { repeats: REFUSED.test(result.error.message) });
    log.info(`the code returned in ${Math.round(performance.now() - started)} ms`);
    return { output: result.output };
  },
});
