// Signing in through a workspace's OpenID Connect provider (authorization code with PKCE):
// 1. startSso: a login row (state, nonce, verifier; ten minutes) and the provider's address;
// 2. finishSso: the provider's answer checked by openid-client (state, nonce, ID token signature),
//    the e-mail domain checked, the account found or made, membership made just in time, groups
//    kept in step with the groups claim, and a single-use two-minute ticket;
// 3. redeemSsoTicket: the "sso" next-auth provider trades the ticket for a session bound to the
//    workspace (method sso:<workspaceId>): the door lets it into that workspace only.
//
// A provider is the tenant's: it vouches for people inside its workspace, never for an account
// someone made elsewhere. An existing account is used only once it is linked to the provider
// (its sub), and only its owner links it, by starting single sign-on while signed in.
import { createHash, randomBytes } from "node:crypto";
import { generators } from "openid-client";
import { db } from "@/server/db/client";
import { AppError, notFound } from "@/server/errors";
import { lockWorkspaceQuotas, systemScope } from "@/server/tenancy/door";
import { providerClient, redirectUriFor } from "./provider";
import { decryptStoredSecret, ssoMethod } from "./settings";

const LOGIN_MINUTES = 10;
const TICKET_MINUTES = 2;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

async function ssoOf(slug: string) {
  const workspace = await db.workspace.findUnique({
    where: { slug },
    select: { id: true, slug: true, name: true, sso: true },
  });
  if (!workspace?.sso) throw notFound("Single sign-on");
  const { sso } = workspace;
  return { workspace, sso, secret: decryptStoredSecret(workspace.id, sso.clientSecret) };
}

/** Opens a sign-in at the provider. `linkUserId`: the signed-in account asking to link itself. */
export async function startSso(input: { slug: string; baseUrl: string; linkUserId?: string | null }) {
  const { workspace, sso, secret } = await ssoOf(input.slug);
  const client = await providerClient(
    { issuer: sso.issuer, clientId: sso.clientId, clientSecret: secret },
    redirectUriFor(input.baseUrl, workspace.slug),
  );
  const state = generators.state();
  const nonce = generators.nonce();
  const codeVerifier = generators.codeVerifier();
  await db.ssoLogin.create({
    data: {
      workspaceId: workspace.id,
      stateHash: sha256(state),
      nonce,
      codeVerifier,
      linkUserId: input.linkUserId ?? null,
      expiresAt: new Date(Date.now() + LOGIN_MINUTES * 60_000),
    },
  });
  const url = client.authorizationUrl({
    scope: "openid email profile",
    state,
    nonce,
    code_challenge: generators.codeChallenge(codeVerifier),
    code_challenge_method: "S256",
  });
  return { url, state };
}

const refused = (message: string) => new AppError("FORBIDDEN", message);

/**
 * Checks the provider's answer (`callbackUrl`, the full address it sent the browser to) and answers
 * a ticket for the session. `cookieState`: the state this browser was given at the start.
 */
export async function finishSso(input: {
  slug: string;
  baseUrl: string;
  callbackUrl: string;
  cookieState: string | undefined;
  ip?: string;
}) {
  const { workspace, sso, secret } = await ssoOf(input.slug);
  const redirectUri = redirectUriFor(input.baseUrl, workspace.slug);
  const client = await providerClient(
    { issuer: sso.issuer, clientId: sso.clientId, clientSecret: secret },
    redirectUri,
  );
  const params = client.callbackParams(input.callbackUrl);
  if (params.error)
    throw refused(`The identity provider refused: ${params.error_description ?? params.error}`);
  const state = params.state;
  if (!state || state !== input.cookieState) {
    throw refused("This sign-in was not started in this browser; start again");
  }
  // Claimed once: a replayed answer finds the row used.
  const login = await db.ssoLogin.findUnique({ where: { stateHash: sha256(state) } });
  if (
    !login ||
    login.workspaceId !== workspace.id ||
    login.usedAt ||
    login.ticketHash ||
    login.expiresAt < new Date()
  ) {
    throw refused("This sign-in has expired or was already used; start again");
  }
  let claims: Record<string, unknown>;
  try {
    const tokens = await client.callback(redirectUri, params, {
      state,
      nonce: login.nonce,
      code_verifier: login.codeVerifier,
    });
    claims = tokens.claims() as Record<string, unknown>;
  } catch (error) {
    throw refused(`The identity provider's answer was refused: ${(error as Error).message}`);
  }
  const sub = String(claims.sub);
  const email = typeof claims.email === "string" ? claims.email.trim().toLowerCase() : "";
  if (!email.includes("@")) throw refused("The identity provider did not give an e-mail address");
  const domain = email.slice(email.lastIndexOf("@") + 1);
  if (sso.allowedDomains.length > 0 && !sso.allowedDomains.includes(domain)) {
    await audit(workspace.id, email, "sso.refused", { reason: "domain", domain });
    throw refused(`${domain} addresses may not sign in to ${workspace.name}`);
  }
  const name =
    typeof claims.name === "string" && claims.name.trim() ? claims.name.trim().slice(0, 80) : email;
  const user = await accountFor({
    workspaceId: workspace.id,
    sub,
    email,
    name,
    linkUserId: login.linkUserId,
  });
  const membershipId = await membershipFor(workspace.id, user, sso.jitRole);
  const claimed = claims[sso.groupsClaim];
  const idpGroups = Array.isArray(claimed) ? claimed.filter((g): g is string => typeof g === "string") : [];
  await syncGroups(workspace.id, membershipId, user.email, idpGroups);

  const ticket = randomBytes(32).toString("base64url");
  const { count } = await db.ssoLogin.updateMany({
    where: { id: login.id, ticketHash: null, usedAt: null },
    data: {
      userId: user.id,
      ticketHash: sha256(ticket),
      expiresAt: new Date(Date.now() + TICKET_MINUTES * 60_000),
    },
  });
  if (count === 0) throw refused("This sign-in was already used; start again");
  await audit(workspace.id, user.email, "sso.sign_in", {
    userId: user.id,
    groups: idpGroups,
    ip: input.ip ?? null,
  });
  return { ticket, slug: workspace.slug };
}

