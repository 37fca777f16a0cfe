import type { Metadata } from "next";
import type { ReactNode } from "react";
import { WorkspaceShell } from "@/app/_components/shell";
import { pageWorkspace } from "@/app/_lib/page-scope";

interface Props {
  children: ReactNode;
  params: Promise<{ workspace: string }>;
}

export async function generateMetadata({ params }: Omit<Props, "children">): Promise<Metadata> {
  return { title: (await params).workspace };
}

export default async function WorkspaceLayout({ children, params }: Props) {
  const { workspace: slug } = await params;
  // A workspace that does not exist, or is not yours, answers 404 (app/not-found.tsx).
  const { user, workspace } = await pageWorkspace(slug);
  return (
    <WorkspaceShell slug={slug} email={user.email} initial={workspace}>
      {children}
    </WorkspaceShell>
  );
}
