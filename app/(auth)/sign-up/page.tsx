import type { Metadata } from "next";
import Link from "next/link";
import { safeCallbackUrl, withCallback } from "@/app/_components/callback-url";
import { CenteredPage } from "@/app/_components/centered-page";
import { link } from "@/app/_components/styles";
import { describeInvitation } from "@/server/members/service";
import { SignUpForm } from "./sign-up-form";

export const metadata: Metadata = { title: "Sign up" };

/**
 * The pending invitation a sign-up continues to (its link goes on to `/invite/<secret>`), to
 * prefill the invited address and say what happens next; nothing for any other link.
 */
async function invitationAfter(callbackUrl: string | undefined) {
  const secret = callbackUrl?.match(/^\/invite\/([^/?#]+)$/)?.[1];
  if (!secret) return undefined;
  const invitation = await describeInvitation(decodeURIComponent(secret)).catch(() => undefined);
  return invitation?.status === "pending" ? invitation : undefined;
}

export default async function SignUpPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const callbackUrl = safeCallbackUrl((await searchParams).callbackUrl);
  const invitation = await invitationAfter(callbackUrl);
  return (
    <CenteredPage
      title="Create your Baton account"
      description={
        invitation
          ? `Sign up with ${invitation.email}, then accept the invitation to join ${invitation.workspaceName}.`
          : "You get a workspace of your own to start in."
      }
      footer={
        <>
          Already have an account?{" "}
          <Link href={withCallback("/sign-in", callbackUrl)} className={link}>
            Sign in
          </Link>
        </>
      }
    >
      <SignUpForm callbackUrl={callbackUrl} email={invitation?.email} />
    </CenteredPage>
  );
}
