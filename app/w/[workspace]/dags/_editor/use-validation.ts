"use client";
// Live validation as the author types: the document goes to `dags.validate` (the same checks as
// saving, workspace variables included) once edits pause. Problems come back with paths by task
// position; they are re-keyed by task id, so that until the next answer arrives they stay on the
// right tasks even if tasks were added or removed meanwhile.
import { useMutation } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useWorkspace } from "@/app/_components/shell";
import { useTRPC } from "@/app/_lib/trpc";
import type { Problem } from "@/server/dags/validate";
import type { EditorDocument } from "./document";

const DELAY_MS = 300;

export interface Validation {
  /** The document these problems are about. */
  document: EditorDocument;
  problems: Problem[];
}

export function useValidation(document: EditorDocument, dagId: string | undefined) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const { mutateAsync } = useMutation(trpc.dags.validate.mutationOptions());
  const [result, setResult] = useState<Validation | null>(null);
  const [failed, setFailed] = useState(false);
  const latest = useRef(document);
  latest.current = document;

  useEffect(() => {
    const timer = setTimeout(async () => {
      try {
        const answer = await mutateAsync({ workspace: slug, document, ...(dagId ? { dagId } : {}) });
        if (latest.current !== document) return; // a newer edit will be validated
        setResult({ document, problems: answer.problems });
        setFailed(false);
      } catch {
        if (latest.current === document) setFailed(true);
      }
    }, DELAY_MS);
    return () => clearTimeout(timer);
  }, [document, dagId, slug, mutateAsync]);

  return {
    validation: result,
    /** The answer is about an older document (an edit is being checked). */
    checking: result?.document !== document && !failed,
    failed,
  };
}

const taskPath = /^tasks\[(\d+)\](?:\.(.*))?$/;

export type TaskProblem = Problem & { field: string };

/**
 * Problems by task id (from the validated document's positions), each with the field it is about
 * (`config.url`, `retries`, "" for the task itself); the rest are about the DAG.
 */
export function problemsByTask(validation: Validation | null) {
  const byTask = new Map<string, TaskProblem[]>();
  const rest: Problem[] = [];
  for (const problem of validation?.problems ?? []) {
    const match = taskPath.exec(problem.path);
    const task = match ? validation!.document.tasks[Number(match[1])] : undefined;
    if (!match || typeof task?.id !== "string") {
      rest.push(problem);
      continue;
    }
    const list = byTask.get(task.id) ?? [];
    list.push({ ...problem, field: match[2] ?? "" });
    byTask.set(task.id, list);
  }
  return { byTask, rest };
}
