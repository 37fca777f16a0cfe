import type { Metadata } from "next";
import { CenteredPage } from "@/app/_components/centered-page";
import { ConfirmEmail } from "./confirm-email";

export const metadata: Metadata = { title: "Confirm your e-mail address" };

/** Where a confirmation link leads: the button uses it (mail scanners that open links do not). */
export default async function VerifyEmailPage({ params }: { params: Promise<{ secret: string }> }) {
  const { secret } = await params;
  return (
    <CenteredPage title="Confirm your e-mail address">
      <ConfirmEmail secret={secret} />
    </CenteredPage>
  );
}
