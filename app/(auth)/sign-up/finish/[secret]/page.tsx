import type { Metadata } from "next";
import Link from "next/link";
import { safeCallbackUrl } from "@/app/_components/callback-url";
import { CenteredPage } from "@/app/_components/centered-page";
import { link } from "@/app/_components/styles";
import { describeSignUpLink } from "@/server/auth/accounts";
import { AppError } from "@/server/errors";
import { FinishSignIn } from "../../../finish-sign-in";
import { LinkProblem } from "../../../link-problem";

export const metadata: Metadata = { title: "Finish signing up" };

/** Where a sign-up link leads: looking does not use it up; the button does (and signs in). */
export default async function FinishSignUpPage({
  params,
  searchParams,
}: {
  params: Promise<{ secret: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const [{ secret }, query] = await Promise.all([params, searchParams]);
  const pending = await describeSignUpLink(secret).catch((error: unknown) => {
    if (error instanceof AppError) return { problem: error.message };
    throw error;
  });
  if ("problem" in pending) {
    return <LinkProblem problem={pending.problem} retry={{ href: "/sign-up", label: "Sign up again" }} />;
  }
  if (pending.existing) {
    return (
      <CenteredPage title="You already have an account">
        <p className="text-sm text-slate-700">
          {pending.email} has a Baton account.{" "}
          <Link href="/sign-in" className={link}>
            Sign in
          </Link>
          , or{" "}
          <Link href="/forgot-password" className={link}>
            reset the password
          </Link>{" "}
          if you forgot it.
        </p>
      </CenteredPage>
    );
  }
  return (
    <CenteredPage title="Finish signing up" description={`Create the Baton account for ${pending.email}.`}>
      <FinishSignIn
        provider="signup-link"
        credentials={{ secret }}
        callbackUrl={safeCallbackUrl(query.callbackUrl) ?? "/"}
        label="Create my account"
        pendingLabel="Creating your account…"
        failure="Signing up did not work. Try again."
      />
    </CenteredPage>
  );
}
