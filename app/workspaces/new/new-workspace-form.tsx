"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { WorkspaceNameForm } from "@/app/_components/workspace-name-form";
import { useTRPC } from "@/app/_lib/trpc";

export function NewWorkspaceForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.account.createWorkspace.mutationOptions({
      onSuccess: async ({ slug }) => {
        await queryClient.invalidateQueries({ queryKey: trpc.account.workspaces.queryKey() });
        router.push(`/w/${slug}`);
      },
    }),
  );
  return (
    <WorkspaceNameForm
      submitLabel="Create workspace"
      pendingLabel="Creating…"
      pending={create.isPending || create.isSuccess}
      error={create.error}
      onSubmit={(name) => create.mutate({ name })}
    />
  );
}
