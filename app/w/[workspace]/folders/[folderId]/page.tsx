"use client";
// One folder: what it holds, who has access and why ("folder grant via group on-call"), the grants
// (Owners and Admins give and revoke them), and deleting it once it is empty.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams, useRouter } from "next/navigation";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { formErrors, type Problem } from "@/app/_components/errors";
import { SelectField } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader, Section } from "@/app/_components/page-header";
import { RoleBadge, roleLabel } from "@/app/_components/role-badge";
import { useWorkspace } from "@/app/_components/shell";
import { Cell, Rows, Table } from "@/app/_components/table";
import { useTRPC } from "@/app/_lib/trpc";
import { type FolderRole, folderRoles } from "@/server/tenancy/roles";

export default function FolderPage() {
  const workspace = useWorkspace();
  const { folderId } = useParams<{ folderId: string }>();
  const trpc = useTRPC();
  const folder = useQuery(trpc.folders.get.queryOptions({ workspace: workspace.slug, folderId }));
  return (
    <Loaded query={folder} label="folder">
      {(found) => (
        <>
          <PageHeader
            title={`Folder ${found.name}`}
            description={
              found.description ||
              `Holds ${found.contents.dags} DAG(s), ${found.contents.variables} variable(s), ${found.contents.secrets} secret(s) and ${found.contents.connections} connection(s).`
            }
            actions={
              workspace.can("members:manage") && <DeleteFolder folderId={folderId} name={found.name} />
            }
          />
          {workspace.can("members:read") && <Access folderId={folderId} />}
        </>
      )}
    </Loaded>
  );
}

function DeleteFolder({ folderId, name }: { folderId: string; name: string }) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const remove = useMutation(
    trpc.folders.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.folders.pathKey() });
        router.push(`/w/${slug}/folders`);
      },
    }),
  );
  // What the folder still holds, by kind (the server's problems: dags, variables, secrets, connections).
  const held = (remove.error as { data?: { problems?: Problem[] } } | null)?.data?.problems ?? [];
  return (
    <div className="flex flex-col items-end gap-2">
      <ConfirmButton
        variant="ghost"
        size="sm"
        title={`Delete the folder ${name}?`}
        description="Only an empty folder is deleted; its grants go with it."
        confirmLabel="Delete folder"
        pendingLabel="Deleting…"
        onConfirm={() => remove.mutateAsync({ workspace: slug, folderId }).catch(() => undefined)}
      >
        Delete folder
      </ConfirmButton>
      {remove.error && (
        <Alert tone="error">
          {remove.error.message}
          <ul className="mt-1 list-disc pl-5" aria-label="What it holds">
            {held.map((problem) => (
              <li key={problem.path}>
                {problem.path}: {problem.message}
              </li>
            ))}
          </ul>
        </Alert>
      )}
    </div>
  );
}

function Access({ folderId }: { folderId: string }) {
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const access = useQuery(trpc.folders.access.queryOptions({ workspace: workspace.slug, folderId }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.folders.pathKey() });
  const revoke = useMutation(trpc.folders.revoke.mutationOptions({ onSuccess: refresh }));
  const manage = workspace.can("members:manage");
  return (
    <Loaded query={access} label="access">
      {(found) => (
        <>
          <Section
            title="Who has access"
            description="Each member acts here with the highest of their workspace role and this folder's grants to them or their groups."
          >
            <Table caption="Who has access" columns={["Member", "Acts here as", "Why"]}>
              <Rows>
                {found.access.map((member) => (
                  <tr key={member.memberId}>
                    <Cell>{member.email}</Cell>
                    <Cell>
                      <RoleBadge role={member.role} />
                    </Cell>
                    <Cell className="text-sm text-slate-700">
                      {`${member.via}: ${roleLabel(member.role)}`}
                    </Cell>
                  </tr>
                ))}
              </Rows>
            </Table>
          </Section>
          <Section title="Grants" description="Roles given on this folder to a member or a group.">
            {found.grants.length === 0 ? (
              <p className="text-sm text-slate-600">No grants: only workspace roles apply here.</p>
            ) : (
              <ul className="divide-y divide-slate-200" aria-label="Grants">
                {found.grants.map((grant) => (
                  <li key={grant.id} className="flex items-center justify-between py-2 text-sm">
                    <span>
                      {grant.grantee} <RoleBadge role={grant.role} />
                    </span>
                    {manage && (
                      <Button
                        variant="ghost"
                        size="sm"
                        pending={revoke.isPending}
                        onClick={() =>
                          revoke.mutate({ workspace: workspace.slug, folderId, grantId: grant.id })
                        }
                      >
                        Revoke
                      </Button>
                    )}
                  </li>
                ))}
              </ul>
            )}
            {manage && <GrantForm folderId={folderId} onGranted={refresh} />}
          </Section>
        </>
      )}
    </Loaded>
  );
}

function GrantForm({ folderId, onGranted }: { folderId: string; onGranted: () => Promise<unknown> }) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const members = useQuery(trpc.members.list.queryOptions({ workspace: slug, limit: 100 }));
  const groups = useQuery(trpc.groups.list.queryOptions({ workspace: slug }));
  const grant = useMutation(trpc.folders.grant.mutationOptions({ onSuccess: onGranted }));
  const errors = formErrors(grant.error, ["memberId", "role"]);
  return (
    <Form
      className="mt-4 grid gap-4 sm:grid-cols-3 sm:items-end"
      onValues={(values) => {
        const [kind, id] = (values.grantee ?? "").split(":");
        grant.mutate({
          workspace: slug,
          folderId,
          role: (values.role ?? "VIEWER") as FolderRole,
          ...(kind === "group" ? { groupId: id } : { memberId: id }),
        });
      }}
    >
      {errors.message && (
        <Alert tone="error" className="sm:col-span-3">
          {errors.message}
        </Alert>
      )}
      <SelectField label="Grant to" name="grantee" error={errors.fields.memberId}>
        <optgroup label="Groups">
          {(groups.data ?? []).map((group) => (
            <option key={group.id} value={`group:${group.id}`}>
              group {group.name}
            </option>
          ))}
        </optgroup>
        <optgroup label="Members">
          {(members.data?.items ?? []).map((member) => (
            <option key={member.id} value={`member:${member.id}`}>
              {member.email}
            </option>
          ))}
        </optgroup>
      </SelectField>
      <SelectField label="Folder role" name="role" defaultValue="VIEWER" error={errors.fields.role}>
        {folderRoles.map((role) => (
          <option key={role} value={role}>
            {roleLabel(role)}
          </option>
        ))}
      </SelectField>
      <Button type="submit" pending={grant.isPending} pendingLabel="Granting…">
        Grant
      </Button>
    </Form>
  );
}
