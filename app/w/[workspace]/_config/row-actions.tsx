"use client";
// Edit and Delete buttons of one row of a configuration table, named for screen readers; Delete
// asks first, saying what deleting does.
import { Button } from "@/app/_components/button";
import { ConfirmButton } from "@/app/_components/confirm-dialog";

export function RowActions({
  what,
  onEdit,
  onDelete,
  deleteWarning = "DAGs that use it will fail until it is back.",
}: {
  /** e.g. "variable warehouse" */
  what: string;
  onEdit: () => void;
  onDelete: () => Promise<unknown>;
  /** What deleting does, in the confirmation. */
  deleteWarning?: string | undefined;
}) {
  return (
    <div className="flex justify-end gap-1">
      <Button variant="ghost" size="sm" onClick={onEdit}>
        Edit<span className="sr-only"> {what}</span>
      </Button>
      <ConfirmButton
        variant="ghost"
        size="sm"
        className="text-red-700 hover:bg-red-50 hover:text-red-800"
        title={`Delete ${what}?`}
        description={deleteWarning}
        confirmLabel="Delete"
        pendingLabel="Deleting…"
        onConfirm={onDelete}
      >
        Delete<span className="sr-only"> {what}</span>
      </ConfirmButton>
    </div>
  );
}
