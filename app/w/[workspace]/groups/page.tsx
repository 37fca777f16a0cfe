"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { EmptyState } from "@/app/_components/empty-state";
import { formErrors } from "@/app/_components/errors";
import { Field, SelectField } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader, Section } from "@/app/_components/page-header";
import { RoleBadge, roleLabel } from "@/app/_components/role-badge";
import { useWorkspace } from "@/app/_components/shell";
import { control } from "@/app/_components/styles";
import { useTRPC } from "@/app/_lib/trpc";
import { type Role, roleRank } from "@/server/tenancy/roles";

/** Roles a group may grant: every one but Owner, and none above the caller's own. */
const groupRoles = ["ADMIN", "EDITOR", "OPERATOR", "VIEWER"] as const;

function GroupRoleOptions({ max }: { max: Role }) {
  return (
    <>
      <option value="">No role (their own roles only)</option>
      {groupRoles.map((role) => (
        <option key={role} value={role} disabled={roleRank[role] > roleRank[max]}>
          {roleLabel(role)}
        </option>
      ))}
    </>
  );
}

export default function GroupsPage() {
  const workspace = useWorkspace();
  const manage = workspace.can("members:manage");
  return (
    <>
      <PageHeader
        title="Groups"
        description="Members grouped by team. A group's role applies to each of its members: everyone acts with the highest of their own role and their groups' roles."
      />
      {manage && <NewGroup />}
      <GroupList manage={manage} />
    </>
  );
}

function useRefresh() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.groups.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.members.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.workspace.get.queryKey() }),
    ]);
}

function NewGroup() {
  const { slug, role } = useWorkspace();
  const trpc = useTRPC();
  const refresh = useRefresh();
  const create = useMutation(trpc.groups.create.mutationOptions({ onSuccess: refresh }));
  const errors = formErrors(create.error, ["name", "role", "idpGroup"]);
  return (
    <Section title="New group" description="Name it after a team; give it a role now or later.">
      <Form
        className="grid gap-4 sm:grid-cols-4 sm:items-end"
        onValues={(values, form) =>
          create.mutate(
            {
              workspace: slug,
              name: values.name ?? "",
              role: (values.role || null) as (typeof groupRoles)[number] | null,
              idpGroup: values.idpGroup?.trim() ? values.idpGroup.trim() : null,
            },
            { onSuccess: () => form.reset() },
          )
        }
      >
        {errors.message && (
          <Alert tone="error" className="sm:col-span-4">
            {errors.message}
          </Alert>
        )}
        <Field label="Name" name="name" error={errors.fields.name} placeholder="on-call" />
        <SelectField label="Role" name="role" error={errors.fields.role} defaultValue="">
          <GroupRoleOptions max={role} />
        </SelectField>
        <Field
          label="SSO group (optional)"
          name="idpGroup"
          error={errors.fields.idpGroup}
          placeholder="oncall-team"
          hint="Kept in step at single sign-on"
        />
        <Button type="submit" pending={create.isPending} pendingLabel="Creating…">
          Create group
        </Button>
      </Form>
    </Section>
  );
}

function GroupList({ manage }: { manage: boolean }) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const groups = useQuery(trpc.groups.list.queryOptions({ workspace: slug }));
  return (
    <Loaded query={groups} label="groups">
      {(list) =>
        list.length === 0 ? (
          <EmptyState title="No groups yet">
            Groups give a role to several members at once: the finance analysts as Editors, the on-call
            rotation as Operators.
          </EmptyState>
        ) : (
          <div className="space-y-6">
            {list.map((group) => (
              <GroupCard key={group.id} group={group} manage={manage} />
            ))}
          </div>
        )
      }
    </Loaded>
  );
}

interface Group {
  id: string;
  name: string;
  description: string;
  role: Role | null;
  idpGroup: string | null;
  members: { memberId: string; email: string; name: string; role: Role }[];
}

