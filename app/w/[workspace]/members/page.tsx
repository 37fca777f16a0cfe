"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { AffectedList, ConfirmButton, ConfirmDialog } from "@/app/_components/confirm-dialog";
import { CopyField } from "@/app/_components/copy-field";
import { EmptyState } from "@/app/_components/empty-state";
import { GrantForm } from "@/app/_components/grant-form";
import { LoadMore } from "@/app/_components/load-more";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader, Section } from "@/app/_components/page-header";
import { RoleBadge, RoleOptions, roleLabel } from "@/app/_components/role-badge";
import { useWorkspace } from "@/app/_components/shell";
import { control } from "@/app/_components/styles";
import { Cell, Rows, Table } from "@/app/_components/table";
import { Time } from "@/app/_components/time";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";
import { can, type Permission, permissions, type Role } from "@/server/tenancy/roles";

export default function MembersPage() {
  const workspace = useWorkspace();
  const manage = workspace.can("members:manage");
  return (
    <>
      <PageHeader
        title="Members"
        description={`People with access to ${workspace.name}, and what their role lets them do.`}
      />
      {manage && <InviteSection />}
      <MemberList manage={manage} />
      {manage && <PendingInvitations />}
    </>
  );
}

/** Refreshes members and invitations (and your own role, which a change may have touched). */
function useRefresh() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.members.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.workspace.get.queryKey() }),
    ]);
}

function InviteSection() {
  const { slug, role } = useWorkspace();
  const trpc = useTRPC();
  const refresh = useRefresh();
  const invite = useMutation(trpc.members.invite.mutationOptions({ onSuccess: refresh }));
  return (
    <Section title="Invite someone" description="They get a link that works once and expires in 7 days.">
      <GrantForm
        label="E-mail"
        name="email"
        type="email"
        maxRole={role}
        submitLabel="Invite"
        pendingLabel="Inviting…"
        onGrant={(email, role) => invite.mutateAsync({ workspace: slug, email, role })}
      />
      {invite.data && (
        <div className="mt-5 border-t border-slate-100 pt-5">
          <CopyField label="Invitation link" value={invite.data.link} copyLabel="Copy link" />
          <p className="text-sm text-slate-600">
            {invite.data.emailed
              ? `We e-mailed this link to ${invite.data.email}.`
              : `The link was not e-mailed (e-mail is not set up): send it to ${invite.data.email} yourself.`}
          </p>
        </div>
      )}
    </Section>
  );
}

interface Member {
  id: string;
  name: string;
  email: string;
  role: Role;
}

/** What a role change gives and takes: the permissions only the new role has, and those it loses. */
function RoleChangePreview({ from, to }: { from: Role; to: Role }) {
  const all = Object.keys(permissions) as Permission[];
  const gained = all.filter((p) => can(to, p) && !can(from, p));
  const lost = all.filter((p) => can(from, p) && !can(to, p));
  return (
    <div className="space-y-3">
      {gained.length > 0 && (
        <AffectedList label="They will be able to" items={gained.map((p) => permissions[p])} />
      )}
      {lost.length > 0 && (
        <AffectedList label="They will no longer be able to" items={lost.map((p) => permissions[p])} />
      )}
    </div>
  );
}

