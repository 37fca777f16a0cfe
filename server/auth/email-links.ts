// Single-use links for an e-mail address: finishing a sign-up, confirming an address (a new one
// too, before it replaces the old), resetting a password. Sent by e-mail; without SMTP, shown in
// the page (sign-up, confirming) or printed by `baton user reset-link` (reset). Only the sha256 of
// the secret is stored, and a link works once, until it expires.
import { createHash, randomBytes } from "node:crypto";
import type { Prisma } from "@/prisma/generated/client";
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";

export type LinkPurpose = "signup" | "verify_email" | "reset_password";

const lifetimeMinutes: Record<LinkPurpose, number> = {
  signup: 24 * 60,
  verify_email: 24 * 60,
  reset_password: 30,
};
/** Where each kind of link opens (the page that uses it). */
export const linkPaths: Record<LinkPurpose, string> = {
  signup: "/sign-up/finish",
  verify_email: "/verify-email",
  reset_password: "/reset-password",
};

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export async function issueLink(
  purpose: LinkPurpose,
  input: { email: string; userId?: string | null; payload?: Record<string, unknown> },
): Promise<{ secret: string; expiresAt: Date }> {
  const secret = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + lifetimeMinutes[purpose] * 60_000);
  await db.emailLink.create({
    data: {
      purpose,
      tokenHash: sha256(secret),
      email: input.email,
      userId: input.userId ?? null,
      payload: (input.payload ?? {}) as Prisma.InputJsonValue,
      expiresAt,
    },
  });
  return { secret, expiresAt };
}

export function linkUrl(baseUrl: string, purpose: LinkPurpose, secret: string): string {
  return `${baseUrl.replace(/\/$/, "")}${linkPaths[purpose]}/${secret}`;
}

const unusable = () =>
  new AppError("BAD_REQUEST", "This link has expired or has been used already; ask for a new one", [
    { path: "secret", message: "Expired or already used" },
  ]);

/** The link's row while it is usable (for the page that shows what it will do), or throws. */
export async function readLink(purpose: LinkPurpose, secret: string) {
  const link = await db.emailLink.findUnique({ where: { tokenHash: sha256(secret) } });
  if (!link || link.purpose !== purpose || link.usedAt || link.expiresAt <= new Date()) throw unusable();
  return link;
}

/** Uses the link up (atomically: of two requests racing, one wins) and answers its row. */
export async function consumeLink(purpose: LinkPurpose, secret: string, tx: Prisma.TransactionClient = db) {
  const tokenHash = sha256(secret);
  const { count } = await tx.emailLink.updateMany({
    where: { tokenHash, purpose, usedAt: null, expiresAt: { gt: new Date() } },
    data: { usedAt: new Date() },
  });
  if (count === 0) throw unusable();
  return tx.emailLink.findUniqueOrThrow({ where: { tokenHash } });
}

/** Retires every unused link of a kind for a user (a reset used ends the other reset links). */
export async function retireLinks(purpose: LinkPurpose, userId: string, tx: Prisma.TransactionClient = db) {
  await tx.emailLink.updateMany({ where: { purpose, userId, usedAt: null }, data: { usedAt: new Date() } });
}
