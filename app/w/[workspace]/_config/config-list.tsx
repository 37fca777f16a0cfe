"use client";
// The table every configuration page shows (variables, secrets, connections): a "New" button for
// writers, the rows with Edit and Delete, an empty state, and the create/edit dialog. Pages give
// the columns and the dialog; this keeps the behaviour (and its accessibility) the same on all.
import type { ReactNode } from "react";
import { useState } from "react";
import { Button } from "@/app/_components/button";
import { EmptyState } from "@/app/_components/empty-state";
import { LoadMore } from "@/app/_components/load-more";
import { Loaded } from "@/app/_components/loaded";
import { useWorkspace } from "@/app/_components/shell";
import { Cell, Rows, Table } from "@/app/_components/table";
import type { Pages } from "@/app/_lib/pages";
import type { Permission } from "@/server/tenancy/roles";
import { RowActions } from "./row-actions";

export interface ConfigColumn<T> {
  header: string;
  cell: (item: T) => ReactNode;
  className?: string;
}

export function ConfigList<T>({
  noun,
  items,
  nameOf,
  columns,
  emptyHint,
  onDelete,
  dialog,
  writePermission = "config:write",
  readerHint = "Editors can add some.",
  deleteWarning,
}: {
  /** Singular, lower case: "variable". */
  noun: string;
  /** The rows: a list read with usePages (then "Load more" shows while there are more), or a plain query's. */
  items: { data: T[] | undefined; error: unknown } | Pages<T>;
  /** The row's key (and what screen readers hear with Edit and Delete). */
  nameOf: (item: T) => string;
  columns: ConfigColumn<T>[];
  /** What writers could add here, for the empty state. */
  emptyHint: string;
  /** Deletes the row (a mutation's mutateAsync), after the confirmation. */
  onDelete: (item: T) => Promise<unknown>;
  /** The create (item undefined) or edit dialog. */
  dialog: (item: T | undefined, close: () => void) => ReactNode;
  /** Who sees New, Edit and Delete (pools: workspace:update). */
  writePermission?: Permission;
  /** The empty state's words for those who cannot add. */
  readerHint?: string;
  /** What deleting does, in the delete confirmation. */
  deleteWarning?: string;
}) {
  const workspace = useWorkspace();
  const [editing, setEditing] = useState<{ item: T | undefined } | null>(null);
  const canWrite = workspace.can(writePermission);
  const close = () => setEditing(null);

  return (
    <>
      {canWrite && (
        <div className="mb-4">
          <Button onClick={() => setEditing({ item: undefined })}>New {noun}</Button>
        </div>
      )}
      <Loaded query={items} label={`${noun}s`}>
        {(list) =>
          list.length === 0 ? (
            <EmptyState title={`No ${noun}s yet`}>{canWrite ? emptyHint : readerHint}</EmptyState>
          ) : (
            <Table
              caption={`${noun[0]!.toUpperCase()}${noun.slice(1)}s`}
              columns={[...columns.map((c) => c.header), ...(canWrite ? ["Actions"] : [])]}
            >
              <Rows>
                {list.map((item) => (
                  <tr key={nameOf(item)}>
                    {columns.map((column) => (
                      <Cell key={column.header} className={column.className}>
                        {column.cell(item)}
                      </Cell>
                    ))}
                    {canWrite && (
                      <Cell>
                        <RowActions
                          what={`${noun} ${nameOf(item)}`}
                          onEdit={() => setEditing({ item })}
                          onDelete={() => onDelete(item)}
                          deleteWarning={deleteWarning}
                        />
                      </Cell>
                    )}
                  </tr>
                ))}
              </Rows>
            </Table>
          )
        }
      </Loaded>
      {"loadMore" in items && <LoadMore pages={items} noun={`${noun}s`} />}
      {editing && dialog(editing.item, close)}
    </>
  );
}
