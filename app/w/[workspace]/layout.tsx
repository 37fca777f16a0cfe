import type { Metadata } from "next";
import type { ReactNode } from "react";
import { requireUser } from "@/app/_components/require-user";
import { WorkspaceShell } from "@/app/_components/shell";

interface Props {
  children: ReactNode;
  params: Promise<{ workspace: string }>;
}

export async function generateMetadata({ params }: Omit<Props, "children">): Promise<Metadata> {
  return { title: (await params).workspace };
}

export default async function WorkspaceLayout({ children, params }: Props) {
  const { workspace } = await params;
  const user = await requireUser(`/w/${workspace}`);
  return (
    <WorkspaceShell slug={workspace} email={user.email}>
      {children}
    </WorkspaceShell>
  );
}
