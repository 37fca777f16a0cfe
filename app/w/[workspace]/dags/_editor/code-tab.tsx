"use client";
// The document as text, editable, in step with the canvas both ways: the text is regenerated when
// the document changes elsewhere (canvas, form, undo); typing is parsed shortly after each pause
// and, when it reads as a document the canvas can draw, becomes the document. Syntax errors leave
// the document as it was; validation problems show inline and beside the text either way.
import dynamic from "next/dynamic";
import { useCallback, useEffect, useId, useRef, useState } from "react";
import { Alert } from "@/app/_components/alert";
import type { Problem } from "@/server/dags/validate";
import { asEditorDocument, type EditorDocument } from "./document";
import { documentText, parseText, type TextFormat } from "./text";

const PARSE_DELAY_MS = 250;

// CodeMirror and its languages load with the tab, not with the editor page (the canvas is the
// first view, and must stay quick to open at 500 tasks).
const DocumentEditor = dynamic(() => import("./document-editor").then((m) => m.DocumentEditor), {
  ssr: false,
  loading: () => <p className="p-3 text-sm text-slate-500">Loading the code editor…</p>,
});

export function CodeTab({
  document,
  problems,
  onDocument,
}: {
  document: EditorDocument;
  problems: readonly Problem[];
  onDocument: (document: EditorDocument) => void;
}) {
  const id = useId();
  const [format, setFormat] = useState<TextFormat>("yaml");
  const [text, setText] = useState(() => documentText(document, "yaml"));
  const [syntax, setSyntax] = useState<string[]>([]);
  // The document this text last produced: when it comes back, the text is left as typed.
  const produced = useRef<EditorDocument | null>(null);
  const [shown, setShown] = useState(document);
  if (document !== shown) {
    setShown(document);
    if (document !== produced.current) {
      setText(documentText(document, format));
      setSyntax([]);
    }
  }

  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const pendingText = useRef<string | null>(null);
  /** Parses the text typed since the last parse; returns the document it made, if any. */
  const parse = useCallback((): EditorDocument | undefined => {
    clearTimeout(timer.current);
    const source = pendingText.current;
    pendingText.current = null;
    if (source === null) return undefined;
    const parsed = parseText(source, format);
    if (!parsed.ok) {
      setSyntax(parsed.errors);
      return undefined;
    }
    const next = asEditorDocument(parsed.value);
    if (typeof next === "string") {
      setSyntax([next]);
      return undefined;
    }
    setSyntax([]);
    produced.current = next;
    onDocument(next);
    return next;
  }, [format, onDocument]);
  const onText = useCallback(
    (next: string) => {
      setText(next);
      pendingText.current = next;
      clearTimeout(timer.current);
      timer.current = setTimeout(parse, PARSE_DELAY_MS);
    },
    [parse],
  );
  const onBlur = useCallback(() => parse(), [parse]);
  // Typing then leaving the tab at once must not lose the last keystrokes.
  const flush = useRef(parse);
  flush.current = parse;
  useEffect(
    () => () => {
      flush.current();
    },
    [],
  );

  return (
    <div className="grid h-full min-h-0 gap-4 lg:grid-cols-[minmax(0,1fr)_20rem]">
      <div className="flex min-h-0 flex-col">
        <div className="mb-2 flex items-center justify-between gap-3">
          <span className="text-sm font-medium text-slate-800">DAG document ({format.toUpperCase()})</span>
          <fieldset className="flex items-center gap-3 text-sm">
            <legend className="sr-only">Format</legend>
            {(["yaml", "json"] as const).map((option) => (
              <label key={option} className="inline-flex items-center gap-1.5">
                <input
                  type="radio"
                  name={`${id}-format`}
                  checked={format === option}
                  onChange={() => {
                    const latest = flush.current() ?? document;
                    setFormat(option);
                    setText(documentText(latest, option));
                    setSyntax([]);
                  }}
                  className="accent-indigo-600"
                />
                {option.toUpperCase()}
              </label>
            ))}
          </fieldset>
        </div>
        <DocumentEditor
          id={id}
          label={`DAG document (${format.toUpperCase()})`}
          text={text}
          format={format}
          problems={problems}
          describedBy={`${id}-status`}
          onChange={onText}
          onBlur={onBlur}
        />
      </div>
      <div id={`${id}-status`} aria-live="polite" className="min-h-0 space-y-3 overflow-y-auto">
        {syntax.length > 0 ? (
          <Alert tone="error" title="The text cannot be read">
            <ul className="space-y-1">
              {syntax.map((message) => (
                <li key={message}>{message}</li>
              ))}
            </ul>
            <p className="mt-2">The canvas keeps the last readable version.</p>
          </Alert>
        ) : problems.length > 0 ? (
          <Alert tone="warning" title={`${problems.length} problem${problems.length === 1 ? "" : "s"}`}>
            <ul className="space-y-1">
              {problems.slice(0, 50).map((problem) => (
                <li key={`${problem.path}:${problem.message}`}>
                  <code className="font-mono text-xs">{problem.path || "document"}</code> {problem.message}
                </li>
              ))}
            </ul>
          </Alert>
        ) : (
          <Alert tone="success">The document is valid. The canvas shows the same DAG.</Alert>
        )}
      </div>
    </div>
  );
}
