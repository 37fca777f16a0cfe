"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { EmptyState } from "@/app/_components/empty-state";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader } from "@/app/_components/page-header";
import { RoleBadge } from "@/app/_components/role-badge";
import { RunsTable } from "@/app/_components/runs-table";
import { useWorkspace } from "@/app/_components/shell";
import { isRunFinished } from "@/app/_components/state-badge";
import { buttonClass, link } from "@/app/_components/styles";
import { useTRPC } from "@/app/_lib/trpc";
import { TemplateGallery } from "./dags/_templates/template-gallery";

const SHOWN_DAGS = 12;

export default function OverviewPage() {
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const dags = useQuery({
    ...trpc.dags.list.queryOptions({ workspace: workspace.slug, limit: SHOWN_DAGS }),
    select: (page) => page.items,
  });
  const runs = useQuery({
    ...trpc.runs.list.queryOptions({ workspace: workspace.slug, limit: 10 }),
    select: (page) => page.items,
    refetchInterval: (query) =>
      query.state.data?.items.some((run) => !isRunFinished(run.state)) ? 3000 : 30_000,
  });
  const base = `/w/${workspace.slug}`;
  return (
    <>
      <PageHeader
        title={workspace.name}
        description={
          <span className="inline-flex items-center gap-2">
            Your role <RoleBadge role={workspace.role} />
          </span>
        }
      />
      <section aria-labelledby="dags-heading" className="mb-8">
        <div className="mb-3 flex items-baseline justify-between gap-4">
          <h2 id="dags-heading" className="text-base font-semibold text-slate-900">
            DAGs
          </h2>
          {!!dags.data?.length && (
            <Link href={`${base}/dags`} className={`text-sm ${link}`}>
              All DAGs
            </Link>
          )}
        </div>
        <Loaded query={dags} label="DAGs">
          {(list) =>
            list.length === 0 ? (
              <EmptyState
                title="No DAGs yet"
                action={
                  workspace.can("dags:write") && (
                    <Link href={`${base}/dags/new`} className={buttonClass()}>
                      Create your first DAG
                    </Link>
                  )
                }
              >
                DAGs you create will appear here.
                {workspace.can("dags:write") && <TemplateGallery />}
              </EmptyState>
            ) : (
              <ul className="flex flex-wrap gap-2">
                {list.map((dag) => (
                  <li key={dag.dagId}>
                    <Link
                      href={`${base}/dags/${dag.dagId}`}
                      className={`inline-block rounded-md border border-slate-200 bg-white px-3 py-1.5 font-mono text-sm shadow-xs ${link}`}
                    >
                      {dag.dagId}
                    </Link>
                  </li>
                ))}
              </ul>
            )
          }
        </Loaded>
      </section>
      <section aria-labelledby="runs-heading">
        <h2 id="runs-heading" className="mb-3 text-base font-semibold text-slate-900">
          Recent runs
        </h2>
        <Loaded query={runs} label="runs">
          {(list) =>
            list.length === 0 ? (
              <EmptyState title="No runs yet">
                Trigger a DAG from its page; its runs will be listed here.
              </EmptyState>
            ) : (
              <RunsTable runs={list} caption="Recent runs" withDag />
            )
          }
        </Loaded>
      </section>
    </>
  );
}
