"use client";
// Edit and Delete buttons of one row of a configuration table, named for screen readers.
import { Button } from "@/app/_components/button";

export function RowActions({
  what,
  onEdit,
  onDelete,
  deleting,
  deleteWarning = "DAGs that use it will fail until it is back.",
}: {
  /** e.g. "variable warehouse" */
  what: string;
  onEdit: () => void;
  onDelete: () => void;
  deleting: boolean;
  /** Said after "Delete <what>?" in the confirmation. */
  deleteWarning?: string | undefined;
}) {
  return (
    <div className="flex justify-end gap-1">
      <Button variant="ghost" size="sm" onClick={onEdit}>
        Edit<span className="sr-only"> {what}</span>
      </Button>
      <Button
        variant="ghost"
        size="sm"
        pending={deleting}
        pendingLabel="Deleting…"
        onClick={() => {
          if (window.confirm(`Delete ${what}? ${deleteWarning}`)) onDelete();
        }}
        className="text-red-700 hover:bg-red-50 hover:text-red-800"
      >
        Delete<span className="sr-only"> {what}</span>
      </Button>
    </div>
  );
}
