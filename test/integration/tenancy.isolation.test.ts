// Tenant isolation, enumerated from the router itself: every procedure is called by a member of
// workspace A with workspace B's slug and B's ids. A procedure added later without a fixture here
// fails the suite, and so does one that answers anything but NOT_FOUND. The folder dimension: a
// guest of workspace A holding a grant on another folder calls every procedure with A's ids (whose
// objects sit in A's folder "platform" or at its root) and gets NOT_FOUND or FORBIDDEN, or, from a
// list, nothing of A's; A stays unchanged either way.
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { createAlertRule } from "@/server/alerts/rules";
import { appRouter } from "@/server/api/root";
import { createConnection } from "@/server/config/connections";
import { createSecret } from "@/server/config/secrets";
import { createVariable } from "@/server/config/variables";
import { pushDag } from "@/server/dags/service";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { createFolder, grantFolderRole } from "@/server/folders/service";
import { addGroupMember, createGroup } from "@/server/groups/service";
import { inviteMember } from "@/server/members/service";
import { createPool } from "@/server/pools/service";
import { isPlatformRoute, type RestRoute, restRoutes } from "@/server/rest/routes";
import { createBackfill } from "@/server/schedules/backfill";
import { generateKey } from "@/server/secrets/crypto";
import { configureSso } from "@/server/sso/settings";
import { openWorkspace } from "@/server/tenancy/door";
import { createToken } from "@/server/tokens/service";
import { createDagTrigger } from "@/server/triggers/dag-triggers";
import { createWebhook } from "@/server/webhooks/endpoints";
import { receiveWebhook } from "@/server/webhooks/receive";
import { apiAs, codeOf, createUser } from "../support/factories";
import { raw } from "../support/rest";

type Ids = {
  workspace: string;
  memberId: string;
  invitationId: string;
  tokenId: string;
  /** A DAG (its document id) with versions 1 and 2. */
  dagId: string;
  number: number;
  variableKey: string;
  secretName: string;
  connectionName: string;
  /** A run of the DAG, and one of its task ids. */
  runId: string;
  taskId: string;
  /** A scheduled DAG that triggers dagId, a backfill of it, a webhook of dagId and a delivery. */
  upstreamDagId: string;
  backfillId: string;
  triggerId: string;
  webhookId: string;
  deliveryId: string;
  /** A pool (by name). */
  poolName: string;
  /** An agent pool (by name) and an agent registered in it. */
  agentPoolName: string;
  agentId: string;
  /** A notification of the workspace's owner. */
  notificationId: string;
  /** An alert rule watching dagId. */
  ruleId: string;
  /** A group holding memberId. */
  groupId: string;
  /** The folder holding dagId, the variable, the secret and the connection, and a grant on it. */
  folderId: string;
  grantId: string;
};

/** A valid document with the given id. */
const dagDocument = (id: string) => ({ id, tasks: [{ id: "t", operator: "noop" }] });

