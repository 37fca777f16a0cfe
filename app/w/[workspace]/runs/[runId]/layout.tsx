import type { ReactNode } from "react";
import { requireRun } from "@/app/_lib/page-scope";

/** The run page answers 404 for a run the workspace does not have. */
export default async function RunLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ workspace: string; runId: string }>;
}) {
  const { workspace, runId } = await params;
  await requireRun(workspace, runId);
  return children;
}
