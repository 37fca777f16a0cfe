import type { Metadata } from "next";
import Link from "next/link";
import { Alert } from "@/app/_components/alert";
import { CenteredPage } from "@/app/_components/centered-page";
import { link } from "@/app/_components/styles";
import { describeResetLink } from "@/server/auth/password-reset";
import { AppError } from "@/server/errors";
import { ResetPasswordForm } from "./reset-password-form";

export const metadata: Metadata = { title: "Choose a new password" };

export default async function ResetPasswordPage({ params }: { params: Promise<{ secret: string }> }) {
  const { secret } = await params;
  const target = await describeResetLink(secret).catch((error: unknown) => {
    if (error instanceof AppError) return { problem: error.message };
    throw error;
  });
  if ("problem" in target) {
    return (
      <CenteredPage title="This link does not work">
        <Alert tone="error">{target.problem}</Alert>
        <p className="mt-4 text-sm">
          <Link href="/forgot-password" className={link}>
            Ask for a new link
          </Link>
        </p>
      </CenteredPage>
    );
  }
  return (
    <CenteredPage
      title="Choose a new password"
      description={`For ${target.email}. Every browser signed in to this account will be signed out.`}
    >
      <ResetPasswordForm secret={secret} email={target.email} />
    </CenteredPage>
  );
}