/** Input for each workspace procedure, built from the target workspace's ids. */
const fixtures: Record<string, (ids: Ids) => Record<string, unknown>> = {
  "workspace.get": (ids) => ({ workspace: ids.workspace }),
  "workspace.rename": (ids) => ({ workspace: ids.workspace, name: "Hijacked" }),
  "workspace.delete": (ids) => ({ workspace: ids.workspace, confirm: ids.workspace }),
  "workspace.setTwoFactorRule": (ids) => ({ workspace: ids.workspace, required: false }),
  "members.list": (ids) => ({ workspace: ids.workspace }),
  "members.invitations": (ids) => ({ workspace: ids.workspace }),
  "members.invite": (ids) => ({ workspace: ids.workspace, email: "intruder@example.com", role: "OWNER" }),
  "members.revokeInvitation": (ids) => ({ workspace: ids.workspace, invitationId: ids.invitationId }),
  "members.changeRole": (ids) => ({ workspace: ids.workspace, memberId: ids.memberId, role: "VIEWER" }),
  "members.remove": (ids) => ({ workspace: ids.workspace, memberId: ids.memberId }),
  "groups.list": (ids) => ({ workspace: ids.workspace }),
  "groups.get": (ids) => ({ workspace: ids.workspace, groupId: ids.groupId }),
  "groups.create": (ids) => ({ workspace: ids.workspace, name: "intruders", role: "ADMIN" }),
  "groups.update": (ids) => ({ workspace: ids.workspace, groupId: ids.groupId, role: "ADMIN" }),
  "groups.delete": (ids) => ({ workspace: ids.workspace, groupId: ids.groupId }),
  "groups.addMember": (ids) => ({ workspace: ids.workspace, groupId: ids.groupId, memberId: ids.memberId }),
  "groups.removeMember": (ids) => ({
    workspace: ids.workspace,
    groupId: ids.groupId,
    memberId: ids.memberId,
  }),
  "folders.list": (ids) => ({ workspace: ids.workspace }),
  "folders.get": (ids) => ({ workspace: ids.workspace, folderId: ids.folderId }),
  "folders.access": (ids) => ({ workspace: ids.workspace, folderId: ids.folderId }),
  "folders.create": (ids) => ({ workspace: ids.workspace, name: "intruders" }),
  "folders.update": (ids) => ({ workspace: ids.workspace, folderId: ids.folderId, name: "hijacked" }),
  "folders.delete": (ids) => ({ workspace: ids.workspace, folderId: ids.folderId }),
  "folders.grant": (ids) => ({
    workspace: ids.workspace,
    folderId: ids.folderId,
    memberId: ids.memberId,
    role: "EDITOR",
  }),
  "folders.revoke": (ids) => ({ workspace: ids.workspace, folderId: ids.folderId, grantId: ids.grantId }),
  "folders.moveDag": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId, folder: null }),
  "sso.get": (ids) => ({ workspace: ids.workspace }),
  "sso.configure": (ids) => ({
    workspace: ids.workspace,
    issuer: "https://evil.example.com",
    clientId: "stolen",
    clientSecret: "stolen",
  }),
  "sso.remove": (ids) => ({ workspace: ids.workspace }),
  "sso.test": (ids) => ({ workspace: ids.workspace }),
  "tokens.list": (ids) => ({ workspace: ids.workspace }),
  "tokens.create": (ids) => ({ workspace: ids.workspace, name: "stolen", role: "OWNER" }),
  "tokens.revoke": (ids) => ({ workspace: ids.workspace, tokenId: ids.tokenId }),
  "audit.list": (ids) => ({ workspace: ids.workspace }),
  "audit.filters": (ids) => ({ workspace: ids.workspace }),
  "dags.list": (ids) => ({ workspace: ids.workspace, includeArchived: true }),
  "dags.get": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId }),
  "dags.push": (ids) => ({
    workspace: ids.workspace,
    document: dagDocument(ids.dagId),
    message: "overwritten",
  }),
  "dags.validate": (ids) => ({ workspace: ids.workspace, document: dagDocument(ids.dagId) }),
  "dags.versions": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId }),
  "dags.version": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId, number: ids.number }),
  "dags.diff": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId, from: 1, to: ids.number }),
  "dags.restore": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId, number: 1 }),
  "dags.setPaused": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId, paused: true }),
  "dags.archive": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId }),
  "dags.unarchive": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId }),
  "dags.analysis": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId }),
  "variables.list": (ids) => ({ workspace: ids.workspace }),
  "variables.get": (ids) => ({ workspace: ids.workspace, key: ids.variableKey }),
  "variables.create": (ids) => ({ workspace: ids.workspace, key: ids.variableKey, value: "hijacked" }),
  "variables.update": (ids) => ({ workspace: ids.workspace, key: ids.variableKey, value: "hijacked" }),
  "variables.delete": (ids) => ({ workspace: ids.workspace, key: ids.variableKey }),
  "secrets.list": (ids) => ({ workspace: ids.workspace }),
  "secrets.create": (ids) => ({ workspace: ids.workspace, name: ids.secretName, value: "hijacked" }),
  "secrets.update": (ids) => ({ workspace: ids.workspace, name: ids.secretName, value: "hijacked" }),
  "secrets.delete": (ids) => ({ workspace: ids.workspace, name: ids.secretName }),
  "connections.list": (ids) => ({ workspace: ids.workspace }),
  "connections.get": (ids) => ({ workspace: ids.workspace, name: ids.connectionName }),
  "connections.create": (ids) => ({
    workspace: ids.workspace,
    name: ids.connectionName,
    type: "slack",
    config: { webhookUrl: "https://evil.example.com/hook" },
  }),
  "connections.update": (ids) => ({
    workspace: ids.workspace,
    name: ids.connectionName,
    config: { host: "evil.example.com", password: "hijacked" },
  }),
  "connections.delete": (ids) => ({ workspace: ids.workspace, name: ids.connectionName }),
  "runs.trigger": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId }),
  "runs.list": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId }),
  "runs.calendar": (ids) => ({ workspace: ids.workspace, month: "2026-01", dagId: ids.dagId }),
  "runs.get": (ids) => ({ workspace: ids.workspace, runId: ids.runId }),
  "runs.tasks": (ids) => ({ workspace: ids.workspace, runId: ids.runId }),
  "runs.cancel": (ids) => ({ workspace: ids.workspace, runId: ids.runId }),
  "runs.clear": (ids) => ({
    workspace: ids.workspace,
    runId: ids.runId,
    taskIds: [ids.taskId],
    downstream: true,
  }),
  "runs.clearPreview": (ids) => ({
    workspace: ids.workspace,
    runId: ids.runId,
    taskIds: [ids.taskId],
    upstream: true,
  }),
  "runs.mark": (ids) => ({
    workspace: ids.workspace,
    runId: ids.runId,
    taskId: ids.taskId,
    state: "success",
  }),
  "runs.retryFailed": (ids) => ({ workspace: ids.workspace, runId: ids.runId }),
  "runs.logs": (ids) => ({ workspace: ids.workspace, runId: ids.runId, taskId: ids.taskId }),
  "approvals.pending": (ids) => ({ workspace: ids.workspace, runId: ids.runId }),
  "approvals.decide": (ids) => ({
    workspace: ids.workspace,
    runId: ids.runId,
    taskId: ids.taskId,
    decision: "approve",
  }),
  "operators.list": (ids) => ({ workspace: ids.workspace }),
  "schedules.preview": (ids) => ({ workspace: ids.workspace, dagId: ids.upstreamDagId, count: 3 }),
  "backfills.create": (ids) => ({
    workspace: ids.workspace,
    dagId: ids.upstreamDagId,
    from: "2025-01-01",
    to: "2025-01-02",
  }),
  "backfills.list": (ids) => ({ workspace: ids.workspace, dagId: ids.upstreamDagId }),
  "backfills.get": (ids) => ({ workspace: ids.workspace, backfillId: ids.backfillId }),
  "backfills.cancel": (ids) => ({ workspace: ids.workspace, backfillId: ids.backfillId }),
  "webhooks.create": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId, name: "intruder" }),
  "webhooks.list": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId }),
  "webhooks.get": (ids) => ({ workspace: ids.workspace, webhookId: ids.webhookId }),
  "webhooks.update": (ids) => ({ workspace: ids.workspace, webhookId: ids.webhookId, enabled: false }),
  "webhooks.delete": (ids) => ({ workspace: ids.workspace, webhookId: ids.webhookId }),
  "webhooks.rotateSecret": (ids) => ({ workspace: ids.workspace, webhookId: ids.webhookId }),
  "webhooks.deliveries": (ids) => ({ workspace: ids.workspace, webhookId: ids.webhookId }),
  "webhooks.delivery": (ids) => ({
    workspace: ids.workspace,
    webhookId: ids.webhookId,
    deliveryId: ids.deliveryId,
  }),
  "webhooks.replay": (ids) => ({
    workspace: ids.workspace,
    webhookId: ids.webhookId,
    deliveryId: ids.deliveryId,
  }),
  "dagTriggers.create": (ids) => ({
    workspace: ids.workspace,
    dagId: ids.dagId,
    upstreamDagId: ids.upstreamDagId,
    on: ["failed"],
  }),
  "dagTriggers.list": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId }),
  "dagTriggers.update": (ids) => ({
    workspace: ids.workspace,
    dagId: ids.dagId,
    triggerId: ids.triggerId,
    enabled: false,
  }),
  "dagTriggers.delete": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId, triggerId: ids.triggerId }),
  "pools.list": (ids) => ({ workspace: ids.workspace }),
  "pools.create": (ids) => ({ workspace: ids.workspace, name: ids.poolName, slots: 1 }),
  "pools.update": (ids) => ({ workspace: ids.workspace, name: ids.poolName, slots: 0 }),
  "pools.delete": (ids) => ({ workspace: ids.workspace, name: ids.poolName }),
  "pools.agents": (ids) => ({ workspace: ids.workspace, name: ids.agentPoolName }),
  "pools.rotateJoinToken": (ids) => ({ workspace: ids.workspace, name: ids.agentPoolName }),
  "pools.revokeJoinToken": (ids) => ({ workspace: ids.workspace, name: ids.agentPoolName }),
  "pools.revokeAgent": (ids) => ({ workspace: ids.workspace, name: ids.agentPoolName, agentId: ids.agentId }),
  "usage.summary": (ids) => ({ workspace: ids.workspace }),
  "usage.history": (ids) => ({ workspace: ids.workspace }),
  "notifications.list": (ids) => ({ workspace: ids.workspace }),
  "notifications.unreadCount": (ids) => ({ workspace: ids.workspace }),
  "notifications.markRead": (ids) => ({ workspace: ids.workspace, notificationId: ids.notificationId }),
  "notifications.markAllRead": (ids) => ({ workspace: ids.workspace }),
  "slas.misses": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId, runId: ids.runId }),
  "alerts.rules": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId }),
  "alerts.rule": (ids) => ({ workspace: ids.workspace, ruleId: ids.ruleId }),
  "alerts.createRule": (ids) => ({
    workspace: ids.workspace,
    name: "intruder",
    kind: "run_failed",
    dagId: ids.dagId,
    channels: [{ channel: "in_app" }],
  }),
  "alerts.updateRule": (ids) => ({ workspace: ids.workspace, ruleId: ids.ruleId, enabled: false }),
  "alerts.deleteRule": (ids) => ({ workspace: ids.workspace, ruleId: ids.ruleId }),
  "alerts.mute": (ids) => ({ workspace: ids.workspace, ruleId: ids.ruleId, minutes: 5 }),
  "alerts.unmute": (ids) => ({ workspace: ids.workspace, ruleId: ids.ruleId }),
  "alerts.list": (ids) => ({ workspace: ids.workspace, ruleId: ids.ruleId }),
  "lineage.graph": (ids) => ({ workspace: ids.workspace }),
  "lineage.dag": (ids) => ({ workspace: ids.workspace, dagId: ids.dagId }),
};

