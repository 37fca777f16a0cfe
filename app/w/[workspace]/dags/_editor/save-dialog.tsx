"use client";
// Saving makes a new version: the author says what changed, the server validates once more.
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { Dialog, DialogActions } from "@/app/_components/dialog";
import { errorMessage } from "@/app/_components/errors";
import { Field } from "@/app/_components/field";
import { Form } from "@/app/_components/form";

interface ServerProblem {
  path: string;
  message: string;
}

/**
 * What the dialog shows of a refused save: a title and the document's problems, each once. A refusal
 * without problems (the DAG quota, a conflict) is its message alone, as the title, not repeated
 * under it.
 */
export function saveFailure(error: unknown): { title: string; problems: ServerProblem[] } {
  const problems = ((error as { data?: { problems?: ServerProblem[] } } | null)?.data?.problems ??
    []) as ServerProblem[];
  if (problems.length > 0) return { title: (error as Error).message || "Saving failed", problems };
  return { title: errorMessage(error) || "Saving failed", problems: [] };
}

export function SaveDialog({
  open,
  onClose,
  onSave,
  pending,
  error,
  localProblems,
}: {
  open: boolean;
  onClose: () => void;
  onSave: (message: string) => void;
  pending: boolean;
  error: unknown;
  /** Problems the editor already knows of: saving would be refused. */
  localProblems: number;
}) {
  const failure = error ? saveFailure(error) : null;
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Save a new version"
      description="Runs started from now on use it."
    >
      <Form onValues={(values) => onSave(values.message ?? "")}>
        {localProblems > 0 && (
          <Alert tone="warning">
            The DAG has {localProblems} problem{localProblems === 1 ? "" : "s"}: the server will refuse it
            until they are fixed.
          </Alert>
        )}
        {failure ? (
          <Alert tone="error" title={failure.title}>
            {failure.problems.length > 0 ? (
              <ul className="space-y-1">
                {failure.problems.map((problem) => (
                  <li key={`${problem.path}:${problem.message}`}>
                    <code className="font-mono text-xs">{problem.path || "document"}</code> {problem.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </Alert>
        ) : null}
        <Field
          label="What changed?"
          name="message"
          maxLength={2000}
          autoComplete="off"
          autoFocus
          placeholder="Retry the fetch more often"
        />
        <DialogActions onCancel={onClose}>
          <Button type="submit" pending={pending}>
            Save version
          </Button>
        </DialogActions>
      </Form>
    </Dialog>
  );
}
