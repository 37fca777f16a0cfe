// A workspace's single sign-on settings: its OpenID Connect provider (issuer, client id and secret,
// the secret encrypted like secrets are), which e-mail domains may sign in, whether members must,
// the role of people who join by signing in, and the claim naming their groups. Every change is
// audited; the client secret is never answered.
import { AppError, notFound } from "@/server/errors";
import { decryptSecret, encryptSecret } from "@/server/secrets/crypto";
import { processKeyring, ssoSecretAad } from "@/server/secrets/keyring";
import type { Caller, WorkspaceScope } from "@/server/tenancy/door";
import type { Role } from "@/server/tenancy/roles";
import { providerClient, redirectUriFor } from "./provider";

export interface SsoInput {
  issuer: string;
  clientId: string;
  /** Left out when changing other settings: the stored one stays. */
  clientSecret?: string;
  allowedDomains: string[];
  requireSso: boolean;
  jitRole: Exclude<Role, "OWNER"> | null;
  groupsClaim: string;
}

function present(
  sso: {
    issuer: string;
    clientId: string;
    allowedDomains: string[];
    requireSso: boolean;
    jitRole: Role | null;
    groupsClaim: string;
    updatedAt: Date;
  },
  scope: WorkspaceScope,
  baseUrl: string,
) {
  return {
    issuer: sso.issuer,
    clientId: sso.clientId,
    allowedDomains: sso.allowedDomains,
    requireSso: sso.requireSso,
    jitRole: sso.jitRole,
    groupsClaim: sso.groupsClaim,
    updatedAt: sso.updatedAt,
    /** Register this as the redirect URI at the provider. */
    redirectUri: redirectUriFor(baseUrl, scope.workspace.slug),
    /** Where members start signing in. */
    signInUrl: `${baseUrl.replace(/\/$/, "")}/api/sso/${scope.workspace.slug}`,
  };
}

/** The settings, or null when the workspace has no single sign-on. */
export async function getSso(scope: WorkspaceScope, baseUrl: string) {
  const sso = await scope.db.workspaceSso.findUnique({ where: { workspaceId: scope.workspace.id } });
  return sso ? present(sso, scope, baseUrl) : null;
}

/**
 * Sets up or changes single sign-on. Requiring it is refused to a member who is not signed in through
 * it themselves right now: they would lock themselves out (tokens may set it).
 */
export async function configureSso(scope: WorkspaceScope, caller: Caller, input: SsoInput, baseUrl: string) {
  if (input.jitRole === ("OWNER" as Role)) {
    throw new AppError("BAD_REQUEST", "People joining by single sign-on cannot be owners", [
      { path: "jitRole", message: "Choose ADMIN, EDITOR, OPERATOR, VIEWER or null" },
    ]);
  }
  const existing = await scope.db.workspaceSso.findUnique({
    where: { workspaceId: scope.workspace.id },
    select: {
      requireSso: true,
      issuer: true,
      clientId: true,
      allowedDomains: true,
      jitRole: true,
      groupsClaim: true,
    },
  });
  if (!existing && !input.clientSecret) {
    throw new AppError("BAD_REQUEST", "Enter the client secret the provider gave you", [
      { path: "clientSecret", message: "Required when setting up single sign-on" },
    ]);
  }
  if (
    input.requireSso &&
    !existing?.requireSso &&
    caller.kind === "user" &&
    caller.sessionMethod !== ssoMethod(scope.workspace.id)
  ) {
    throw new AppError(
      "CONFLICT",
      "Sign in through single sign-on yourself before requiring it of everyone",
      [{ path: "requireSso", message: "You are not signed in through this workspace's single sign-on" }],
    );
  }
  const clientSecret = input.clientSecret
    ? encryptSecret(processKeyring(), input.clientSecret, ssoSecretAad(scope.workspace.id))
    : undefined;
  const data = {
    issuer: input.issuer,
    clientId: input.clientId,
    allowedDomains: [...new Set(input.allowedDomains.map((d) => d.toLowerCase()))].sort(),
    requireSso: input.requireSso,
    jitRole: input.jitRole,
    groupsClaim: input.groupsClaim,
  };
  const sso = await scope.db.workspaceSso.upsert({
    where: { workspaceId: scope.workspace.id },
    create: { ...data, workspaceId: scope.workspace.id, clientSecret: clientSecret ?? "" },
    update: { ...data, ...(clientSecret ? { clientSecret } : {}) },
  });
  await scope.audit(existing ? "sso.update" : "sso.create", data.issuer, {
    before: existing ?? null,
    after: data,
    clientSecretChanged: Boolean(clientSecret),
  });
  return present(sso, scope, baseUrl);
}

export async function removeSso(scope: WorkspaceScope) {
  const { count } = await scope.db.workspaceSso.deleteMany({ where: { workspaceId: scope.workspace.id } });
  if (count === 0) throw notFound("Single sign-on settings");
  await scope.audit("sso.delete", null);
}

/** The "test" button: discovers the provider with the stored settings and says what it found. */
export async function testSso(scope: WorkspaceScope, baseUrl: string) {
  const sso = await scope.db.workspaceSso.findUnique({ where: { workspaceId: scope.workspace.id } });
  if (!sso) throw notFound("Single sign-on settings");
  try {
    const client = await providerClient(
      {
        issuer: sso.issuer,
        clientId: sso.clientId,
        clientSecret: decryptStoredSecret(scope.workspace.id, sso.clientSecret),
      },
      redirectUriFor(baseUrl, scope.workspace.slug),
    );
    return {
      ok: true,
      message: `Found ${client.issuer.metadata.issuer}: authorization at ${client.issuer.metadata.authorization_endpoint}`,
    };
  } catch (error) {
    const problems = error instanceof AppError ? error.problems.map((p) => p.message).join("; ") : "";
    return { ok: false, message: problems || (error as Error).message };
  }
}

export function decryptStoredSecret(workspaceId: string, stored: string): string {
  return decryptSecret(processKeyring(), stored, ssoSecretAad(workspaceId));
}

/** The session method of a sign-in through workspace `workspaceId`'s provider. */
export const ssoMethod = (workspaceId: string) => `sso:${workspaceId}`;
