"use client";
// The DAG document as code, in CodeMirror 6: YAML or JSON highlighting (tasks' Python, JavaScript
// and SQL in their own languages), line numbers, folding, search, and help from the published DAG
// JSON Schema (/api/v1/schema/dag.json): completion of keys, operators and their config fields, and
// hover help. Inline diagnostics are the same problems the server reports when validating (passed
// in), plus syntax errors as the text is typed.
import { json, jsonParseLinter } from "@codemirror/lang-json";
import { type Diagnostic, linter } from "@codemirror/lint";
import { StateEffect, StateField } from "@codemirror/state";
import { EditorView, hoverTooltip } from "@codemirror/view";
import { useQuery } from "@tanstack/react-query";
import CodeMirror from "@uiw/react-codemirror";
import { jsonCompletion, jsonSchemaHover, stateExtensions, updateSchema } from "codemirror-json-schema";
import { yamlCompletion, yamlSchemaHover } from "codemirror-json-schema/yaml";
import { useEffect, useMemo, useState } from "react";
import { parseDocument } from "yaml";
import type { Problem } from "@/server/dags/validate";
import { dagYaml } from "./embedded-code";
import { problemRanges } from "./problem-ranges";
import type { TextFormat } from "./text";

/** The server's latest problems with the document, shown inline where their paths point. */
const setProblems = StateEffect.define<readonly Problem[]>();
const problemsField = StateField.define<readonly Problem[]>({
  create: () => [],
  update: (problems, transaction) => {
    for (const effect of transaction.effects) if (effect.is(setProblems)) return effect.value;
    return problems;
  },
});

const serverProblems = linter(
  (view) => {
    const problems = view.state.field(problemsField);
    const text = view.state.doc.toString();
    const ranges = problemRanges(
      text,
      problems.map((problem) => problem.path),
    );
    if (!ranges) return [];
    return problems.map(
      (problem, i): Diagnostic => ({
        ...ranges[i]!,
        severity: "error",
        source: problem.path || "document",
        message: problem.message,
      }),
    );
  },
  {
    delay: 100,
    needsRefresh: (update) => update.transactions.some((t) => t.effects.some((e) => e.is(setProblems))),
  },
);

/** YAML syntax errors where they are (the JSON side has @codemirror/lang-json's). */
const yamlSyntax = linter((view) =>
  parseDocument(view.state.doc.toString(), { uniqueKeys: true }).errors.map(
    (error): Diagnostic => ({
      from: error.pos[0],
      to: Math.max(error.pos[1], error.pos[0] + 1),
      severity: "error",
      source: "YAML",
      message: error.message.split("\n")[0]!,
    }),
  ),
);

/** A JSON Schema as codemirror-json-schema takes it. */
type JsonSchema = NonNullable<Parameters<typeof updateSchema>[1]>;

function useDagJsonSchema() {
  return useQuery({
    queryKey: ["dag-json-schema"],
    queryFn: async () => {
      const response = await fetch("/api/v1/schema/dag.json");
      if (!response.ok) throw new Error(`The DAG schema could not be read (${response.status})`);
      return (await response.json()) as JsonSchema;
    },
    staleTime: Number.POSITIVE_INFINITY,
  });
}

const theme = EditorView.theme({
  "&": { height: "100%", fontSize: "12px" },
  ".cm-scroller": { fontFamily: "var(--font-mono)", lineHeight: "1.25rem" },
  ".cm-tooltip-hover": { maxWidth: "28rem", padding: "0.25rem 0.5rem" },
});

export function DocumentEditor({
  id,
  label,
  text,
  format,
  problems,
  describedBy,
  onChange,
  onBlur,
}: {
  id: string;
  label: string;
  text: string;
  format: TextFormat;
  problems: readonly Problem[];
  describedBy: string;
  onChange: (text: string) => void;
  onBlur: () => void;
}) {
  const [view, setView] = useState<EditorView>();
  const schema = useDagJsonSchema();
  const extensions = useMemo(
    () => [
      format === "yaml" ? dagYaml() : json(),
      format === "yaml"
        ? dagYaml().language.data.of({ autocomplete: yamlCompletion() })
        : json().language.data.of({ autocomplete: jsonCompletion() }),
      hoverTooltip((format === "yaml" ? yamlSchemaHover : jsonSchemaHover)()),
      stateExtensions(),
      problemsField,
      serverProblems,
      format === "yaml" ? yamlSyntax : linter(jsonParseLinter()),
      EditorView.contentAttributes.of({ id, "aria-label": label, "aria-describedby": describedBy }),
      EditorView.domEventHandlers({ blur: () => onBlur() }),
      theme,
    ],
    [format, id, label, describedBy, onBlur],
  );

  // The schema arrives once per page; the problems with each validation.
  useEffect(() => {
    if (view && schema.data) updateSchema(view, schema.data);
  }, [view, schema.data]);
  useEffect(() => {
    view?.dispatch({ effects: setProblems.of(problems) });
  }, [view, problems]);

  return (
    <CodeMirror
      value={text}
      onChange={onChange}
      extensions={extensions}
      onCreateEditor={setView}
      basicSetup={{ highlightActiveLine: false, highlightActiveLineGutter: true }}
      height="100%"
      className="min-h-0 flex-1 overflow-hidden rounded-md ring-1 ring-slate-300 ring-inset focus-within:outline-2 focus-within:outline-indigo-600"
    />
  );
}
