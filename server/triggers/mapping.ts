// Params from data another system sent: a mapping names, for each run param, where its value is
// found — a JSON pointer (RFC 6901) into a document (a webhook's body, an upstream run's event),
// or a request header. Webhooks and DAG-outcome triggers share it, so both are written the same
// way. The values are validated afterwards, against the DAG's params schema, by triggerRun.
import { z } from "zod";
import type { ParamSpec } from "@/server/dags/definition";
import type { Problem } from "@/server/errors";

/** "" (the whole document), "/a/b/0" (a pointer), or "header:<name>" (webhooks only). */
export type ParamSource = string;
export type ParamMapping = Record<string, ParamSource>;

const paramName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, { message: "a param name must be an identifier" });

const headerName = /^header:[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export const jsonPointer = z
  .string()
  .max(500)
  .refine((value) => value === "" || (value.startsWith("/") && !/~[^01]|~$/.test(value)), {
    message:
      'must be a JSON pointer: "" for the whole document, or "/field/0/child" (escape ~ as ~0, / as ~1)',
  });

export function paramMappingSchema(options: { headers: boolean }) {
  const source = z
    .string()
    .max(500)
    .refine(
      (value) =>
        options.headers && value.startsWith("header:")
          ? headerName.test(value)
          : jsonPointer.safeParse(value).success,
      {
        message: options.headers
          ? 'must be a JSON pointer into the body ("/pull_request/number", "" for the whole body) or "header:<name>"'
          : 'must be a JSON pointer ("/outputs/load/rowCount", "/runId")',
      },
    );
  return z.record(paramName, source).refine((mapping) => Object.keys(mapping).length <= 100, {
    message: "at most 100 params",
  });
}

/** The value a pointer names, or `found: false` when the path leads nowhere. */
export function resolvePointer(document: unknown, pointer: string): { found: boolean; value?: unknown } {
  if (pointer === "") return { found: true, value: document };
  let value: unknown = document;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(value)) {
      if (!/^(0|[1-9]\d*)$/.test(key) || Number(key) >= value.length) return { found: false };
      value = value[Number(key)];
    } else if (value !== null && typeof value === "object" && Object.hasOwn(value, key)) {
      value = (value as Record<string, unknown>)[key];
    } else {
      return { found: false };
    }
  }
  return { found: true, value };
}

/**
 * Header values are text; a param declared as a number, integer, boolean, object or array gets
 * the text read as that type when it reads cleanly ("42", "true", JSON), else the text itself
 * (which the params schema then refuses, naming the param).
 */
function fromHeader(text: string, spec: ParamSpec | undefined): unknown {
  switch (spec?.type) {
    case "number":
    case "integer":
      return /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text.trim()) ? Number(text) : text;
    case "boolean":
      return text === "true" ? true : text === "false" ? false : text;
    case "object":
    case "array":
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    default:
      return text;
  }
}

/**
 * The params a mapping produces from `document` (and `headers`, lower-case names). A source that
 * leads nowhere leaves its param out, so the param's default applies (or, when it is required,
 * validation names it).
 */
export function mapParams(
  mapping: ParamMapping,
  document: unknown,
  headers: Record<string, string> = {},
  specs: Record<string, ParamSpec> = {},
): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [name, source] of Object.entries(mapping)) {
    if (source.startsWith("header:")) {
      const text = headers[source.slice(7).toLowerCase()];
      if (text !== undefined) params[name] = fromHeader(text, specs[name]);
      continue;
    }
    const resolved = resolvePointer(document, source);
    if (resolved.found && resolved.value !== undefined) params[name] = resolved.value;
  }
  return params;
}

/** Problems of a params validation, each saying where the mapping read the value. */
export function withSources(problems: Problem[], mapping: ParamMapping): Problem[] {
  return problems.map((problem) => {
    const name = /^params\.([^.]+)/.exec(problem.path)?.[1];
    const source = name !== undefined ? mapping[name] : undefined;
    if (source === undefined) return problem;
    const from = source.startsWith("header:") ? `header ${source.slice(7)}` : `"${source}"`;
    return { ...problem, message: `${problem.message} (mapped from ${from})` };
  });
}

/** Mapping entries naming params the DAG does not declare. */
export function undeclaredParams(
  mapping: ParamMapping,
  specs: Record<string, ParamSpec>,
  path = "paramMapping",
): Problem[] {
  return Object.keys(mapping)
    .filter((name) => !Object.hasOwn(specs, name))
    .map((name) => ({
      path: `${path}.${name}`,
      message: `the DAG declares no param "${name}"${Object.keys(specs).length ? ` (it has ${Object.keys(specs).join(", ")})` : ""}`,
    }));
}
