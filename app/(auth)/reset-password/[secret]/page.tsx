import type { Metadata } from "next";
import { CenteredPage } from "@/app/_components/centered-page";
import { describeResetLink } from "@/server/auth/password-reset";
import { AppError } from "@/server/errors";
import { LinkProblem } from "../../link-problem";
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
      <LinkProblem
        problem={target.problem}
        retry={{ href: "/forgot-password", label: "Ask for a new link" }}
      />
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
