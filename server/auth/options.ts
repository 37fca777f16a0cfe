// next-auth configuration: e-mail and password (always), GitHub and Google (when their
// environment variables are set). Sessions are JWTs in a cookie; the user id rides in the token.
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import GitHubProvider from "next-auth/providers/github";
import GoogleProvider from "next-auth/providers/google";
import { env } from "@/server/config";
import { AppError } from "@/server/errors";
import { clientIp } from "@/server/net/client-ip";
import { authenticate, upsertOAuthUser } from "./accounts";

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

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: 30 * 24 * 3600 },
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
        try {
          return await authenticate({
            email: credentials.email,
            password: credentials.password,
            ip: clientIp(req?.headers as Record<string, string>),
          });
        } catch (error) {
          // next-auth shows a thrown error's message on the sign-in page (as ?error=…).
          if (error instanceof AppError) throw new Error(error.message);
          throw error;
        }
      },
    }),
    ...oauthProviders(),
  ],
  callbacks: {
    async signIn({ user, account, profile }) {
      if (account?.type !== "oauth") return true;
      const email =
        (profile as { email?: string; email_verified?: boolean } | undefined)?.email ?? user.email;
      if (!email) return false;
      const linked = await upsertOAuthUser({
        provider: account.provider,
        providerAccountId: account.providerAccountId,
        email,
        name: user.name ?? email,
      });
      user.id = linked.id;
      return true;
    },
    jwt({ token, user }) {
      if (user) {
        token.uid = user.id;
        token.email = user.email;
      }
      return token;
    },
    session({ session, token }) {
      if (session.user) {
        (session.user as { id?: string }).id = token.uid as string;
        session.user.email = token.email as string;
      }
      return session;
    },
  },
};