function GroupCard({ group, manage }: { group: Group; manage: boolean }) {
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const refresh = useRefresh();
  const update = useMutation(trpc.groups.update.mutationOptions({ onSuccess: refresh }));
  const addMember = useMutation(trpc.groups.addMember.mutationOptions({ onSuccess: refresh }));
  const removeMember = useMutation(trpc.groups.removeMember.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.groups.delete.mutationOptions({ onSuccess: refresh }));
  const members = useQuery({
    ...trpc.members.list.queryOptions({ workspace: workspace.slug, limit: 100 }),
    enabled: manage,
  });
  const inGroup = new Set(group.members.map((m) => m.memberId));
  const candidates = (members.data?.items ?? []).filter((m) => !inGroup.has(m.id));
  const error = update.error ?? addMember.error ?? removeMember.error;
  return (
    <section aria-label={`Group ${group.name}`} className="rounded-lg border border-slate-200 bg-white p-5">
      <div className="mb-3 flex flex-wrap items-center gap-3">
        <h2 className="text-base font-semibold text-slate-900">{group.name}</h2>
        {group.role ? (
          <RoleBadge role={group.role} />
        ) : (
          <span className="text-xs text-slate-500">No role</span>
        )}
        {group.idpGroup && <span className="text-xs text-slate-500">SSO group: {group.idpGroup}</span>}
        {manage && (
          <div className="ml-auto flex items-center gap-2">
            <select
              aria-label={`Role of ${group.name}`}
              value={group.role ?? ""}
              disabled={update.isPending}
              onChange={(event) =>
                update.mutate({
                  workspace: workspace.slug,
                  groupId: group.id,
                  role: (event.target.value || null) as (typeof groupRoles)[number] | null,
                })
              }
              className={`${control} w-56 py-1.5 pr-8`}
            >
              <GroupRoleOptions max={workspace.role} />
            </select>
            <ConfirmButton
              variant="ghost"
              size="sm"
              title={`Delete the group ${group.name}?`}
              description={`Its ${group.members.length} member(s) keep their own roles and lose what the group gave them.`}
              confirmLabel="Delete group"
              pendingLabel="Deleting…"
              onConfirm={() => remove.mutateAsync({ workspace: workspace.slug, groupId: group.id })}
            >
              Delete<span className="sr-only"> group {group.name}</span>
            </ConfirmButton>
          </div>
        )}
      </div>
      {error && (
        <Alert tone="error" className="mb-3">
          {formErrors(error, []).message}
        </Alert>
      )}
      {group.members.length === 0 ? (
        <p className="text-sm text-slate-600">No members yet.</p>
      ) : (
        <ul className="divide-y divide-slate-100">
          {group.members.map((member) => (
            <li key={member.memberId} className="flex items-center gap-3 py-2 text-sm">
              <span className="font-medium text-slate-900">{member.name}</span>
              <span className="text-slate-600">{member.email}</span>
              <span className="text-xs text-slate-500">own role: {roleLabel(member.role)}</span>
              {manage && (
                <Button
                  variant="ghost"
                  size="sm"
                  className="ml-auto"
                  pending={removeMember.isPending && removeMember.variables?.memberId === member.memberId}
                  pendingLabel="Removing…"
                  onClick={() =>
                    removeMember.mutate({
                      workspace: workspace.slug,
                      groupId: group.id,
                      memberId: member.memberId,
                    })
                  }
                >
                  Remove
                  <span className="sr-only">
                    {" "}
                    {member.email} from {group.name}
                  </span>
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      {manage && candidates.length > 0 && (
        <Form
          className="mt-3 flex items-end gap-2"
          onValues={(values) =>
            values.memberId &&
            addMember.mutate({ workspace: workspace.slug, groupId: group.id, memberId: values.memberId })
          }
        >
          <SelectField
            label={`Add a member to ${group.name}`}
            name="memberId"
            className="w-72"
            defaultValue=""
          >
            <option value="" disabled>
              Choose a member
            </option>
            {candidates.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name} ({m.email})
              </option>
            ))}
          </SelectField>
          <Button type="submit" variant="secondary" pending={addMember.isPending} pendingLabel="Adding…">
            Add
          </Button>
        </Form>
      )}
    </section>
  );
}