/**
 * Procedures that create a row under a name the caller chooses: with another workspace's names
 * inside one's own workspace they create one's own rows (names are per workspace), so they are
 * checked for leaving the other workspace unchanged rather than for NOT_FOUND.
 */
const createsByName = new Set([
  "dags.push",
  "dags.validate",
  "variables.create",
  "secrets.create",
  "connections.create",
  "pools.create",
]);

/** Procedures that act for the signed-in user, not inside a workspace (no tenant ids in their input). */
const accountProcedures = new Set([
  "account.signUp",
  "account.me",
  "account.workspaces",
  "account.createWorkspace",
  "account.changePassword",
  "account.events",
  "account.invitation",
  "account.acceptInvitation",
  "account.signUpLink",
  "account.sessions",
  "account.endSession",
  "account.signOutEverywhere",
  "account.requestPasswordReset",
  "account.resetLink",
  "account.resetPassword",
  "account.confirmEmail",
  "account.sendConfirmation",
  "account.changeEmail",
  "account.delete",
  "account.status",
  "twoFactor.status",
  "twoFactor.beginTotp",
  "twoFactor.confirmTotp",
  "twoFactor.disableTotp",
  "twoFactor.renewRecoveryCodes",
  "twoFactor.passkeyRegistrationOptions",
  "twoFactor.registerPasskey",
  "twoFactor.removePasskey",
  "twoFactor.pendingFactors",
  "twoFactor.giveCode",
  "twoFactor.pendingPasskeyOptions",
  "twoFactor.givePasskey",
  "twoFactor.passkeySignInOptions",
]);

