"use client";
// The DAG editor: palette, canvas and side form, or the same document as text; undo and redo,
// keyboard shortcuts, live validation and analysis, and saving a new version.
//
// Speed at 500 tasks: validation runs on the server once edits pause, analysis on a deferred copy
// of the document (typing stays responsive), layout only when the graph's shape changes (and in a
// worker), and node objects are reused unless their task changed.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ReactFlowProvider } from "@xyflow/react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useDeferredValue, useEffect, useMemo, useRef, useState } from "react";
import { Button } from "@/app/_components/button";
import { NODE_WIDTH, useGraphLayout, useGraphShape, type XY } from "@/app/_components/dag-graph/layout";
import { useWorkspace } from "@/app/_components/shell";
import { buttonClass } from "@/app/_components/styles";
import { formatDuration } from "@/app/_components/time";
import { useUnsavedChangesGuard } from "@/app/_components/use-unsaved-changes";
import { useTRPC } from "@/app/_lib/trpc";
import { analyzeDag } from "@/server/dags/analyze";
import type { OperatorSummary } from "@/server/operators/catalog";
import { MAX_PAGE_SIZE } from "@/server/pagination";
import { EditorCanvas, type Selection } from "./canvas";
import { CodeTab } from "./code-tab";
import {
  addTask,
  connect,
  disconnect,
  drawnTasks,
  type EditorDocument,
  removeTask,
  renameTask,
  upstreamOf,
} from "./document";
import { DagSettings, TaskInspector } from "./inspector";
import { Palette } from "./palette";
import { type References, ReferencesContext } from "./references";
import { SaveDialog } from "./save-dialog";
import { useHistory } from "./use-history";
import { problemsByTask, useValidation } from "./use-validation";

const NO_PATH: string[] = [];

const isEditable = (target: EventTarget | null) =>
  target instanceof HTMLElement &&
  (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));

const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/** What the server knows that the editor shows: operators (palette, config forms) and trigger rules. */
export interface EditorCatalog {
  operators: OperatorSummary[];
  triggerRules: readonly string[];
}

