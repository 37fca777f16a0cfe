// Operators that run only on agents (server/agents): a process on the workspace's own machine.
// The agent (server/cli/agent) runs them; shared workers refuse them (server/engine/execute.ts).
import { z } from "zod";
import { DEFAULT_SKIP_EXIT_CODES } from "../execution";
import { defineOperator } from "../types";

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "Must be an environment variable name (letters, digits, _)");

/** What shell and python_script tasks share: the process's environment, folder, exit codes and output. */
const processShape = {
  /** Added to the agent's own environment; secrets templated here reach the process and are masked in the log. */
  env: z.record(envName, z.string().max(100_000)).default({}),
  /** The working directory on the agent's machine (the agent's own unless set). */
  cwd: z.string().min(1).max(4096).optional(),
  /** Exit codes that skip the task instead of failing it (Airflow's skip_on_exit_code). */
  skipOnExitCode: z
    .array(z.int().min(1).max(255))
    .max(20)
    .default([...DEFAULT_SKIP_EXIT_CODES]),
  /**
   * `last_line`: the task's output is the last line of stdout, as JSON when it parses, else as
   * text; `none`: null.
   */
  output: z.enum(["last_line", "none"]).default("last_line"),
};

export const shellConfigSchema = z.strictObject({
  /** Run by `/bin/sh -c` in a process group of its own. */
  command: z.string().min(1, "Must not be empty").max(100_000),
  ...processShape,
});

export const shellOperator = defineOperator({
  name: "shell",
  title: "Shell",
  description: "Runs a command on an agent (the workspace's own machine).",
  icon: "terminal",
  docs:
    "Runs `command` with /bin/sh on one of the agents of the task's agent pool (`pool: <agent pool>`); " +
    "shared workers never run it. stdout and stderr stream to the task log. Exit code 0 succeeds, " +
    "a code in skipOnExitCode (99 by default) skips, anything else fails (and retries). The output is " +
    "the last line of stdout, parsed as JSON when it is JSON. `env` adds environment variables " +
    "(templated, so `{{ secrets.x }}` reaches the process and is masked in the log). Cancel and " +
    "timeouts kill the whole process group.",
  configSchema: shellConfigSchema,
  templatedFields: ["command", "env", "cwd"],
  defaults: { command: "echo hello" },
  runsOn: "agent",
});

export const pythonScriptConfigSchema = z.strictObject({
  /** The Python source, run by the agent machine's own interpreter (its packages are the agent's). */
  script: z.string().min(1, "Must not be empty").max(100_000),
  /** The interpreter to run (a name on the agent's PATH or a path). */
  python: z.string().min(1).max(4096).default("python3"),
  ...processShape,
});

export const pythonScriptOperator = defineOperator({
  name: "python_script",
  title: "Python script",
  description: "Runs a Python script with the agent machine's own interpreter and packages.",
  icon: "file-code",
  docs:
    "Runs `script` with the agent's Python (`python`, python3 by default) on one of the agents of " +
    "the task's agent pool. Its inputs arrive as JSON on stdin: `params`, `upstream` (the outputs " +
    "of its direct upstream tasks), `item` (a mapped task's) and `run` (id, logical_date). Exit " +
    "codes, environment, output and logs work as for shell tasks.",
  configSchema: pythonScriptConfigSchema,
  templatedFields: ["script", "env", "cwd"],
  defaults: { script: "import json, sys\ninputs = json.load(sys.stdin)\nprint(json.dumps({'ok': True}))" },
  needsUpstream: true,
  runsOn: "agent",
});