function MemberList({ manage }: { manage: boolean }) {
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const refresh = useRefresh();
  const members = usePages((cursor) => trpc.members.list.queryOptions({ workspace: workspace.slug, cursor }));
  const changeRole = useMutation(trpc.members.changeRole.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.members.remove.mutationOptions({ onSuccess: refresh }));
  // A role picked in a row's select, waiting for its confirmation.
  const [roleChange, setRoleChange] = useState<{ member: Member; role: Role } | null>(null);

  return (
    <section aria-labelledby="members-heading" className="mb-8">
      <h2 id="members-heading" className="mb-3 text-base font-semibold text-slate-900">
        Members
      </h2>
      <Loaded query={members} label="members">
        {(list) => (
          <Table
            caption="Members"
            columns={["Name", "E-mail", "Role", "Groups", "Joined", ...(manage ? ["Actions"] : [])]}
          >
            <Rows>
              {list.map((member) => {
                // Only owners may change or remove an owner.
                const locked = member.role === "OWNER" && workspace.role !== "OWNER";
                return (
                  <tr key={member.id}>
                    <Cell className="font-medium text-slate-900">{member.name}</Cell>
                    <Cell>{member.email}</Cell>
                    <Cell>
                      {manage ? (
                        <select
                          aria-label={`Role for ${member.email}`}
                          value={member.role}
                          disabled={locked}
                          onChange={(event) => setRoleChange({ member, role: event.target.value as Role })}
                          className={`${control} w-36 py-1.5 pr-8`}
                        >
                          <RoleOptions max={locked ? "OWNER" : workspace.role} />
                        </select>
                      ) : (
                        <RoleBadge role={member.role} />
                      )}
                      {member.effectiveRole !== member.role && (
                        <p className="mt-1 text-xs text-slate-600">
                          Acts as {roleLabel(member.effectiveRole)}
                          {member.effectiveVia ? ` via group ${member.effectiveVia}` : ""}
                        </p>
                      )}
                    </Cell>
                    <Cell>
                      {member.groups.length === 0 ? (
                        <span className="text-slate-400">—</span>
                      ) : (
                        member.groups.map((g) => g.name).join(", ")
                      )}
                    </Cell>
                    <Cell>
                      <Time value={member.joinedAt} />
                    </Cell>
                    {manage && (
                      <Cell className="text-right">
                        <ConfirmButton
                          variant="ghost"
                          size="sm"
                          disabled={locked}
                          disabledReason="Only an owner can remove an owner"
                          title={`Remove ${member.email} from ${workspace.name}?`}
                          description={`They lose access at once. Runs they started and versions they saved stay.${
                            member.activeTokens > 0
                              ? ` The ${member.activeTokens === 1 ? "API token" : `${member.activeTokens} API tokens`} they made here will be revoked too.`
                              : ""
                          }`}
                          confirmLabel="Remove member"
                          pendingLabel="Removing…"
                          onConfirm={() =>
                            remove.mutateAsync({ workspace: workspace.slug, memberId: member.id })
                          }
                        >
                          Remove<span className="sr-only"> {member.email}</span>
                        </ConfirmButton>
                      </Cell>
                    )}
                  </tr>
                );
              })}
            </Rows>
          </Table>
        )}
      </Loaded>
      <LoadMore pages={members} noun="members" />
      {roleChange && (
        <ConfirmDialog
          open
          onClose={() => setRoleChange(null)}
          title={`Make ${roleChange.member.email} ${article(roleChange.role)} ${roleLabel(roleChange.role)}?`}
          description={`From ${roleLabel(roleChange.member.role)} to ${roleLabel(roleChange.role)}, from their next request on.`}
          preview={<RoleChangePreview from={roleChange.member.role} to={roleChange.role} />}
          confirmLabel="Change role"
          pendingLabel="Changing…"
          tone="primary"
          onConfirm={() =>
            changeRole.mutateAsync({
              workspace: workspace.slug,
              memberId: roleChange.member.id,
              role: roleChange.role,
            })
          }
        />
      )}
    </section>
  );
}

const article = (role: Role) => (/^[AEIOU]/.test(role) ? "an" : "a");

function PendingInvitations() {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const refresh = useRefresh();
  const invitations = usePages((cursor) =>
    trpc.members.invitations.queryOptions({ workspace: slug, cursor }),
  );
  const revoke = useMutation(trpc.members.revokeInvitation.mutationOptions({ onSuccess: refresh }));
  return (
    <section aria-labelledby="invitations-heading">
      <h2 id="invitations-heading" className="mb-3 text-base font-semibold text-slate-900">
        Pending invitations
      </h2>
      <Loaded query={invitations} label="invitations">
        {(list) =>
          list.length === 0 ? (
            <EmptyState title="No pending invitations">
              Invite someone above; the invitation waits here until it is accepted, revoked or expired.
            </EmptyState>
          ) : (
            <Table
              caption="Pending invitations"
              columns={["E-mail", "Role", "Invited", "Expires", "Actions"]}
            >
              <Rows>
                {list.map((invitation) => (
                  <tr key={invitation.id}>
                    <Cell className="font-medium text-slate-900">{invitation.email}</Cell>
                    <Cell>
                      <RoleBadge role={invitation.role} />
                    </Cell>
                    <Cell>
                      <Time value={invitation.createdAt} />
                    </Cell>
                    <Cell>
                      <Time value={invitation.expiresAt} />
                    </Cell>
                    <Cell className="text-right">
                      <ConfirmButton
                        variant="ghost"
                        size="sm"
                        title={`Revoke the invitation for ${invitation.email}?`}
                        description="Its link stops working. You can invite them again later."
                        confirmLabel="Revoke invitation"
                        pendingLabel="Revoking…"
                        onConfirm={() => revoke.mutateAsync({ workspace: slug, invitationId: invitation.id })}
                      >
                        Revoke<span className="sr-only"> invitation for {invitation.email}</span>
                      </ConfirmButton>
                    </Cell>
                  </tr>
                ))}
              </Rows>
            </Table>
          )
        }
      </Loaded>
      <LoadMore pages={invitations} noun="invitations" />
    </section>
  );
}
