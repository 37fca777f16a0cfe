// Answers of the workspace, members, tokens and audit procedures.
import { z } from "zod";
import { pageOf } from "@/server/pagination";
import { role } from "@/server/validation";
import { storedJson, timestamp } from "./common";

export const roleSchema = role.meta({ id: "Role", description: "A member's or token's role" });

export const workspaceSchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    role: roleSchema.describe("The caller's role in the workspace"),
    permissions: z.array(z.string()).describe("What the caller may do (see docs/permissions.md)"),
    folderPermissions: z
      .array(z.string())
      .describe("What the caller may do in at least one folder through folder grants"),
    suspendedAt: timestamp.nullable().describe("Set while a platform administrator suspends it"),
    suspendedReason: z.string().nullable(),
    requireTwoFactor: z
      .boolean()
      .describe("Members must have a second factor to enter (API tokens are exempt)"),
  })
  .meta({ id: "Workspace" });

export const renamedWorkspace = z.object({ id: z.string(), slug: z.string(), name: z.string() });

export const memberSchema = z
  .object({
    id: z.string(),
    role: roleSchema.describe("Their own role"),
    effectiveRole: roleSchema.describe("What they act with: the highest of their own role and their groups'"),
    effectiveVia: z.string().nullable().describe("The group that gives the effective role (null: their own)"),
    groups: z.array(z.object({ id: z.string(), name: z.string(), role: roleSchema.nullable() })),
    joinedAt: timestamp,
    userId: z.string(),
    email: z.string(),
    name: z.string(),
    activeTokens: z.number().int().describe("Working API tokens they made here: removing them revokes these"),
  })
  .meta({ id: "Member" });
export const memberPage = pageOf(memberSchema);

export const memberRoleChange = z.object({ id: z.string(), role: roleSchema }).meta({ id: "MemberRole" });

export const invitationSchema = z
  .object({ id: z.string(), email: z.string(), role: roleSchema, expiresAt: timestamp, createdAt: timestamp })
  .meta({ id: "Invitation" });
export const invitationPage = pageOf(invitationSchema);

export const sentInvitation = z
  .object({
    id: z.string(),
    email: z.string(),
    role: roleSchema,
    expiresAt: timestamp,
    link: z.string().describe("The link to accept it (also e-mailed when mail is set up)"),
    emailed: z.boolean(),
  })
  .meta({ id: "SentInvitation" });

export const tokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: roleSchema,
    effectiveRole: roleSchema.describe("What it can do now: its role, lowered to its creator's current one"),
    prefix: z.string().describe("The token's first characters, to tell tokens apart"),
    lastUsedAt: timestamp.nullable(),
    lastUsedIp: z.string().nullable(),
    expiresAt: timestamp.nullable().describe("null: it does not expire"),
    expired: z.boolean(),
    createdBy: z
      .object({ email: z.string(), name: z.string() })
      .nullable()
      .describe("The member it acts for (null: made by the installation's operator)"),
    createdAt: timestamp,
  })
  .meta({ id: "Token" });
export const tokenPage = pageOf(tokenSchema);

export const createdToken = z
  .object({
    id: z.string(),
    name: z.string(),
    role: roleSchema,
    prefix: z.string(),
    expiresAt: timestamp.nullable(),
    createdAt: timestamp,
    token: z.string().describe("The token itself: shown this once, stored only as a hash"),
  })
  .meta({ id: "CreatedToken" });

export const auditEventSchema = z
  .object({
    id: z.string(),
    actor: z.string().describe('Who acted: a user id, "token:<id>" or "system" (the `actor` filter)'),
    actorLabel: z.string(),
    action: z.string(),
    target: z.string().nullable(),
    metadata: storedJson,
    ip: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: "AuditEvent" });
export const auditEventPage = pageOf(auditEventSchema);

export const auditFilterChoices = z
  .object({
    actors: z.array(z.object({ actor: z.string(), label: z.string() })),
    actions: z.array(z.string()),
  })
  .meta({ id: "AuditFilterChoices" });

export const groupSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    role: roleSchema.nullable().describe("The workspace role its members get (null: none beyond their own)"),
    idpGroup: z
      .string()
      .nullable()
      .describe("The single sign-on group (a value of the groups claim) whose members it holds"),
    createdAt: timestamp,
    members: z.array(
      z.object({
        memberId: z.string(),
        userId: z.string(),
        email: z.string(),
        name: z.string(),
        role: roleSchema.describe("The member's own role"),
      }),
    ),
  })
  .meta({ id: "Group" });