/**
 * The platform console's procedures (`platform.*`) are not workspace-scoped: they reach every
 * workspace, for platform administrators only, so they need no per-workspace fixture here.
 * test/integration/platform.test.ts checks that everyone else (a workspace owner, an API token)
 * gets FORBIDDEN from each of them.
 */
const isPlatformProcedure = (name: string) => name.startsWith("platform.");

/** Procedures whose input carries ids (or names) of rows inside the workspace. */
const sentinel: Ids = {
  workspace: "w",
  memberId: "@memberId",
  invitationId: "@invitationId",
  tokenId: "@tokenId",
  dagId: "@dagId",
  number: 987_654,
  variableKey: "@variableKey",
  secretName: "@secretName",
  connectionName: "@connectionName",
  runId: "@runId",
  taskId: "@taskId",
  upstreamDagId: "@upstreamDagId",
  backfillId: "@backfillId",
  triggerId: "@triggerId",
  webhookId: "@webhookId",
  deliveryId: "@deliveryId",
  poolName: "@poolName",
  agentPoolName: "@agentPoolName",
  agentId: "@agentId",
  notificationId: "@notificationId",
  ruleId: "@ruleId",
  groupId: "@groupId",
  folderId: "@folderId",
  grantId: "@grantId",
};
const takesRowIds = Object.keys(fixtures).filter((name) => {
  const input = JSON.stringify(fixtures[name]!(sentinel));
  return !createsByName.has(name) && (/"@\w+"/.test(input) || input.includes(String(sentinel.number)));
});

