import type { ReactNode } from "react";
import { requireDag } from "@/app/_lib/page-scope";

/** The DAG's pages (overview, editor) answer 404 for a DAG the workspace does not have. */
export default async function DagLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ workspace: string; dagId: string }>;
}) {
  const { workspace, dagId } = await params;
  await requireDag(workspace, dagId);
  return children;
}