export function DagEditor({
  initial,
  catalog,
  existing,
  baseVersion,
  measured,
}: {
  initial: EditorDocument;
  catalog: EditorCatalog;
  /** The DAG's id when editing a saved DAG (the id cannot change then). */
  existing?: string;
  /** The hash of the version the editor opened: saving onto another one is refused, not silent. */
  baseVersion?: string;
  /** Measured durations (ms) by task id, for the critical path. */
  measured?: ReadonlyMap<string, number>;
}) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const history = useHistory(initial);
  const document = history.present;
  const documentRef = useRef(document);
  documentRef.current = document;
  const [saved, setSaved] = useState(initial);
  const dirty = document !== saved;
  useUnsavedChangesGuard(dirty);

  const [tab, setTab] = useState<"canvas" | "code">("canvas");
  const [selection, setSelection] = useState<Selection>(null);
  const [notice, setNotice] = useState<{ tone: "error" | "info"; text: string } | null>(null);
  const [saving, setSaving] = useState(false);

  const { operators } = catalog;
  const operatorsByName = useMemo(() => new Map(operators.map((o) => [o.name, o])), [operators]);

  // Workspace configuration, for the reference pickers (their first page: names can also be typed).
  const firstPage = { workspace: slug, limit: MAX_PAGE_SIZE };
  const variables = useQuery(trpc.variables.list.queryOptions(firstPage));
  const secrets = useQuery(trpc.secrets.list.queryOptions(firstPage));
  const connections = useQuery(trpc.connections.list.queryOptions(firstPage));

  // ---- Derived: drawing, layout, validation, analysis ----
  const drawn = useMemo(() => drawnTasks(document), [document]);
  const shape = useGraphShape(drawn);
  const layout = useGraphLayout(shape);

  const { validation: checked, checking, failed: validationFailed } = useValidation(document, existing);
  // A new DAG nobody has touched is not wrong yet: its empty id shows as a problem once edited.
  const validation = !existing && !dirty ? null : checked;
  const problems = validation?.problems ?? [];
  const { byTask, rest: dagProblems } = useMemo(() => problemsByTask(validation), [validation]);
  const nodeProblems = useMemo(
    () =>
      new Map([...byTask].map(([id, list]) => [id, list.map((p) => `${p.field || "task"}: ${p.message}`)])),
    [byTask],
  );
  const deferred = useDeferredValue(document);
  const deferredShape = useDeferredValue(shape);
  const analysis = useMemo(() => {
    const tasks = drawnTasks(deferred);
    const ids = new Set(deferredShape.ids);
    try {
      return analyzeDag(
        {
          tasks: tasks.map((t) => ({
            id: t.id,
            dependsOn: t.dependsOn.filter((d) => ids.has(d)),
            estimatedDurationSeconds:
              typeof t.task.estimatedDurationSeconds === "number"
                ? t.task.estimatedDurationSeconds
                : undefined,
          })),
        },
        measured ? { estimates: measured } : {},
      );
    } catch {
      return null; // a cycle: validation says where
    }
  }, [deferred, deferredShape, measured]);

  // ---- Editing ----
  const { edit } = history;
  const onConnect = useCallback(
    (upstream: string, downstream: string) => {
      const result = connect(documentRef.current, upstream, downstream);
      if (result.ok) {
        edit(result.document);
        setNotice(null);
      } else setNotice({ tone: "error", text: result.message });
    },
    [edit],
  );

  const positionsRef = useRef(layout.positions);
  positionsRef.current = layout.positions;
  const selectionRef = useRef(selection);
  selectionRef.current = selection;
  const { move } = layout;

  const addOperator = useCallback(
    (name: string, at?: XY) => {
      const operator = operatorsByName.get(name);
      const current = documentRef.current;
      const { document: next, id } = addTask(current, name, asRecord(operator?.defaults));
      // Next to the selected task, or below everything, unless dropped somewhere.
      let position = at;
      if (!position) {
        const selected =
          selectionRef.current?.kind === "task"
            ? positionsRef.current.get(selectionRef.current.id)
            : undefined;
        if (selected) position = { x: selected.x + NODE_WIDTH + 72, y: selected.y };
        else {
          let bottom = -80;
          for (const p of positionsRef.current.values()) bottom = Math.max(bottom, p.y);
          position = { x: 0, y: bottom + 80 };
        }
      }
      edit(next);
      move(id, position);
      setSelection({ kind: "task", id });
      setNotice(null);
    },
    [edit, move, operatorsByName],
  );

  const removeSelected = useCallback(() => {
    const current = selectionRef.current;
    if (current?.kind === "task") {
      edit(removeTask(documentRef.current, current.id));
      setSelection(null);
    } else if (current?.kind === "edge") {
      edit(disconnect(documentRef.current, current.from, current.to));
      setSelection(null);
    }
  }, [edit]);

  const onRename = useCallback(
    (from: string, to: string) => {
      edit(renameTask(documentRef.current, from, to));
      setSelection({ kind: "task", id: to });
    },
    [edit],
  );

  const onDropOperator = useCallback(
    (operator: string, position: XY) => addOperator(operator, position),
    [addOperator],
  );
  const onCodeDocument = useCallback((next: EditorDocument) => edit(next, "code"), [edit]);

  // ---- Saving ----
  // The version the changes are made on: a save is refused (412) if someone else saved since.
  const [base, setBase] = useState(baseVersion);
  const push = useMutation(
    trpc.dags.push.mutationOptions({
      onSuccess: async (result, variables) => {
        setSaved(variables.document as EditorDocument);
        setBase(result.hash);
        setSaving(false);
        await queryClient.invalidateQueries({ queryKey: trpc.dags.pathKey() });
        if (!existing) {
          router.push(`/w/${slug}/dags/${result.dagId}`);
          return;
        }
        setNotice({
          tone: "info",
          text: result.unchanged
            ? "Nothing changed since the last version."
            : `Saved as version ${result.version}.`,
        });
      },
    }),
  );
  const save = (message: string) =>
    push.mutate({
      workspace: slug,
      document,
      message,
      // A new DAG must not land on an existing one's id; an edit must be made on the current version.
      ...(existing ? { dagId: existing, ...(base ? { ifMatch: base } : {}) } : { ifNoneMatch: "*" }),
    });
  const openSave = useCallback(() => {
    push.reset();
    setSaving(true);
  }, [push.reset]);

  // ---- Keyboard ----
  const { undo, redo } = history;
  useEffect(() => {
    const keydown = (event: KeyboardEvent) => {
      const mod = event.metaKey || event.ctrlKey;
      const key = event.key.toLowerCase();
      if (mod && key === "s") {
        event.preventDefault();
        openSave();
      } else if (mod && (key === "z" || key === "y") && !isEditable(event.target)) {
        event.preventDefault();
        if (key === "y" || event.shiftKey) redo();
        else undo();
      } else if ((event.key === "Delete" || event.key === "Backspace") && !mod && !isEditable(event.target)) {
        if (selectionRef.current) {
          event.preventDefault();
          removeSelected();
        }
      }
    };
    window.addEventListener("keydown", keydown);
    return () => window.removeEventListener("keydown", keydown);
  }, [openSave, undo, redo, removeSelected]);

  // A selection whose task went away (undo, code tab) is dropped.
  const selectedTask =
    selection?.kind === "task" ? document.tasks.find((task) => task.id === selection.id) : undefined;
  useEffect(() => {
    if (selection?.kind === "task" && !selectedTask) setSelection(null);
  }, [selection, selectedTask]);

  const references: References = useMemo(
    () => ({
      connections: connections.data?.items ?? [],
      variables: variables.data?.items.map((v) => v.key) ?? [],
      secrets: secrets.data?.items.map((s) => s.name) ?? [],
      params: Object.keys(asRecord(document.params)),
      upstream: selectedTask ? upstreamOf(document, selectedTask.id) : [],
    }),
    [connections.data, variables.data, secrets.data, document, selectedTask],
  );

  return (
    <ReferencesContext value={references}>
      <div className="flex flex-col gap-3">
        <div className="flex flex-wrap items-center gap-2" role="toolbar" aria-label="Editor">
          <div role="tablist" aria-label="View" className="mr-2 inline-flex rounded-md bg-slate-100 p-0.5">
            {(["canvas", "code"] as const).map((value) => (
              <button
                key={value}
                type="button"
                role="tab"
                id={`editor-tab-${value}`}
                aria-selected={tab === value}
                aria-controls={`editor-${value}`}
                tabIndex={tab === value ? 0 : -1}
                onClick={() => setTab(value)}
                onKeyDown={(event) => {
                  if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
                    const next = tab === "canvas" ? "code" : "canvas";
                    setTab(next);
                    window.document.getElementById(`editor-tab-${next}`)?.focus();
                  }
                }}
                className={`rounded px-3 py-1 text-sm font-medium ${tab === value ? "bg-white text-slate-900 shadow-xs" : "text-slate-600 hover:text-slate-900"}`}
              >
                {value === "canvas" ? "Canvas" : "Code"}
              </button>
            ))}
          </div>
          <Button
            variant="secondary"
            size="sm"
            onClick={history.undo}
            disabled={!history.canUndo}
            title="Undo (Ctrl+Z)"
          >
            Undo
          </Button>
          <Button
            variant="secondary"
            size="sm"
            onClick={history.redo}
            disabled={!history.canRedo}
            title="Redo (Shift+Ctrl+Z)"
          >
            Redo
          </Button>
          <Button variant="secondary" size="sm" onClick={layout.relayout} disabled={tab !== "canvas"}>
            Lay out
          </Button>
          <div className="ml-auto flex items-center gap-3">
            <span className="text-sm text-slate-600" aria-live="polite">
              {!existing ? "Not saved yet" : dirty ? "Unsaved changes" : "All changes saved"}
            </span>
            {existing && (
              <Link href={`/w/${slug}/dags/${existing}`} className={buttonClass("secondary", "sm")}>
                Runs
              </Link>
            )}
            <Button size="sm" onClick={openSave} title="Save (Ctrl+S)">
              Save
            </Button>
          </div>
        </div>

        <div role="status" aria-live="polite" className="min-h-5 text-sm">
          {notice && (
            <p className={notice.tone === "error" ? "font-medium text-red-700" : "text-emerald-700"}>
              {notice.text}
            </p>
          )}
        </div>

        {tab === "canvas" ? (
          <div
            id="editor-canvas"
            role="tabpanel"
            aria-labelledby="editor-tab-canvas"
            className="flex flex-col gap-3"
          >
            <Palette operators={operators} onAdd={addOperator} />
            <div className="grid h-[70vh] min-h-[32rem] grid-cols-[minmax(0,1fr)_22rem] gap-3">
              <div className="flex min-h-0 flex-col overflow-hidden rounded-lg border border-slate-200 bg-white">
                <div className="min-h-0 flex-1">
                  <ReactFlowProvider>
                    <EditorCanvas
                      tasks={drawn}
                      positions={layout.positions}
                      operators={operatorsByName}
                      problems={nodeProblems}
                      critical={
                        analysis && analysis.criticalPath.length > 1 ? analysis.criticalPath : NO_PATH
                      }
                      selection={selection}
                      arranged={layout.arranged}
                      onSelect={setSelection}
                      onConnect={onConnect}
                      onMove={layout.move}
                      onDropOperator={onDropOperator}
                    />
                  </ReactFlowProvider>
                </div>
                <AnalysisBar
                  tasks={document.tasks.length}
                  problems={problems.length}
                  validation={validationFailed ? "failed" : checking ? "checking" : "done"}
                  analysis={analysis}
                  laidOut={layout.laidOut}
                />
              </div>
              <aside
                aria-label="Inspector"
                className="min-h-0 overflow-y-auto rounded-lg border border-slate-200 bg-white p-4"
              >
                {selectedTask ? (
                  <TaskInspector
                    key={selectedTask.id}
                    document={document}
                    task={selectedTask}
                    operator={operatorsByName.get(selectedTask.operator)}
                    operators={operators}
                    triggerRules={catalog.triggerRules}
                    problems={byTask.get(selectedTask.id) ?? []}
                    onEdit={edit}
                    onRename={onRename}
                    onConnect={onConnect}
                    onDelete={removeSelected}
                  />
                ) : (
                  <DagSettings
                    document={document}
                    problems={dagProblems}
                    validation={validation}
                    idEditable={!existing}
                    onEdit={edit}
                  />
                )}
              </aside>
            </div>
          </div>
        ) : (
          <div
            id="editor-code"
            role="tabpanel"
            aria-labelledby="editor-tab-code"
            className="h-[70vh] min-h-[32rem]"
          >
            <CodeTab document={document} problems={problems} onDocument={onCodeDocument} />
          </div>
        )}
      </div>
      <SaveDialog
        open={saving}
        onClose={() => setSaving(false)}
        onSave={save}
        pending={push.isPending}
        error={push.error}
        localProblems={problems.length}
      />
    </ReferencesContext>
  );
}