const procedures = appRouter._def.procedures as unknown as Record<
  string,
  { _def: { meta?: { permission?: string } } }
>;

let a: Awaited<ReturnType<typeof createUser>>;
let b: Awaited<ReturnType<typeof createUser>>;
let idsA: Ids;
let idsB: Ids;

async function seed(owner: typeof a): Promise<Ids> {
  const scope = await openWorkspace(owner.caller, owner.workspace.slug, "members:manage");
  const guest = await createUser("guest");
  await db.membership.create({
    data: { workspaceId: owner.workspace.id, userId: guest.user.id, role: "VIEWER" },
  });
  const member = await db.membership.findFirstOrThrow({
    where: { workspaceId: owner.workspace.id, userId: guest.user.id },
  });
  const invitation = await inviteMember(scope, {
    email: "someone@example.com",
    role: "EDITOR",
    baseUrl: "http://x",
  });
  const token = await createToken(scope, { name: "ci", role: "ADMIN" });
  // Names differ per workspace, so that one workspace's names are unknown in the other.
  const suffix = randomBytes(3).toString("hex");
  const dagId = `pipeline_${suffix}`;
  const folder = await createFolder(scope, { name: "platform" });
  await createVariable(scope, { key: `region_${suffix}`, value: "eu", folder: "platform" });
  await pushDag(scope, { document: { ...dagDocument(dagId), title: "v1" }, folder: "platform" });
  await pushDag(scope, { document: { ...dagDocument(dagId), title: "v2" } });
  await createSecret(scope, { name: `TOKEN_${suffix}`, value: `secret-${suffix}`, folder: "platform" });
  await createConnection(scope, {
    name: `warehouse_${suffix}`,
    type: "postgres",
    config: { host: "db.example.com", database: "dw", user: "loader", password: `pw-${suffix}` },
    folder: "platform",
  });
  const run = await triggerRun(scope, { dagKey: dagId });
  const upstreamDagId = `source_${suffix}`;
  await pushDag(scope, {
    document: {
      ...dagDocument(upstreamDagId),
      schedule: { type: "interval", every: "1h" },
      startDate: "2025-01-01",
      endDate: "2025-01-03",
    },
  });
  const trigger = await createDagTrigger(scope, { dagId, upstreamDagId, on: ["success"] });
  const backfill = await createBackfill(scope, {
    dagId: upstreamDagId,
    from: "2025-01-01",
    to: "2025-01-02",
  });
  const webhook = await createWebhook(scope, { dagId, name: "ci", authMode: "token", baseUrl: "http://x" });
  const delivered = await receiveWebhook(
    new Request(`http://x/api/hooks/${webhook.id}`, {
      method: "POST",
      headers: { "x-baton-token": webhook.secret!, "content-type": "application/json" },
      body: "{}",
    }),
    webhook.id,
  );
  const { deliveryId } = (await delivered.json()) as { deliveryId: string };
  const pool = await createPool(scope, { name: `pool_${suffix}`, slots: 2 });
  const agentPool = await createPool(scope, { name: `agents_${suffix}`, slots: 2, agents: true });
  const agent = await db.agent.create({
    data: {
      workspaceId: owner.workspace.id,
      poolId: (
        await db.pool.findFirstOrThrow({ where: { workspaceId: owner.workspace.id, name: agentPool.name } })
      ).id,
      name: "box",
      version: "test",
      concurrency: 1,
      tokenHash: randomBytes(32).toString("hex"),
    },
  });
  const notification = await db.notification.create({
    data: {
      workspaceId: owner.workspace.id,
      userId: owner.user.id,
      kind: "quota_alert",
      title: "DAGs: limit reached",
    },
  });
  const rule = await createAlertRule(scope, {
    name: "failures",
    kind: "run_failed",
    dagId,
    channels: [{ channel: "in_app" }],
    throttleMinutes: 60,
    enabled: true,
  });
  await configureSso(
    scope,
    owner.caller,
    {
      issuer: "https://idp.example.com",
      clientId: "baton",
      clientSecret: "idp-secret",
      allowedDomains: [],
      requireSso: false,
      jitRole: null,
      groupsClaim: "groups",
    },
    "http://x",
  );
  const group = await createGroup(scope, { name: "on-call", role: "OPERATOR" });
  await addGroupMember(scope, { groupId: group.id, memberId: member.id });
  const access = await grantFolderRole(scope, { folderId: folder.id, groupId: group.id, role: "OPERATOR" });
  return {
    folderId: folder.id,
    grantId: access.grants[0]!.id,
    groupId: group.id,
    ruleId: rule.id,
    notificationId: notification.id,
    upstreamDagId,
    backfillId: backfill.id,
    triggerId: trigger.id,
    webhookId: webhook.id,
    deliveryId,
    poolName: pool.name,
    agentPoolName: agentPool.name,
    agentId: agent.id,
    runId: run.id,
    taskId: "t",
    workspace: owner.workspace.slug,
    memberId: member.id,
    invitationId: invitation.id,
    tokenId: token.id,
    dagId,
    number: 2,
    variableKey: `region_${suffix}`,
    secretName: `TOKEN_${suffix}`,
    connectionName: `warehouse_${suffix}`,
  };
}

