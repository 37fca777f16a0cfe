"use client";
import { useQueries, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo, useState } from "react";
import { EmptyState } from "@/app/_components/empty-state";
import { Field, SelectField } from "@/app/_components/field";
import { LoadMore } from "@/app/_components/load-more";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader } from "@/app/_components/page-header";
import { useWorkspace } from "@/app/_components/shell";
import { isRunFinished } from "@/app/_components/state-badge";
import { buttonClass, link } from "@/app/_components/styles";
import { Cell, Rows, Table } from "@/app/_components/table";
import { Time } from "@/app/_components/time";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";
import { PauseSwitch } from "./_components/pause-switch";
import { RunChips } from "./_components/run-chips";
import { describeSchedule } from "./_components/schedule";
import { TemplateGallery } from "./_templates/template-gallery";

/** Runs shown per DAG. */
const LAST_RUNS = 5;

export default function DagsPage() {
  const workspace = useWorkspace();
  return (
    <>
      <PageHeader
        title="DAGs"
        description="Workflows of this workspace: when they run and how their last runs went."
        actions={
          workspace.can("dags:write") && (
            <Link href={`/w/${workspace.slug}/dags/new`} className={buttonClass()}>
              New DAG
            </Link>
          )
        }
      />
      <FolderTree />
    </>
  );
}

/** The folder shown: every DAG in reach, the workspace root's (null), or one folder's (its name). */
type FolderChoice = { all: true } | { all: false; folder: string | null };

/** The folders beside the DAG list: choosing one lists its DAGs. */
function FolderTree() {
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const folders = useQuery(trpc.folders.list.queryOptions({ workspace: workspace.slug }));
  const [choice, setChoice] = useState<FolderChoice>({ all: true });
  const item = (label: string, value: FolderChoice, count?: number) => {
    const current =
      choice.all === value.all && (choice.all || (!value.all && choice.folder === value.folder));
    return (
      <li key={label}>
        <button
          type="button"
          aria-current={current ? "true" : undefined}
          onClick={() => setChoice(value)}
          className={`flex w-full items-center justify-between rounded-md px-2 py-1.5 text-left text-sm ${
            current ? "bg-indigo-50 font-medium text-indigo-700" : "text-slate-700 hover:bg-slate-100"
          }`}
        >
          <span className="truncate">{label}</span>
          {count !== undefined && <span className="text-xs text-slate-500">{count}</span>}
        </button>
      </li>
    );
  };
  return (
    <div className="grid gap-6 md:grid-cols-[12rem_minmax(0,1fr)]">
      <nav aria-label="Folders">
        <ul className="space-y-0.5">
          {item("All DAGs", { all: true })}
          {workspace.can("workspace:read") && item("Workspace root", { all: false, folder: null })}
          {(folders.data ?? []).map((folder) =>
            item(folder.name, { all: false, folder: folder.name }, folder.contents.dags),
          )}
        </ul>
        <Link href={`/w/${workspace.slug}/folders`} className={`mt-3 inline-block px-2 text-xs ${link}`}>
          Manage folders
        </Link>
      </nav>
      <div className="min-w-0">
        <DagList
          key={choice.all ? "*" : String(choice.folder)}
          folder={choice.all ? undefined : choice.folder}
        />
      </div>
    </div>
  );
}

