// next-auth configuration: e-mail and password (always), GitHub and Google (when their
// environment variables are set). Sessions are JWTs in a cookie carrying a session row's id
// (server/auth/sessions.ts), checked on every request.

import { headers } from "next/headers";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import GitHubProvider from "next-auth/providers/github";
import GoogleProvider from "next-auth/providers/google";
import { env } from "@/server/config";
import { AppError } from "@/server/errors";
import { clientIp } from "@/server/net/client-ip";
import { ssoMethod } from "@/server/sso/settings";
import { redeemSsoTicket } from "@/server/sso/sign-in";
import { authenticate, finishSignUp, upsertOAuthUser } from "./accounts";
import { verifyPasskey } from "./passkeys";
import { checkSession, endSession, SESSION_IDLE_SECONDS, SessionEnded, startSession } from "./sessions";
import { hasSecondFactor } from "./two-factor";

function oauthProviders() {
  const providers = [];
  if (env.GITHUB_CLIENT_ID && env.GITHUB_CLIENT_SECRET) {
    providers.push(
      GitHubProvider({
        clientId: env.GITHUB_CLIENT_ID,
        clientSecret: env.GITHUB_CLIENT_SECRET,
      }),
    );
  }
  if (env.GOOGLE_CLIENT_ID && env.GOOGLE_CLIENT_SECRET) {
    providers.push(
      GoogleProvider({
        clientId: env.GOOGLE_CLIENT_ID,
        clientSecret: env.GOOGLE_CLIENT_SECRET,
      }),
    );
  }
  return providers;
}

/** Ways of signing in that need no second factor after them: a passkey, a new account's link. */
const SELF_SUFFICIENT = new Set(["passkey", "signup-link"]);
/** A workspace's identity provider asks for its own factors: Baton asks for none after it. */
const selfSufficient = (method: string) => SELF_SUFFICIENT.has(method) || method.startsWith("sso:");

/** The installation's public URL: NEXTAUTH_URL, else the origin the request names. */
export function publicBaseUrl(headers?: Record<string, string> | Headers): string {
  if (env.NEXTAUTH_URL) return env.NEXTAUTH_URL;
  const host = headers instanceof Headers ? headers.get("host") : headers?.host;
  return `http://${host ?? "localhost:3000"}`;
}

/** The address and browser of the request being handled (empty outside a request). */
async function requestInfo(): Promise<{ ip?: string; userAgent?: string }> {
  try {
    const incoming = await headers();
    return { ip: clientIp(incoming), userAgent: incoming.get("user-agent") ?? undefined };
  } catch {
    return {};
  }
}

/** Domain errors become plain Errors: next-auth shows a thrown message on the sign-in page (?error=…). */
async function readable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError) throw new Error(error.message);
    throw error;
  }
}

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: SESSION_IDLE_SECONDS },
  pages: { signIn: "/sign-in" },
  providers: [
    CredentialsProvider({
      name: "E-mail and password",
      credentials: {
        email: { label: "E-mail", type: "email" },
        password: { label: "Password", type: "password" },
      },
      async authorize(credentials, req) {
        if (!credentials?.email || !credentials.password) return null;
        return readable(() =>
          authenticate({
            email: credentials.email,
            password: credentials.password,
            ip: clientIp(req?.headers as Record<string, string>),
          }),
        );
      },
    }),
    // Opening a sign-up link creates the account and signs its owner in.
    CredentialsProvider({
      id: "signup-link",
      name: "Sign-up link",
      credentials: { secret: { label: "Link", type: "text" } },
      async authorize(credentials, req) {
        if (!credentials?.secret) return null;
        const secret = credentials.secret;
        return readable(() => finishSignUp(secret, clientIp(req?.headers as Record<string, string>)));
      },
    }),
    // A passkey signs in on its own (no second factor after it).
    CredentialsProvider({
      id: "passkey",
      name: "Passkey",
      credentials: {
        challengeId: { label: "Challenge", type: "text" },
        response: { label: "Response", type: "text" },
      },
      async authorize(credentials, req) {
        if (!credentials?.challengeId || !credentials.response) return null;
        const { challengeId, response } = credentials;
        return readable(async () =>
          verifyPasskey(
            { challengeId, response: JSON.parse(response) },
            publicBaseUrl(req?.headers as Record<string, string> | undefined),
          ),
        );
      },
    }),
    // A workspace's single sign-on ends here: its callback (app/api/sso) hands the browser a
    // single-use ticket for the account its provider vouched for.
    CredentialsProvider({
      id: "sso",
      name: "Single sign-on",
      credentials: { ticket: { label: "Ticket", type: "text" } },
      async authorize(credentials) {
        if (!credentials?.ticket) return null;
        const ticket = credentials.ticket;
        return readable(() => redeemSsoTicket(ticket));
      },
    }),
    ...oauthProviders(),
  ],
  events: {
    // The cookie is cleared by next-auth; ending the row ends every copy of it.
    async signOut({ token }) {
      if (typeof token?.sid === "string") await endSession(token.sid);
    },
  },
  logger: {
    error(code, metadata) {
      // An ended session is an ordinary answer (signed out), not a server error.
      const cause = (metadata as { error?: unknown } | undefined)?.error ?? metadata;
      if (code === "JWT_SESSION_ERROR" && cause instanceof SessionEnded) return;
      console.error(`[next-auth] ${code}`, metadata);
    },
    warn(code) {
      console.warn(`[next-auth] ${code}`);
    },
  },
  callbacks: {
    async signIn({ user, account, profile }) {
      if (account?.type !== "oauth") return true;
      const claims = profile as { email?: string; email_verified?: boolean } | undefined;
      const email = claims?.email ?? user.email;
      if (!email) return false;
      const linked = await upsertOAuthUser({
        provider: account.provider,
        providerAccountId: account.providerAccountId,
        email,
        name: user.name ?? email,
        verified: claims?.email_verified === true,
      });
      user.id = linked.id;
      return true;
    },
    // Signing in starts a session row; every later request checks it (ended → signed out).
    async jwt({ token, user, account }) {
      if (user) {
        token.uid = user.id;
        token.email = user.email;
        const ssoWorkspaceId = (user as { ssoWorkspaceId?: string }).ssoWorkspaceId;
        // A single sign-on session is bound to its workspace (the door reads sso:<workspaceId>).
        const method = ssoWorkspaceId ? ssoMethod(ssoWorkspaceId) : (account?.provider ?? "credentials");
        token.method = method;
        token.sid = await startSession({
          userId: user.id,
          method,
          // A password or a provider is one factor; an account with a second one gives it next.
          pendingSecondFactor: !selfSufficient(method) && (await hasSecondFactor(user.id)),
          ...(await requestInfo()),
        });
        return token;
      }
      const session = await checkSession(token.sid, { ip: (await requestInfo()).ip });
      token.email = session.email;
      token.pending = session.pendingSecondFactor;
      return token;
    },
    session({ session, token }) {
      const user = session.user as SessionUserFields;
      user.id = token.uid as string;
      user.email = token.email as string;
      user.sessionId = token.sid as string;
      user.pendingSecondFactor = token.pending === true;
      user.method = typeof token.method === "string" ? token.method : "credentials";
      return session;
    },
  },
};

/** What the session callback adds to next-auth's session user (read by server/auth/session.ts). */
export interface SessionUserFields {
  id: string;
  email: string;
  name?: string | null;
  sessionId: string;
  pendingSecondFactor: boolean;
  /** How the session signed in: credentials, github, google, passkey, sso:<workspaceId>… */
  method: string;
}
