"use client";
import { EmptyState } from "@/app/_components/empty-state";
import { PageHeader } from "@/app/_components/page-header";
import { RoleBadge } from "@/app/_components/role-badge";
import { useWorkspace } from "@/app/_components/shell";

export default function OverviewPage() {
  const workspace = useWorkspace();
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
      <h2 className="mb-3 text-base font-semibold text-slate-900">DAGs</h2>
      <EmptyState title="No DAGs yet">DAGs you create will appear here.</EmptyState>
    </>
  );
}
