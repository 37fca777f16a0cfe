import type { Metadata } from "next";
import Link from "next/link";
import { safeCallbackUrl, withCallback } from "@/app/_components/callback-url";
import { CenteredPage } from "@/app/_components/centered-page";
import { describeSignInError } from "@/app/_components/sign-in";
import { link } from "@/app/_components/styles";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const query = await searchParams;
  const callbackUrl = safeCallbackUrl(query.callbackUrl);
  return (
    <CenteredPage
      title="Sign in to Baton"
      footer={
        <>
          New to Baton?{" "}
          <Link href={withCallback("/sign-up", callbackUrl)} className={link}>
            Sign up
          </Link>
        </>
      }
    >
      <SignInForm
        callbackUrl={callbackUrl}
        notice={describeSignInError(typeof query.error === "string" ? query.error : undefined)}
      />
    </CenteredPage>
  );
}
