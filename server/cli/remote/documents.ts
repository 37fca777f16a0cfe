// DAG files as the client commands handle them: read with the content type the API should parse
// them as, their DAG id (for the URL), and documents written back as YAML or JSON. Validation
// itself is the server's (POST /dags/validate): the client carries no copy of the validator.
import { readFileSync } from "node:fs";
import path from "node:path";
import { createTwoFilesPatch } from "diff";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";

export const dagFilePattern = /\.(ya?ml|json)$/i;

export interface DagFile {
  file: string;
  text: string;
  format: "yaml" | "json";
  contentType: "application/yaml" | "application/json";
  /** The document's `id`, or the file's name when the document cannot be read. */
  dagId: string;
}

export function readDagFile(file: string, shown = file): DagFile {
  const text = readFileSync(file, "utf8");
  const json = /\.json$/i.test(file) || (!/\.ya?ml$/i.test(file) && text.trimStart().startsWith("{"));
  let id: unknown;
  try {
    id = (json ? JSON.parse(text) : parseYaml(text))?.id;
  } catch {
    // The server reports the syntax error with its line; the file's name stands in for the id.
  }
  return {
    file: shown,
    text,
    format: json ? "json" : "yaml",
    contentType: json ? "application/json" : "application/yaml",
    dagId: typeof id === "string" && id ? id : path.basename(file).replace(dagFilePattern, ""),
  };
}

/** A document as it is shown and written: YAML (the default) or JSON. */
export function renderDocument(document: unknown, format: "yaml" | "json" = "yaml"): string {
  return format === "json" ? `${JSON.stringify(document, null, 2)}\n` : stringifyYaml(document);
}

/** A unified diff of two documents rendered as YAML (empty when they are the same). */
export function documentDiff(before: unknown, after: unknown, labels: [string, string]): string {
  const a = before === undefined ? "" : renderDocument(before);
  const b = renderDocument(after);
  if (a === b) return "";
  return createTwoFilesPatch(labels[0], labels[1], a, b, undefined, undefined, { context: 3 })
    .split("\n")
    .slice(2) // the "Index:" and "====" lines
    .join("\n");
}
