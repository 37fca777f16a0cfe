import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { safeCallbackUrl } from "@/app/_components/callback-url";
import { CenteredPage } from "@/app/_components/centered-page";
import { currentSession } from "@/server/auth/session";
import { SecondFactorForm } from "./second-factor-form";

export const metadata: Metadata = { title: "Second factor" };

export default async function SecondFactorPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const [session, query] = await Promise.all([currentSession(), searchParams]);
  const callbackUrl = safeCallbackUrl(query.callbackUrl);
  if (!session) redirect("/sign-in");
  if (!session.pendingSecondFactor) redirect(callbackUrl ?? "/");
  return (
    <CenteredPage title="One more step" description={`Confirm it is you, ${session.email}.`}>
      <SecondFactorForm callbackUrl={callbackUrl} />
    </CenteredPage>
  );
}
