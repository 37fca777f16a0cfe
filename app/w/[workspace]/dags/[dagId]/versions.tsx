"use client";
// Version history, and a visual diff between any two versions: tasks added, removed and changed,
// each changed field as a line diff (a one-line edit of a task's code shows as that line).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Alert } from "@/app/_components/alert";
import { AffectedList, ConfirmButton } from "@/app/_components/confirm-dialog";
import { SelectField } from "@/app/_components/field";
import { LineDiff } from "@/app/_components/line-diff";
import { LoadMore } from "@/app/_components/load-more";
import { Loaded } from "@/app/_components/loaded";
import { useWorkspace } from "@/app/_components/shell";
import { Cell, Rows, Table } from "@/app/_components/table";
import { Time } from "@/app/_components/time";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";
import type { DagDefinition } from "@/server/dags/definition";

export function Versions({ dagId }: { dagId: string }) {
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const versions = usePages((cursor) =>
    trpc.dags.versions.queryOptions({ workspace: workspace.slug, dagId, cursor }),
  );
  const restore = useMutation(
    trpc.dags.restore.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.dags.pathKey() }),
    }),
  );
  const canWrite = workspace.can("dags:write");
  return (
    <Loaded query={versions} label="versions">
      {(list) => (
        <div className="space-y-6">
          {restore.data && !restore.data.unchanged && (
            <Alert tone="success">
              Version {restore.data.restoredFrom} restored as version {restore.data.version}.
            </Alert>
          )}
          <Table
            caption="Versions"
            columns={["Version", "Message", "Author", "Saved", ...(canWrite ? ["Actions"] : [])]}
          >
            <Rows>
              {list.map((version) => (
                <tr key={version.number}>
                  <Cell className="font-medium text-slate-900">
                    v{version.number}
                    {version.current && (
                      <span className="ml-2 rounded bg-indigo-50 px-1.5 py-0.5 text-xs font-medium text-indigo-700">
                        current
                      </span>
                    )}
                  </Cell>
                  <Cell className="max-w-80">
                    {version.message || <span className="text-slate-400">No message</span>}
                  </Cell>
                  <Cell className="text-xs">{version.authorLabel}</Cell>
                  <Cell>
                    <Time value={version.createdAt} />
                  </Cell>
                  {canWrite && (
                    <Cell className="text-right">
                      {!version.current && (
                        <ConfirmButton
                          variant="ghost"
                          size="sm"
                          title={`Restore version ${version.number}?`}
                          description={`Its document is saved as a new version (v${list[0]!.number + 1}); new runs use it. Runs already started keep their version.`}
                          preview={
                            <RestorePreview
                              dagId={dagId}
                              from={list.find((v) => v.current)!.number}
                              to={version.number}
                            />
                          }
                          confirmLabel="Restore"
                          pendingLabel="Restoring…"
                          tone="primary"
                          onConfirm={() =>
                            restore.mutateAsync({ workspace: workspace.slug, dagId, number: version.number })
                          }
                        >
                          Restore<span className="sr-only"> version {version.number}</span>
                        </ConfirmButton>
                      )}
                    </Cell>
                  )}
                </tr>
              ))}
            </Rows>
          </Table>
          <LoadMore pages={versions} noun="versions" />
          {list.length > 1 && <VersionDiff dagId={dagId} numbers={list.map((v) => v.number)} />}
        </div>
      )}
    </Loaded>
  );
}

/** What restoring changes: the difference from the current version to the restored one. */
function RestorePreview({ dagId, from, to }: { dagId: string; from: number; to: number }) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const diff = useQuery(trpc.dags.diff.queryOptions({ workspace: slug, dagId, from, to }));
  return (
    <Loaded query={diff} label="the differences">
      {(data) => (
        <AffectedList
          label={`Compared with the current version (v${from})`}
          items={[
            ...data.added.map((id) => `+ ${id} (comes back)`),
            ...data.removed.map((id) => `− ${id} (goes away)`),
            ...data.changed.map(({ taskId, fields }) => `~ ${taskId}: ${fields.join(", ")}`),
            ...(data.dagFields.length > 0 ? [`DAG settings: ${data.dagFields.join(", ")}`] : []),
            ...(data.added.length + data.removed.length + data.changed.length + data.dagFields.length === 0
              ? ["No differences: nothing would change."]
              : []),
          ]}
        />
      )}
    </Loaded>
  );
}

