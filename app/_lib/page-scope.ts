// For server components of workspace pages: the page's workspace as the signed-in user sees it,
// and the checks that make a page for something that does not exist (or that the user may not
// see) answer HTTP 404 with the branded not-found page. They run in layouts, and the workspace
// frame renders its page on the server (it gets the workspace from here, not from a client
// query), so the not-found is known before the response starts: a status cannot change once
// streaming has begun.
import { TRPCError } from "@trpc/server";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { cache } from "react";
import { requireUser } from "@/app/_components/require-user";
import { createCaller } from "@/server/api/root";
import { env } from "@/server/config";
import { AppError } from "@/server/errors";
import { clientIp } from "@/server/net/client-ip";
import { openWorkspace, type WorkspaceScope } from "@/server/tenancy/door";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** NOT_FOUND (and a slug that cannot be one) becomes the not-found page. */
function orNotFound(error: unknown): never {
  const code = error instanceof TRPCError || error instanceof AppError ? error.code : undefined;
  if (code === "NOT_FOUND" || code === "BAD_REQUEST") notFound();
  throw error;
}

const signedIn = cache(async (slug: string) => {
  const user = await requireUser(`/w/${slug}`);
  return { user, ip: clientIp(await headers()) };
});

/** The workspace as `workspace.get` answers it (once per request); 404 for non-members. */
export const pageWorkspace = cache(async (slug: string) => {
  const { user, ip } = await signedIn(slug);
  const api = createCaller({
    caller: { kind: "user", userId: user.id, email: user.email, sessionMethod: user.method, ip },
    ip,
    baseUrl: env.NEXTAUTH_URL ?? "",
  });
  const workspace = await api.workspace.get({ workspace: slug }).catch(orNotFound);
  return { user, workspace };
});

/**
 * The workspace opened for the signed-in user, for the existence checks below. A member reading
 * through folder grants reaches their folders' DAGs and runs only: the others are not found.
 */
const pageScope = cache(async (slug: string): Promise<WorkspaceScope> => {
  const { user, ip } = await signedIn(slug);
  return openWorkspace(
    { kind: "user", userId: user.id, email: user.email, sessionMethod: user.method, ip },
    slug,
    "workspace:read",
    { folderGrants: true },
  ).catch(orNotFound);
});

/** 404 unless the workspace has the DAG. */
export async function requireDag(slug: string, dagKey: string) {
  const scope = await pageScope(slug);
  const dag = await scope.db.dag.findFirst({ where: { key: dagKey }, select: { id: true } });
  if (!dag) notFound();
}

/** 404 unless the workspace has the run. */
export async function requireRun(slug: string, runId: string) {
  if (!uuidPattern.test(runId)) notFound();
  const scope = await pageScope(slug);
  const run = await scope.db.dagRun.findUnique({ where: { id: runId }, select: { id: true } });
  if (!run) notFound();
}
