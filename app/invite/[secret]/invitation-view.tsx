"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { signOut } from "next-auth/react";
import type { ReactNode } from "react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { withCallback } from "@/app/_components/callback-url";
import { CenteredPage } from "@/app/_components/centered-page";
import { errorCode, errorMessage } from "@/app/_components/errors";
import { RoleBadge } from "@/app/_components/role-badge";
import { buttonClass } from "@/app/_components/styles";
import { useTRPC } from "@/app/_lib/trpc";

const home = (
  <Link href="/" className={buttonClass("secondary")}>
    Go to Baton
  </Link>
);

export function InvitationView({ secret, signedInAs }: { secret: string; signedInAs?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const invitation = useQuery(trpc.account.invitation.queryOptions({ secret }));
  const queryClient = useQueryClient();
  const accept = useMutation(
    trpc.account.acceptInvitation.mutationOptions({
      onSuccess: async ({ slug }) => {
        await queryClient.invalidateQueries({ queryKey: trpc.account.workspaces.queryKey() });
        router.push(`/w/${slug}`);
      },
    }),
  );
  const here = `/invite/${secret}`;

  if (invitation.error) {
    const code = errorCode(invitation.error);
    const missing = code === "NOT_FOUND" || code === "BAD_REQUEST";
    return (
      <CenteredPage title={missing ? "Invitation not found" : "Could not load the invitation"}>
        <p className="mb-6 text-sm text-slate-600">
          {missing
            ? "This link does not work: it may have been revoked or copied incompletely. Ask whoever invited you for a new one."
            : errorMessage(invitation.error)}
        </p>
        {home}
      </CenteredPage>
    );
  }
  if (!invitation.data) {
    return (
      <CenteredPage title="Invitation">
        <p role="status" className="text-sm text-slate-500">
          Loading invitation…
        </p>
      </CenteredPage>
    );
  }

  const { workspaceName, role, email, status } = invitation.data;
  let action: ReactNode;
  if (status === "accepted") {
    action = (
      <>
        <Alert tone="warning" title="This invitation has already been used">
          Each invitation link works once. If it was not you who used it, ask for a new one.
        </Alert>
        <div className="mt-6">{home}</div>
      </>
    );
  } else if (status === "expired") {
    action = (
      <>
        <Alert tone="warning" title="This invitation has expired">
          Ask whoever invited you to {workspaceName} to send a new one.
        </Alert>
        <div className="mt-6">{home}</div>
      </>
    );
  } else if (!signedInAs) {
    action = (
      <>
        <p className="text-sm text-slate-600">Sign in, or create an account with {email}, to accept.</p>
        <div className="mt-4 flex gap-3">
          <Link href={withCallback("/sign-in", here)} className={buttonClass()}>
            Sign in
          </Link>
          <Link href={withCallback("/sign-up", here)} className={buttonClass("secondary")}>
            Sign up
          </Link>
        </div>
      </>
    );
  } else {
    const otherAccount = signedInAs.toLowerCase() !== email;
    action = (
      <div className="space-y-4">
        {otherAccount ? (
          <Alert tone="warning" title="This invitation is for another account">
            It is for {email}, and you are signed in as {signedInAs}. Sign out and sign in as {email} to
            accept it.
          </Alert>
        ) : (
          <p className="text-sm text-slate-600">You are signed in as {signedInAs}.</p>
        )}
        {accept.error && <Alert tone="error">{errorMessage(accept.error)}</Alert>}
        <div className="flex flex-wrap gap-3">
          <Button
            onClick={() => accept.mutate({ secret })}
            pending={accept.isPending || accept.isSuccess}
            pendingLabel="Accepting…"
          >
            Accept invitation
          </Button>
          {otherAccount && (
            <Button
              variant="secondary"
              onClick={() => signOut({ callbackUrl: withCallback("/sign-in", here) })}
            >
              Sign out and switch account
            </Button>
          )}
        </div>
      </div>
    );
  }

  return (
    <CenteredPage
      title={`Join ${workspaceName}`}
      description="You have been invited to a workspace on Baton."
    >
      <dl className="mb-6 grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 rounded-md bg-slate-50 p-4 text-sm">
        <dt className="text-slate-500">Workspace</dt>
        <dd className="font-medium text-slate-900">{workspaceName}</dd>
        <dt className="text-slate-500">Role</dt>
        <dd>
          <RoleBadge role={role} />
        </dd>
        <dt className="text-slate-500">For</dt>
        <dd className="text-slate-900">{email}</dd>
        <dt className="text-slate-500">Status</dt>
        <dd className="text-slate-900 capitalize">{status}</dd>
      </dl>
      {action}
    </CenteredPage>
  );
}
