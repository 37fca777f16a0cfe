import type { Metadata } from "next";
import { CenteredPage } from "@/app/_components/centered-page";
import { FinishSignIn } from "../../finish-sign-in";

export const metadata: Metadata = { title: "Single sign-on" };

/** The last step of a workspace's single sign-on: the ticket its callback gave becomes a session. */
export default async function SsoFinishPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const query = await searchParams;
  const ticket = typeof query.ticket === "string" ? query.ticket : "";
  const workspace =
    typeof query.workspace === "string" && /^[a-z0-9][a-z0-9-]*$/.test(query.workspace)
      ? query.workspace
      : null;
  return (
    <CenteredPage title="Single sign-on" description="Your identity provider vouched for you.">
      <FinishSignIn
        provider="sso"
        credentials={{ ticket }}
        callbackUrl={workspace ? `/w/${workspace}` : "/"}
        label="Continue to Baton"
        pendingLabel="Signing in…"
        failure="Signing in did not work. Start again."
      />
    </CenteredPage>
  );
}