function DagList({ folder }: { folder: string | null | undefined }) {
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const dags = usePages((cursor) =>
    trpc.dags.list.queryOptions({
      workspace: workspace.slug,
      cursor,
      ...(folder !== undefined ? { folder } : {}),
    }),
  );
  const [search, setSearch] = useState("");
  const [tag, setTag] = useState("");
  const list = dags.data ?? [];
  const tags = useMemo(() => [...new Set(list.flatMap((dag) => dag.tags))].sort(), [list]);
  const needle = search.trim().toLowerCase();
  const shown = list.filter(
    (dag) =>
      (!tag || dag.tags.includes(tag)) &&
      (!needle ||
        [dag.dagId, dag.title ?? "", dag.description ?? "", dag.owner ?? ""].some((text) =>
          text.toLowerCase().includes(needle),
        )),
  );
  // The last runs of every DAG shown, in one batched request; refreshed while any is unfinished.
  const runs = useQueries({
    queries: shown.map((dag) => ({
      ...trpc.runs.list.queryOptions({ workspace: workspace.slug, dagId: dag.dagId, limit: LAST_RUNS }),
      refetchInterval: (query: { state: { data?: { items: Array<{ state: string }> } } }) =>
        query.state.data?.items.some((run) => !isRunFinished(run.state)) ? 3000 : 30_000,
    })),
  });

  return (
    <Loaded query={dags} label="DAGs">
      {() =>
        list.length === 0 ? (
          <EmptyState
            title="No DAGs yet"
            action={
              workspace.can("dags:write") && (
                <Link href={`/w/${workspace.slug}/dags/new`} className={buttonClass()}>
                  Create your first DAG
                </Link>
              )
            }
          >
            {workspace.can("dags:write")
              ? "A DAG is a workflow: tasks and the order they run in. Draw one in the editor, or push a YAML file with the API."
              : "An editor of this workspace can create one; it will appear here."}
            {workspace.can("dags:write") && <TemplateGallery />}
          </EmptyState>
        ) : (
          <>
            <search className="mb-4 grid gap-3 sm:grid-cols-[minmax(0,1fr)_14rem]">
              <Field
                label="Search"
                type="search"
                value={search}
                placeholder="Name, title, description or owner"
                onChange={(event) => setSearch(event.target.value)}
              />
              <SelectField label="Tag" value={tag} onChange={(event) => setTag(event.target.value)}>
                <option value="">All tags</option>
                {tags.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </SelectField>
            </search>
            {shown.length === 0 ? (
              <EmptyState title="No DAG matches">Change the search or the tag filter.</EmptyState>
            ) : (
              <Table
                caption="DAGs"
                columns={["DAG", "Folder", "Tags", "Schedule", "Next run", "Last runs", "Scheduling"]}
              >
                <Rows>
                  {shown.map((dag, i) => (
                    <tr key={dag.dagId}>
                      <Cell className="min-w-48">
                        <Link href={`/w/${workspace.slug}/dags/${dag.dagId}`} className={`font-mono ${link}`}>
                          {dag.dagId}
                        </Link>
                        {dag.title && <p className="mt-0.5 text-xs text-slate-600">{dag.title}</p>}
                      </Cell>
                      <Cell className="text-xs text-slate-700">{dag.folder ?? "—"}</Cell>
                      <Cell>
                        <ul className="flex flex-wrap gap-1" aria-label="Tags">
                          {dag.tags.map((t) => (
                            <li key={t}>
                              <button
                                type="button"
                                onClick={() => setTag(t)}
                                className="rounded-md bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700 hover:bg-indigo-50 hover:text-indigo-700"
                                title={`Show DAGs tagged ${t}`}
                              >
                                {t}
                              </button>
                            </li>
                          ))}
                        </ul>
                      </Cell>
                      <Cell className="font-mono text-xs">{describeSchedule(dag.schedule)}</Cell>
                      <Cell>
                        {dag.scheduleError ? (
                          <span className="text-xs font-medium text-red-700" title={dag.scheduleError}>
                            Schedule stopped
                          </span>
                        ) : dag.schedule && !dag.paused ? (
                          <Time value={dag.nextRunAt} fallback="—" />
                        ) : (
                          <span className="text-slate-400">—</span>
                        )}
                      </Cell>
                      <Cell>
                        {runs[i]?.data ? (
                          <RunChips workspace={workspace.slug} runs={runs[i].data.items} />
                        ) : (
                          <span className="text-xs text-slate-400">…</span>
                        )}
                      </Cell>
                      <Cell>
                        <PauseSwitch dagId={dag.dagId} paused={dag.paused} />
                      </Cell>
                    </tr>
                  ))}
                </Rows>
              </Table>
            )}
            <LoadMore pages={dags} noun="DAGs" />
          </>
        )
      }
    </Loaded>
  );
}