/** The account the provider vouches for: linked already, linked now by its owner, or made now. */
async function accountFor(input: {
  workspaceId: string;
  sub: string;
  email: string;
  name: string;
  linkUserId: string | null;
}) {
  const provider = ssoMethod(input.workspaceId);
  const linked = await db.oAuthAccount.findUnique({
    where: { provider_providerAccountId: { provider, providerAccountId: input.sub } },
    select: { user: { select: { id: true, email: true, name: true } } },
  });
  if (linked) return linked.user;
  const existing = await db.user.findUnique({
    where: { email: input.email },
    select: { id: true, email: true, name: true },
  });
  if (existing && existing.id !== input.linkUserId) {
    throw refused(
      `An account for ${input.email} exists already. Sign in to it as usual, then start single sign-on again to link it`,
    );
  }
  if (!existing && input.linkUserId) {
    throw refused(
      `The identity provider vouches for ${input.email}, not for the account you are signed in with`,
    );
  }
  const user =
    existing ??
    // The provider vouches for the address inside its workspace only: it stays unconfirmed for
    // anything else (joining other workspaces) until its owner confirms it by mail.
    (await db.user.create({
      data: { email: input.email, name: input.name },
      select: { id: true, email: true, name: true },
    }));
  await db.oAuthAccount.create({ data: { provider, providerAccountId: input.sub, userId: user.id } });
  if (existing) await audit(input.workspaceId, user.email, "sso.link", { userId: user.id });
  return user;
}

/** The person's membership: theirs already, or made now with the just-in-time role (within maxMembers). */
async function membershipFor(
  workspaceId: string,
  user: { id: string; email: string },
  jitRole: import("@/server/tenancy/roles").Role | null,
) {
  return db.$transaction(async (tx) => {
    const existing = await tx.membership.findUnique({
      where: { workspaceId_userId: { workspaceId, userId: user.id } },
      select: { id: true },
    });
    if (existing) return existing.id;
    if (!jitRole) throw refused("You are not a member of this workspace; ask its admins for an invitation");
    const { maxMembers } = await lockWorkspaceQuotas(tx, workspaceId);
    const members = await tx.membership.count({ where: { workspaceId } });
    if (members >= maxMembers) {
      throw new AppError(
        "CONFLICT",
        `This workspace already has ${members} of the ${maxMembers} members its plan allows (quota maxMembers)`,
      );
    }
    const created = await tx.membership.create({ data: { workspaceId, userId: user.id, role: jitRole } });
    await tx.auditEvent.create({
      data: {
        workspaceId,
        actor: user.id,
        actorLabel: user.email,
        action: "member.join",
        target: user.email,
        metadata: { role: jitRole, via: "sso" },
      },
    });
    return created.id;
  });
}

/**
 * Puts the member in the groups mapped to their provider groups and takes them out of the others.
 * Group rows are tenant data: reached through the workspace's system scope (the door), so the
 * scoped client and row-level security keep this inside the workspace like any handler.
 */
async function syncGroups(workspaceId: string, membershipId: string, email: string, idpGroups: string[]) {
  const scope = await systemScope(workspaceId);
  const mapped = await scope.db.group.findMany({
    where: { idpGroup: { not: null } },
    select: {
      id: true,
      name: true,
      idpGroup: true,
      members: { where: { membershipId }, select: { id: true } },
    },
  });
  for (const group of mapped) {
    const belongs = group.members.length > 0;
    const should = idpGroups.includes(group.idpGroup!);
    if (should && !belongs) {
      await scope.db.groupMember.createMany({
        data: [{ workspaceId, groupId: group.id, membershipId }],
        skipDuplicates: true,
      });
      await audit(workspaceId, email, "group.member_add", {
        groupId: group.id,
        group: group.name,
        via: "sso",
      });
    } else if (!should && belongs) {
      await scope.db.groupMember.deleteMany({ where: { groupId: group.id, membershipId } });
      await audit(workspaceId, email, "group.member_remove", {
        groupId: group.id,
        group: group.name,
        via: "sso",
      });
    }
  }
}

/** Trades a ticket for the account, once, within two minutes. */
export async function redeemSsoTicket(ticket: string) {
  const now = new Date();
  const login = await db.ssoLogin.findUnique({ where: { ticketHash: sha256(ticket) } });
  if (!login?.userId || login.usedAt || login.expiresAt < now)
    throw refused("This sign-in link has expired; start again");
  const { count } = await db.ssoLogin.updateMany({
    where: { id: login.id, usedAt: null },
    data: { usedAt: now },
  });
  if (count === 0) throw refused("This sign-in link was already used");
  const user = await db.user.findUniqueOrThrow({
    where: { id: login.userId },
    select: { id: true, email: true, name: true },
  });
  return { ...user, ssoWorkspaceId: login.workspaceId };
}

async function audit(workspaceId: string, email: string, action: string, metadata: Record<string, unknown>) {
  await db.auditEvent.create({
    data: {
      workspaceId,
      actor: "sso",
      actorLabel: `single sign-on (${email})`,
      action,
      target: email,
      metadata: metadata as object,
    },
  });
}
