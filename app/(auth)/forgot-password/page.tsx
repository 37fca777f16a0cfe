import type { Metadata } from "next";
import Link from "next/link";
import { CenteredPage } from "@/app/_components/centered-page";
import { link } from "@/app/_components/styles";
import { ForgotPasswordForm } from "./forgot-password-form";

export const metadata: Metadata = { title: "Forgot password" };

export default function ForgotPasswordPage() {
  return (
    <CenteredPage
      title="Reset your password"
      description="We send a link to your address; it works once, within 30 minutes."
      footer={
        <Link href="/sign-in" className={link}>
          Back to sign-in
        </Link>
      }
    >
      <ForgotPasswordForm />
    </CenteredPage>
  );
}
