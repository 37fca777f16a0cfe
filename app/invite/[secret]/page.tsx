import type { Metadata } from "next";
import { currentUser } from "@/server/auth/session";
import { InvitationView } from "./invitation-view";

export const metadata: Metadata = { title: "Invitation" };

export default async function InvitationPage({ params }: { params: Promise<{ secret: string }> }) {
  const [{ secret }, user] = await Promise.all([params, currentUser()]);
  return <InvitationView secret={secret} signedInAs={user?.email} />;
}
