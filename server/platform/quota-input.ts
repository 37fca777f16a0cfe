// Quota values typed by a platform administrator (a plan's quotas, a workspace's overrides),
// checked with the catalogue's schemas and refused with one problem per field, each naming the
// quota, so the console can show it next to the right input.
import type { z } from "zod";
import { AppError, type Problem } from "@/server/errors";
import {
  type QuotaInfo,
  type Quotas,
  quotaCatalog,
  quotaOverridesSchema,
  quotasSchema,
} from "@/server/quotas/catalog";

const MAX = 2_147_483_647;

function isQuotaKey(key: PropertyKey | undefined): key is keyof Quotas {
  return typeof key === "string" && Object.hasOwn(quotaCatalog, key);
}

function problemsOf(issues: z.core.$ZodIssue[], field: string): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        problems.push({ path: `${field}.${key}`, message: `"${key}" is not a quota` });
      }
      continue;
    }
    const key = issue.path[0];
    if (!isQuotaKey(key)) {
      problems.push({ path: field, message: issue.message });
      continue;
    }
    const { label, min = 0 } = quotaCatalog[key] as QuotaInfo;
    problems.push({
      path: `${field}.${key}`,
      message: `${label} (${key}) must be a whole number from ${min} to ${MAX}`,
    });
  }
  return problems;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, field: string, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = problemsOf(parsed.error.issues, field);
  throw new AppError(
    "BAD_REQUEST",
    `Invalid ${what}: ${problems.map((p) => p.message).join("; ")}`,
    problems,
  );
}

/** A workspace's overrides: some quotas, nothing else. Problems are on `overrides.<quota>`. */
export function parseOverrides(value: unknown): Partial<Quotas> {
  return parse(quotaOverridesSchema, value, "overrides", "overrides");
}

/** A plan's quotas: every quota. Problems are on `quotas.<quota>`. */
export function parseQuotas(value: unknown): Quotas {
  return parse(quotasSchema.strict(), value, "quotas", "quotas");
}