function AnalysisBar({
  tasks,
  problems,
  validation,
  analysis,
  laidOut,
}: {
  tasks: number;
  problems: number;
  validation: "checking" | "done" | "failed";
  analysis: ReturnType<typeof analyzeDag> | null;
  laidOut: boolean;
}) {
  return (
    <section
      aria-label="Analysis"
      className="flex flex-wrap items-center gap-x-4 gap-y-1 border-t border-slate-200 bg-slate-50 px-3 py-2 text-xs text-slate-700"
    >
      <span>
        <strong>{tasks}</strong> task{tasks === 1 ? "" : "s"}
      </span>
      {analysis && (
        <>
          <span>
            Width <strong>{analysis.maxWidth}</strong>
          </span>
          <span>
            Estimated duration <strong>{formatDuration(analysis.criticalPathMs)}</strong>
          </span>
          {analysis.criticalPath.length > 1 && (
            <span className="min-w-0 truncate" title={analysis.criticalPath.join(" → ")}>
              Critical path <span className="font-mono">{analysis.criticalPath.join(" → ")}</span>
            </span>
          )}
        </>
      )}
      <span className={`ml-auto font-medium ${problems > 0 ? "text-red-700" : "text-emerald-700"}`}>
        {validation === "failed"
          ? "Could not check the DAG"
          : problems > 0
            ? `${problems} problem${problems === 1 ? "" : "s"}`
            : validation === "checking"
              ? ""
              : "Valid"}
        {validation === "checking" && <span className="font-normal text-slate-500"> Checking…</span>}
      </span>
      {!laidOut && tasks > 0 && <span className="text-slate-500">Laying out…</span>}
    </section>
  );
}