async function snapshot(workspaceId: string) {
  const where = { workspaceId };
  const [
    workspace,
    members,
    invitations,
    tokens,
    dags,
    versions,
    variables,
    secrets,
    connections,
    runs,
    tasks,
    webhooks,
    deliveries,
    backfills,
    dagTriggers,
    notifications,
    pools,
    alertRules,
    groups,
    groupMembers,
    sso,
    agents,
    folders,
    folderGrants,
  ] = await Promise.all([
    db.workspace.findUnique({ where: { id: workspaceId }, select: { name: true } }),
    db.membership.findMany({ where, select: { id: true, role: true }, orderBy: { id: "asc" } }),
    db.invitation.findMany({ where, select: { id: true, revokedAt: true }, orderBy: { id: "asc" } }),
    db.apiToken.findMany({ where, select: { id: true, revokedAt: true }, orderBy: { id: "asc" } }),
    db.dag.findMany({ where, orderBy: { id: "asc" } }),
    db.dagVersion.findMany({
      where,
      select: { id: true, number: true, hash: true },
      orderBy: { id: "asc" },
    }),
    db.variable.findMany({ where, orderBy: { id: "asc" } }),
    db.secret.findMany({ where, orderBy: { id: "asc" } }),
    db.connection.findMany({ where, orderBy: { id: "asc" } }),
    db.dagRun.findMany({ where, select: { id: true, state: true }, orderBy: { id: "asc" } }),
    db.taskInstance.findMany({
      where,
      select: { id: true, state: true, tryNumber: true },
      orderBy: { id: "asc" },
    }),
    db.webhookEndpoint.findMany({ where, orderBy: { id: "asc" } }),
    db.webhookDelivery.findMany({
      where,
      select: { id: true, runId: true, idempotencyKey: true },
      orderBy: { id: "asc" },
    }),
    db.backfill.findMany({ where, select: { id: true, state: true, created: true }, orderBy: { id: "asc" } }),
    db.dagTrigger.findMany({ where, orderBy: { id: "asc" } }),
    db.notification.findMany({ where, select: { id: true, readAt: true }, orderBy: { id: "asc" } }),
    db.pool.findMany({ where, orderBy: { id: "asc" } }),
    db.alertRule.findMany({ where, orderBy: { id: "asc" } }),
    db.group.findMany({ where, orderBy: { id: "asc" } }),
    db.groupMember.findMany({ where, orderBy: { id: "asc" } }),
    db.workspaceSso.findMany({ where }),
    db.agent.findMany({ where, orderBy: { id: "asc" } }),
    db.folder.findMany({ where, orderBy: { id: "asc" } }),
    db.folderGrant.findMany({ where, orderBy: { id: "asc" } }),
  ]);
  return {
    workspace,
    members,
    invitations,
    tokens,
    dags,
    versions,
    variables,
    secrets,
    connections,
    runs,
    tasks,
    webhooks,
    deliveries,
    backfills,
    dagTriggers,
    notifications,
    pools,
    alertRules,
    groups,
    groupMembers,
    sso,
    agents,
    folders,
    folderGrants,
  };
}

