import type { Metadata } from "next";
import Link from "next/link";
import { safeCallbackUrl, withCallback } from "@/app/_components/callback-url";
import { CenteredPage } from "@/app/_components/centered-page";
import { link } from "@/app/_components/styles";
import { SignUpForm } from "./sign-up-form";

export const metadata: Metadata = { title: "Sign up" };

export default async function SignUpPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const callbackUrl = safeCallbackUrl((await searchParams).callbackUrl);
  return (
    <CenteredPage
      title="Create your Baton account"
      description="You get a workspace of your own to start in."
      footer={
        <>
          Already have an account?{" "}
          <Link href={withCallback("/sign-in", callbackUrl)} className={link}>
            Sign in
          </Link>
        </>
      }
    >
      <SignUpForm callbackUrl={callbackUrl} />
    </CenteredPage>
  );
}
