"use client";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
// Every user account of the installation, and what an operator does to one: end its sessions,
// hand over a password reset link, disable or enable it. Each action is in the installation's
// audit log under the administrator's name.
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import { Alert } from "@/app/_components/alert";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { CopyField } from "@/app/_components/copy-field";
import { EmptyState } from "@/app/_components/empty-state";
import { Field } from "@/app/_components/field";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader } from "@/app/_components/page-header";
import { Cell, Rows, Table } from "@/app/_components/table";
import { Time } from "@/app/_components/time";
import { useTRPC } from "@/app/_lib/trpc";
import type { AppRouter } from "@/server/api/root";
import { Pager, SearchField, SortControls, useListState } from "../_components/list-controls";

type Sort = "email" | "name" | "created";
const sorts: Record<Sort, string> = { email: "E-mail", name: "Name", created: "Created" };
type User = inferRouterOutputs<AppRouter>["platform"]["users"]["users"][number];

export default function UsersPage() {
  const trpc = useTRPC();
  const list = useListState<Sort>({ sort: "email", direction: "asc" });
  const query = useQuery({
    ...trpc.platform.users.queryOptions(list.input),
    placeholderData: keepPreviousData,
  });
  const [resetLink, setResetLink] = useState<{ email: string; link: string; emailed: boolean } | null>(null);

  return (
    <>
      <PageHeader
        title="Users"
        description="Every account of this installation. Disabling one ends its sessions, stops its sign-ins and its API tokens; its workspaces and work stay."
      />
      <div className="mb-4 flex flex-wrap items-end gap-4">
        <SearchField {...list.searchProps} placeholder="E-mail or name" />
        <SortControls sorts={sorts} {...list.sortProps} />
      </div>
      {resetLink && (
        <Alert tone="success" title={`Password reset link for ${resetLink.email}`} className="mb-4">
          <p className="mb-2">
            {resetLink.emailed
              ? "It was sent to their address. "
              : "This installation sends no e-mail: hand it over yourself. "}
            It works once, within 30 minutes, and ends every session of the account when used.
          </p>
          <CopyField label="Reset link" value={resetLink.link} />
        </Alert>
      )}
      <Loaded query={query} label="users">
        {({ users, total, pageSize }) =>
          users.length === 0 ? (
            <EmptyState title={list.search ? `No user matches “${list.search}”` : "No users yet"} />
          ) : (
            <>
              <Table
                caption="Users"
                columns={["User", "Created", "Workspaces", "Sessions", "Last seen", "Status", "Actions"]}
              >
                <Rows>
                  {users.map((user) => (
                    <UserRow key={user.id} user={user} onResetLink={setResetLink} />
                  ))}
                </Rows>
              </Table>
              <Pager page={list.page} pageSize={pageSize} total={total} noun="users" onPage={list.setPage} />
            </>
          )
        }
      </Loaded>
    </>
  );
}

function UserRow({
  user,
  onResetLink,
}: {
  user: User;
  onResetLink: (link: { email: string; link: string; emailed: boolean }) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [reason, setReason] = useState("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.platform.users.queryKey() });
  const disable = useMutation(trpc.platform.disableUser.mutationOptions({ onSuccess: refresh }));
  const enable = useMutation(trpc.platform.enableUser.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.platform.revokeUserSessions.mutationOptions({ onSuccess: refresh }));
  const reset = useMutation(trpc.platform.resetUserPassword.mutationOptions({ onSuccess: onResetLink }));
  return (
    <tr>
      <Cell>
        <p className="font-medium text-slate-900">{user.email}</p>
        <p className="text-xs text-slate-500">
          {user.name}
          {user.platformAdmin && " · platform administrator"}
          {!user.emailVerifiedAt && " · e-mail not confirmed"}
        </p>
      </Cell>
      <Cell className="whitespace-nowrap">
        <Time value={user.createdAt} />
      </Cell>
      <Cell>{user.workspaces}</Cell>
      <Cell>{user.liveSessions}</Cell>
      <Cell className="whitespace-nowrap">{user.lastSeenAt ? <Time value={user.lastSeenAt} /> : "—"}</Cell>
      <Cell>
        {user.disabledAt ? (
          <span className="text-red-800">
            Disabled since <Time value={user.disabledAt} />
          </span>
        ) : (
          "Active"
        )}
      </Cell>
      <Cell>
        <div className="flex flex-wrap gap-2">
          <ConfirmButton
            size="sm"
            title={`End every session of ${user.email}?`}
            description="Every browser signed in to this account is signed out at once. Nothing else changes."
            confirmLabel="End sessions"
            pendingLabel="Ending…"
            onConfirm={() => revoke.mutateAsync({ userId: user.id })}
          >
            Revoke sessions
          </ConfirmButton>
          {!user.disabledAt && (
            <ConfirmButton
              size="sm"
              tone="primary"
              title={`Reset the password of ${user.email}?`}
              description="A single-use link to choose a new password: e-mailed to them when this installation sends e-mail, and shown to you to hand over. Their password works until they use it."
              confirmLabel="Make a reset link"
              pendingLabel="Making…"
              onConfirm={() => reset.mutateAsync({ userId: user.id })}
            >
              Reset password
            </ConfirmButton>
          )}
          {user.disabledAt ? (
            <ConfirmButton
              size="sm"
              tone="primary"
              title={`Enable ${user.email}?`}
              description="They can sign in again, and their API tokens work again."
              confirmLabel="Enable"
              pendingLabel="Enabling…"
              onConfirm={() => enable.mutateAsync({ userId: user.id })}
            >
              Enable
            </ConfirmButton>
          ) : (
            <ConfirmButton
              size="sm"
              variant="danger"
              title={`Disable ${user.email}?`}
              description="Their sessions end now; they cannot sign in and their API tokens are refused until you enable the account again."
              preview={
                <Field
                  label="Reason (kept in the audit log)"
                  value={reason}
                  onChange={(event) => setReason(event.target.value)}
                  maxLength={500}
                />
              }
              blocked={reason.trim() === ""}
              confirmLabel="Disable"
              pendingLabel="Disabling…"
              onConfirm={() => disable.mutateAsync({ userId: user.id, reason })}
            >
              Disable
            </ConfirmButton>
          )}
        </div>
      </Cell>
    </tr>
  );
}