beforeAll(async () => {
  process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;
  a = await createUser("alice");
  b = await createUser("bob");
  idsA = await seed(a);
  idsB = await seed(b);
});

describe("every procedure is classified", () => {
  it("has a fixture here or is an account or platform procedure", () => {
    const unclassified = Object.keys(procedures).filter(
      (name) => !fixtures[name] && !accountProcedures.has(name) && !isPlatformProcedure(name),
    );
    expect(unclassified).toEqual([]);
  });

  it("workspace procedures declare their permission and account procedures declare none", () => {
    for (const [name, procedure] of Object.entries(procedures)) {
      expect(Boolean(procedure._def.meta?.permission), name).toBe(Boolean(fixtures[name]));
    }
  });
});

describe("another workspace's slug answers NOT_FOUND", () => {
  for (const name of Object.keys(fixtures)) {
    it(name, async () => {
      const before = await snapshot(b.workspace.id);
      const call = name
        .split(".")
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], a.api) as (
        input: unknown,
      ) => Promise<unknown>;
      expect(await codeOf(call(fixtures[name]!(idsB)))).toBe("NOT_FOUND");
      expect(await snapshot(b.workspace.id)).toEqual(before);
    });
  }
});

describe("another workspace's row ids, inside one's own workspace, answer NOT_FOUND", () => {
  for (const name of takesRowIds) {
    it(name, async () => {
      const before = await snapshot(b.workspace.id);
      const call = name
        .split(".")
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], a.api) as (
        input: unknown,
      ) => Promise<unknown>;
      const input = { ...fixtures[name]!(idsB), workspace: idsA.workspace };
      expect(await codeOf(call(input))).toBe("NOT_FOUND");
      expect(await snapshot(b.workspace.id)).toEqual(before);
    });
  }
});

describe("another workspace's names, used to create inside one's own workspace, leave it unchanged", () => {
  for (const name of createsByName) {
    it(name, async () => {
      const before = await snapshot(b.workspace.id);
      const call = name
        .split(".")
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], a.api) as (
        input: unknown,
      ) => Promise<unknown>;
      await call({ ...fixtures[name]!(idsB), workspace: idsA.workspace });
      expect(await snapshot(b.workspace.id)).toEqual(before);
      await forgetNamesOf(idsB, a.workspace.id);
    });
  }
});

describe("folder access: a guest granted another folder reaches none of A's objects", () => {
  let contractor: Awaited<ReturnType<typeof createUser>>;
  beforeAll(async () => {
    contractor = await createUser("contractor");
    await db.membership.create({
      data: { workspaceId: a.workspace.id, userId: contractor.user.id, role: "GUEST" },
    });
    const scope = await openWorkspace(a.caller, a.workspace.slug, "members:manage");
    const own = await createFolder(scope, { name: "contractors" });
    const member = await db.membership.findFirstOrThrow({
      where: { workspaceId: a.workspace.id, userId: contractor.user.id },
    });
    await grantFolderRole(scope, { folderId: own.id, memberId: member.id, role: "EDITOR" });
  });

  /** What of A's must never show in an answer to the contractor. */
  const secretsOfA = () =>
    [
      idsA.dagId,
      idsA.upstreamDagId,
      idsA.variableKey,
      idsA.secretName,
      idsA.connectionName,
      idsA.runId,
      idsA.webhookId,
      idsA.folderId,
      "platform",
    ].filter(Boolean);

  for (const name of Object.keys(fixtures)) {
    it(name, async () => {
      const before = await snapshot(a.workspace.id);
      const call = name
        .split(".")
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], contractor.api) as (
        input: unknown,
      ) => Promise<unknown>;
      const input = fixtures[name]!(idsA);
      let answer: unknown;
      let code = "OK";
      try {
        answer = await call(input);
      } catch (error) {
        code = (error as { code?: string }).code ?? String(error);
      }
      if (takesRowIds.includes(name)) {
        expect(["NOT_FOUND", "FORBIDDEN"], `${name} answered ${code}`).toContain(code);
      } else if (code === "OK") {
        // What the input named may come back (validate echoes the document); nothing else of A's.
        const [text, asked] = [JSON.stringify(answer), JSON.stringify(input)];
        for (const hidden of secretsOfA().filter((value) => !asked.includes(value))) {
          expect(text, `${name} shows ${hidden}`).not.toContain(hidden);
        }
      } else {
        // Creating under a name taken in a folder out of reach is refused, never a takeover.
        expect(["NOT_FOUND", "FORBIDDEN", "CONFLICT"], `${name} answered ${code}`).toContain(code);
      }
      expect(await snapshot(a.workspace.id)).toEqual(before);
    });
  }
});

