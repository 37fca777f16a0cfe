"use client";
// Folders: what each holds, a new one (Owners and Admins), and the way to each folder's access page.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { EmptyState } from "@/app/_components/empty-state";
import { formErrors } from "@/app/_components/errors";
import { Field } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader, Section } from "@/app/_components/page-header";
import { useWorkspace } from "@/app/_components/shell";
import { link } from "@/app/_components/styles";
import { Cell, Rows, Table } from "@/app/_components/table";
import { useTRPC } from "@/app/_lib/trpc";

export default function FoldersPage() {
  const workspace = useWorkspace();
  return (
    <>
      <PageHeader
        title="Folders"
        description="Folders hold DAGs, variables, secrets and connections. A role granted on a folder applies to what it holds, on top of everyone's workspace role."
      />
      {workspace.can("members:manage") && <NewFolder />}
      <FolderList />
    </>
  );
}

function NewFolder() {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.folders.create.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.folders.pathKey() }),
    }),
  );
  const errors = formErrors(create.error, ["name", "description"]);
  return (
    <Section title="New folder" description="Name it after the team or the data it holds.">
      <Form
        className="grid gap-4 sm:grid-cols-3 sm:items-end"
        onValues={(values, form) =>
          create.mutate(
            { workspace: slug, name: values.name ?? "", description: values.description ?? "" },
            { onSuccess: () => form.reset() },
          )
        }
      >
        {errors.message && (
          <Alert tone="error" className="sm:col-span-3">
            {errors.message}
          </Alert>
        )}
        <Field label="Folder name" name="name" error={errors.fields.name} placeholder="finance" />
        <Field label="Description (optional)" name="description" error={errors.fields.description} />
        <Button type="submit" pending={create.isPending} pendingLabel="Creating…">
          Create folder
        </Button>
      </Form>
    </Section>
  );
}

function FolderList() {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const folders = useQuery(trpc.folders.list.queryOptions({ workspace: slug }));
  return (
    <Loaded query={folders} label="folders">
      {(list) =>
        list.length === 0 ? (
          <EmptyState title="No folders yet">
            Everything is at the workspace root. Folders let the finance analysts edit their own DAGs while
            only viewing the platform team's, or give a contractor one folder and nothing else.
          </EmptyState>
        ) : (
          <Table caption="Folders" columns={["Folder", "DAGs", "Variables", "Secrets", "Connections"]}>
            <Rows>
              {list.map((folder) => (
                <tr key={folder.id}>
                  <Cell>
                    <Link href={`/w/${slug}/folders/${folder.id}`} className={`font-mono ${link}`}>
                      {folder.name}
                    </Link>
                    {folder.description && (
                      <p className="mt-0.5 text-xs text-slate-600">{folder.description}</p>
                    )}
                  </Cell>
                  <Cell>{folder.contents.dags}</Cell>
                  <Cell>{folder.contents.variables}</Cell>
                  <Cell>{folder.contents.secrets}</Cell>
                  <Cell>{folder.contents.connections}</Cell>
                </tr>
              ))}
            </Rows>
          </Table>
        )
      }
    </Loaded>
  );
}
