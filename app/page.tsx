import { redirect } from "next/navigation";
import { requireUser } from "@/app/_components/require-user";
import { listWorkspacesForUser } from "@/server/workspaces/service";

export const dynamic = "force-dynamic";

/** Home: signed-in users go to their first workspace, everyone else to sign-in. */
export default async function Home() {
  const user = await requireUser("/");
  const [first] = await listWorkspacesForUser(user.id);
  redirect(first ? `/w/${first.slug}` : "/workspaces/new");
}
