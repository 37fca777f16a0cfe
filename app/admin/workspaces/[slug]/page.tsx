import type { Metadata } from "next";
import { WorkspaceDetail } from "./workspace-detail";

export const metadata: Metadata = { title: "Workspace" };

export default async function Page({ params }: { params: Promise<{ slug: string }> }) {
  return <WorkspaceDetail slug={(await params).slug} />;
}
