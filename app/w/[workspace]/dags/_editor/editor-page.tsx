"use client";
// The editor's page: a new DAG, or the current version of a saved one. Only roles that may write
// DAGs get the editor (the server refuses pushes from the others anyway).
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo } from "react";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader } from "@/app/_components/page-header";
import { RequirePermission, useWorkspace } from "@/app/_components/shell";
import { link } from "@/app/_components/styles";
import { useTRPC } from "@/app/_lib/trpc";
import { DagEditor, type EditorCatalog } from "./dag-editor";
import { type EditorDocument, emptyDocument } from "./document";

export function EditorPage({
  catalog,
  dagId,
  template,
}: {
  catalog: EditorCatalog;
  dagId?: string;
  /** A new DAG started from a template. */
  template?: { title: string; document: EditorDocument } | undefined;
}) {
  const { slug } = useWorkspace();
  return (
    <>
      <PageHeader
        title={dagId ? `Edit ${dagId}` : template ? `New DAG from “${template.title}”` : "New DAG"}
        description={
          <>
            Drag operators onto the canvas, connect a task’s right handle to another’s left to make it run
            after it, and select a task to configure it. <kbd>Ctrl</kbd>+<kbd>S</kbd> saves, <kbd>Ctrl</kbd>+
            <kbd>Z</kbd> undoes, <kbd>Delete</kbd> removes the selection.{" "}
            <Link href={`/w/${slug}/dags`} className={link}>
              All DAGs
            </Link>
          </>
        }
      />
      <RequirePermission permission="dags:write">
        {dagId ? (
          <ExistingDag dagId={dagId} catalog={catalog} />
        ) : (
          <DagEditor initial={template?.document ?? emptyDocument()} catalog={catalog} />
        )}
      </RequirePermission>
    </>
  );
}

function ExistingDag({ dagId, catalog }: { dagId: string; catalog: EditorCatalog }) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  // Loaded once: refetching under the author's feet would replace their work.
  const dag = useQuery({
    ...trpc.dags.get.queryOptions({ workspace: slug, dagId }),
    staleTime: Number.POSITIVE_INFINITY,
    refetchOnWindowFocus: false,
  });
  const measured = useMemo(() => {
    const estimates = dag.data?.analysis.estimates ?? {};
    return new Map(
      Object.entries(estimates).flatMap(([id, estimate]) =>
        estimate.source === "history" ? [[id, estimate.ms]] : [],
      ),
    );
  }, [dag.data]);
  return (
    <Loaded query={dag} label="the DAG">
      {(data) => (
        <DagEditor
          initial={data.document as unknown as EditorDocument}
          catalog={catalog}
          existing={dagId}
          baseVersion={data.version.hash}
          measured={measured}
        />
      )}
    </Loaded>
  );
}
