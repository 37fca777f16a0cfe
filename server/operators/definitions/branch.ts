import { z } from "zod";
import { jsonValue } from "@/server/validation";
import { NonRetryableError } from "../execution";
import { defineOperator, taskIdList } from "../types";
import { runTaskCode } from "./code";

const branchRule = z
  .strictObject({
    /**
     * A template, usually exactly one `{{ … }}` so that its raw value is compared. Any JSON value
     * once rendered: `{{ params.n }}` renders to the number itself.
     */
    when: jsonValue.refine((value) => value !== "", { message: "must not be empty" }),
    equals: z.unknown().optional(),
    notEquals: z.unknown().optional(),
    in: z.array(z.unknown()).optional(),
    /** Tasks to follow when the rule matches; each must depend directly on the branch task. */
    then: taskIdList.min(1),
  })
  .superRefine((rule, ctx) => {
    const tests = (["equals", "notEquals", "in"] as const).filter((key) => rule[key] !== undefined);
    if (tests.length > 1) {
      ctx.addIssue({
        code: "custom",
        path: [tests[1]!],
        message: `use one of ${tests.join(", ")}, not both`,
      });
    }
  });

export const branchConfigSchema = z
  .strictObject({
    /** Tried in order; the first that matches decides. May be empty or absent: `default` then decides. */
    rules: z.array(branchRule).optional(),
    /**
     * Tasks to follow when no rule matches; none (all downstream skipped) when empty. Alone, without
     * rules, a fixed choice: these tasks always run, the branch's other downstream tasks never do.
     */
    default: taskIdList.optional(),
    /**
     * JavaScript run in the code sandbox, with the code operator's globals: an expression such as
     * `params.full ? "full_load" : "incremental"`, or a function body that `return`s. It gives a
     * task id or an array of them.
     */
    expression: z.string().min(1).optional(),
    /**
     * false (the default, Airflow's branch): only the direct downstream tasks not followed are
     * skipped, and the trigger rules of tasks further down decide. true (Airflow's short-circuit
     * default): every task downstream of those not followed is skipped whatever its trigger rule,
     * except tasks also downstream of a followed one.
     */
    ignoreDownstreamTriggerRules: z.boolean().optional(),
  })
  .superRefine((config, ctx) => {
    const chooses = config.rules !== undefined || config.default !== undefined;
    if (config.expression === undefined && !chooses) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "set rules (with an optional default), default alone (a fixed choice), or expression",
      });
    }
    if (config.expression !== undefined && config.rules !== undefined) {
      ctx.addIssue({ code: "custom", path: ["rules"], message: "set either rules or expression, not both" });
    }
    if (config.expression !== undefined && config.default !== undefined) {
      ctx.addIssue({ code: "custom", path: ["default"], message: "default goes with rules, not expression" });
    }
  });

export type BranchConfig = z.output<typeof branchConfigSchema>;

/** Every task id a branch config may choose, with its path inside the config. */
export function branchTargets(config: BranchConfig): Array<{ taskId: string; path: Array<string | number> }> {
  const targets: Array<{ taskId: string; path: Array<string | number> }> = [];
  for (const [r, rule] of (config.rules ?? []).entries()) {
    for (const [k, taskId] of rule.then.entries()) targets.push({ taskId, path: ["rules", r, "then", k] });
  }
  for (const [k, taskId] of (config.default ?? []).entries()) targets.push({ taskId, path: ["default", k] });
  return targets;
}

export const branchOperator = defineOperator({
  name: "branch",
  title: "Branch",
  description: "Chooses which downstream tasks run; the others are skipped.",
  icon: "split",
  docs:
    "Follows some of the tasks that depend directly on it and skips the rest. With `rules`, the " +
    "first rule whose `when` value matches (`equals`, `notEquals`, `in`, or truthy when none is " +
    "given) chooses its `then` tasks, and `default` applies when no rule matches; `default` alone " +
    "is a fixed choice. With " +
    "`expression`, a JavaScript snippet returns the task id or ids to follow. Skips propagate " +
    "downstream under the usual trigger rules; join branches with none_failed_min_one_success.",
  configSchema: branchConfigSchema,
  templatedFields: ["rules.when"],
  defaults: { rules: [{ when: "{{ params.mode }}", equals: "full", then: ["full_load"] }], default: [] },
  needsUpstream: true,
  async execute({ config, log, signal, workspaceId, run, item, upstream }) {
    if (config.expression !== undefined) {
      const source = /\breturn\b/.test(config.expression)
        ? config.expression
        : `return (${config.expression}\n);`;
      const chosen = await runTaskCode(
        { workspaceId, runId: run.id, params: run.params, upstream: upstream ?? {}, item, signal, log },
        { source, language: "javascript", inputs: {}, fetch: false, limits: { cpuMs: 1000, memoryMiB: 32 } },
      );
      const follow = typeof chosen === "string" ? [chosen] : chosen;
      if (!Array.isArray(follow) || !follow.every((id) => typeof id === "string" && id !== "")) {
        throw new NonRetryableError(
          `The branch expression returned ${JSON.stringify(chosen)}; it must return a task id or an array of task ids`,
        );
      }
      log.info(`the expression chose ${follow.join(", ") || "nothing"}`);
      return { output: { follow }, follow };
    }
    // `when` arrives rendered: the template's value, compared as JSON so objects compare by content.
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    const match = config.rules?.find((rule) => {
      if (rule.equals !== undefined) return same(rule.when, rule.equals);
      if (rule.notEquals !== undefined) return !same(rule.when, rule.notEquals);
      if (rule.in !== undefined) return rule.in.some((value) => same(rule.when, value));
      return Boolean(rule.when) && rule.when !== "false";
    });
    const follow = match?.then ?? config.default ?? [];
    log.info(
      match
        ? `rule matched: following ${follow.join(", ")}`
        : `no rule matched: following ${follow.join(", ") || "nothing"}`,
    );
    return { output: { follow }, follow };
  },
});