function VersionDiff({ dagId, numbers }: { dagId: string; numbers: number[] }) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const [from, setFrom] = useState(numbers[1]!);
  const [to, setTo] = useState(numbers[0]!);
  const same = from === to;
  const diff = useQuery({
    ...trpc.dags.diff.queryOptions({ workspace: slug, dagId, from, to }),
    enabled: !same,
  });
  const before = useQuery({
    ...trpc.dags.version.queryOptions({ workspace: slug, dagId, number: from }),
    enabled: !same,
  });
  const after = useQuery({
    ...trpc.dags.version.queryOptions({ workspace: slug, dagId, number: to }),
    enabled: !same,
  });
  const picker = (label: string, value: number, set: (n: number) => void) => (
    <SelectField
      label={label}
      value={value}
      onChange={(event) => set(Number(event.target.value))}
      className="w-36"
    >
      {numbers.map((n) => (
        <option key={n} value={n}>
          v{n}
        </option>
      ))}
    </SelectField>
  );
  return (
    <section
      aria-labelledby="diff-heading"
      className="rounded-lg border border-slate-200 bg-white p-5 shadow-xs"
    >
      <h3 id="diff-heading" className="text-base font-semibold text-slate-900">
        Compare versions
      </h3>
      <div className="mt-3 flex flex-wrap items-end gap-3">
        {picker("From", from, setFrom)}
        {picker("To", to, setTo)}
      </div>
      <div className="mt-4">
        {same ? (
          <p className="text-sm text-slate-600">Choose two different versions.</p>
        ) : (
          <Loaded query={diff} label="the differences">
            {(data) => (
              <DiffView
                diff={data}
                before={before.data?.document as DagDefinition | undefined}
                after={after.data?.document as DagDefinition | undefined}
              />
            )}
          </Loaded>
        )}
      </div>
    </section>
  );
}

interface Diff {
  added: string[];
  removed: string[];
  changed: Array<{ taskId: string; fields: string[] }>;
  dagFields: string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A changed field as line diffs; a mapping (a task's `config`) as one diff per changed key, so that
 * a task's code is compared as the lines it is written in.
 */
function Change({ field, before, after }: { field: string; before: unknown; after: unknown }) {
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
      (key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]),
    );
    return (
      <>
        {keys.map((key) => (
          <Change key={key} field={`${field}.${key}`} before={before[key]} after={after[key]} />
        ))}
      </>
    );
  }
  return (
    <div className="mt-2 min-w-0">
      <p className="font-mono text-xs font-semibold text-slate-700">
        {field}
        {before === undefined && (
          <span className="ml-2 font-sans font-normal text-slate-500">(was not set)</span>
        )}
        {after === undefined && (
          <span className="ml-2 font-sans font-normal text-slate-500">(no longer set)</span>
        )}
      </p>
      <div className="mt-1">
        <LineDiff label={`Changes to ${field}`} before={before} after={after} />
      </div>
    </div>
  );
}

function DiffView({ diff, before, after }: { diff: Diff; before?: DagDefinition; after?: DagDefinition }) {
  const taskIn = (dag: DagDefinition | undefined, id: string) =>
    dag?.tasks.find((task) => task.id === id) as Record<string, unknown> | undefined;
  const nothing = diff.added.length + diff.removed.length + diff.changed.length + diff.dagFields.length === 0;
  if (nothing) return <p className="text-sm text-slate-600">The two versions are the same.</p>;
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-700">
        <span className="font-medium text-emerald-700">{diff.added.length} added</span> ·{" "}
        <span className="font-medium text-red-700">{diff.removed.length} removed</span> ·{" "}
        <span className="font-medium text-amber-700">{diff.changed.length} changed</span>
        {diff.dagFields.length > 0 && <> · DAG settings: {diff.dagFields.join(", ")}</>}
      </p>
      <ul className="space-y-2" aria-label="Changed tasks">
        {diff.added.map((id) => (
          <li
            key={`+${id}`}
            className="rounded-md border-l-4 border-emerald-500 bg-emerald-50 px-3 py-2 text-sm"
          >
            <span className="font-semibold text-emerald-800">Added</span>{" "}
            <span className="font-mono">{id}</span>
          </li>
        ))}
        {diff.removed.map((id) => (
          <li key={`-${id}`} className="rounded-md border-l-4 border-red-500 bg-red-50 px-3 py-2 text-sm">
            <span className="font-semibold text-red-800">Removed</span>{" "}
            <span className="font-mono line-through">{id}</span>
          </li>
        ))}
        {diff.changed.map(({ taskId, fields }) => (
          <li
            key={`~${taskId}`}
            className="min-w-0 rounded-md border-l-4 border-amber-500 bg-amber-50/50 px-3 py-2 text-sm"
          >
            <span className="font-semibold text-amber-800">Changed</span>{" "}
            <span className="font-mono">{taskId}</span>{" "}
            <span className="text-slate-600">({fields.join(", ")})</span>
            {fields.map((field) => (
              <Change
                key={field}
                field={field}
                before={taskIn(before, taskId)?.[field]}
                after={taskIn(after, taskId)?.[field]}
              />
            ))}
          </li>
        ))}
      </ul>
      {diff.dagFields.map((field) => (
        <Change
          key={field}
          field={`DAG ${field}`}
          before={(before as Record<string, unknown> | undefined)?.[field]}
          after={(after as Record<string, unknown> | undefined)?.[field]}
        />
      ))}
    </div>
  );
}