/** Removes rows that use `ids`' names from another workspace, so later tests find nothing there. */
async function forgetNamesOf(ids: Ids, workspaceId: string) {
  await db.dag.deleteMany({ where: { workspaceId, key: ids.dagId } });
  await db.variable.deleteMany({ where: { workspaceId, key: ids.variableKey } });
  await db.secret.deleteMany({ where: { workspaceId, name: ids.secretName } });
  await db.connection.deleteMany({ where: { workspaceId, name: ids.connectionName } });
  await db.pool.deleteMany({ where: { workspaceId, name: ids.poolName } });
}

/** The value of a REST path parameter for the row of `ids` the route names. */
function restParam(route: RestRoute, param: string, ids: Ids): string {
  if (param === "key") return ids.variableKey;
  if (param === "name" && route.path.startsWith("/pools")) return ids.poolName;
  if (param === "name") return route.path.startsWith("/secrets") ? ids.secretName : ids.connectionName;
  return String(ids[param as keyof Ids]);
}

describe("REST: a token reaches only its own workspace", () => {
  let token: string;
  beforeAll(async () => {
    const scope = await openWorkspace(a.caller, a.workspace.slug, "tokens:manage");
    token = (await createToken(scope, { name: "isolation", role: "OWNER" })).token;
  });

  // The console's routes take platform tokens only: a workspace's token, even an Owner's, is refused
  // before any lookup, whatever it names.
  for (const route of restRoutes.filter(isPlatformRoute)) {
    it(`${route.method} ${route.path} refuses a workspace's token`, async () => {
      const before = await snapshot(b.workspace.id);
      const path = route.path.replace(/\{(\w+)\}/g, (_, p: string) => restParam(route, p, idsB));
      const response = await raw(route.method, path, {
        token,
        body: route.method === "GET" || route.method === "DELETE" ? undefined : "{}",
      });
      expect(response.status).toBe(403);
      expect(await snapshot(b.workspace.id)).toEqual(before);
    });
  }

  for (const route of restRoutes.filter((route) => !isPlatformRoute(route))) {
    const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    if (params.length === 0) continue;
    it(`${route.method} ${route.path} with B's ids`, async () => {
      const before = await snapshot(b.workspace.id);
      const path = route.path.replace(/\{(\w+)\}/g, (_, p: string) => restParam(route, p, idsB));
      const creates = createsByName.has(route.procedure);
      // The fixture's other fields go in the query or the body, so that the input is valid and
      // only the row lookup can fail. A create-or-update by name makes one's own row instead.
      const { workspace: _, ...input } = fixtures[route.procedure]!(idsB);
      for (const param of params) delete input[param];
      const query = Object.entries(input).filter(([, v]) => typeof v !== "object");
      const url =
        route.method === "GET" && query.length > 0
          ? `${path}?${new URLSearchParams(query.map(([k, v]) => [k, String(v)]))}`
          : path;
      const body = creates ? dagDocument(idsB.dagId) : input;
      const response = await raw(route.method, url, {
        token,
        body: route.method === "GET" || route.method === "DELETE" ? undefined : JSON.stringify(body),
      });
      expect(response.status).toBe(creates ? 201 : 404);
      expect(await snapshot(b.workspace.id)).toEqual(before);
      await forgetNamesOf(idsB, a.workspace.id);
    });
  }

  it("every REST route but the console's maps to a workspace procedure", () => {
    for (const route of restRoutes.filter((route) => !isPlatformRoute(route)))
      expect(fixtures[route.procedure], route.procedure).toBeDefined();
  });
});

describe("unauthenticated callers", () => {
  it("get UNAUTHORIZED from workspace procedures", async () => {
    expect(await codeOf(apiAs(null).members.list({ workspace: idsA.workspace }))).toBe("UNAUTHORIZED");
  });
});
