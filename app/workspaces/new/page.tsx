import type { Metadata } from "next";
import Link from "next/link";
import { CenteredPage } from "@/app/_components/centered-page";
import { requireUser } from "@/app/_components/require-user";
import { link } from "@/app/_components/styles";
import { NewWorkspaceForm } from "./new-workspace-form";

export const metadata: Metadata = { title: "New workspace" };

export default async function NewWorkspacePage() {
  await requireUser("/workspaces/new");
  return (
    <CenteredPage
      title="Create a workspace"
      description="A workspace holds a team’s DAGs, runs, members and API tokens. You will be its owner."
      footer={
        <Link href="/" className={link}>
          Back to your workspaces
        </Link>
      }
    >
      <NewWorkspaceForm />
    </CenteredPage>
  );
}
