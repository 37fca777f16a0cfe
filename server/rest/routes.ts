// The public REST API: each route is an HTTP spelling of one tRPC procedure. Path parameters,
// the query string (GET/DELETE) or the JSON body (POST/PUT/PATCH) become the procedure's input,
// and the workspace is the one the API token belongs to. Routes under /platform are the console's
// operations, for platform tokens only (server/platform/tokens.ts): no workspace is implied.
import type { z } from "zod";
import {
  exportedFile,
  operatorAlertsSchema,
  planList,
  platformAuditPage,
  platformUserPage,
  platformWorkspacePage,
  platformWorkspaceState,
  userDisabledChange,
} from "@/server/api/schemas/platform";

export interface RestRoute {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Under /api/v1, with {params}. */
  path: string;
  procedure: string;
  summary: string;
  /** Status of a successful answer (200 unless it creates something), or a function of the answer. */
  status?: number | ((result: unknown) => number);
  /**
   * The raw request body (text, not parsed as JSON) becomes input field `field`, for documents sent
   * as files (JSON or YAML, described by the component DagDocument); the query string supplies the
   * other fields. `formatField` receives "yaml" or "json" when the content type names one.
   */
  bodyText?: { field: string; formatField?: string };
  /** Fixed input, for routes that are one value of a procedure's field (pause → paused: true). */
  input?: Record<string, unknown>;
  /** Request headers that become input fields (Idempotency-Key → idempotencyKey). */
  headers?: Record<string, { field: string; description: string }>;
  /** Headers of the success answer, from the procedure's result; `responseHeaders` documents them. */
  answerHeaders?: (result: never) => Record<string, string>;
  responseHeaders?: Record<string, { description: string; schema: Record<string, unknown> }>;
  /** Unique per route; the procedure's name unless two routes spell one procedure. */
  operationId?: string;
  /**
   * The answer's shape, for procedures without `.output()` whose whole answer the web app reads
   * (the console's): documented as this, and cut to it on the way out.
   */
  answer?: z.ZodType;
}

/** The console's operations: called with a platform token, never a workspace's. */
export const isPlatformRoute = (route: RestRoute) => route.path.startsWith("/platform/");

/** The statuses a successful call of the route may answer. */
export function successStatuses(route: RestRoute): number[] {
  return typeof route.status === "function" ? [200, 201] : [route.status ?? 200];
}

const createdOrUpdated = (result: unknown) => ((result as { created?: boolean }).created ? 201 : 200);
const dagDocument = { field: "document", formatField: "format" };
/** A DAG's entity tag: its current version's hash, quoted. */
const etag = (hash: string) => ({ ETag: `"${hash}"` });
const etagHeader = {
  ETag: {
    description: "The current version's hash: send it as If-Match when pushing a change",
    schema: { type: "string" },
  },
};

export const restRoutes: RestRoute[] = [
  {
    method: "GET",
    path: "/workspace",
    procedure: "workspace.get",
    summary: "The token's workspace and its permissions",
  },
  { method: "GET", path: "/members", procedure: "members.list", summary: "List members and their roles" },
  {
    method: "PATCH",
    path: "/members/{memberId}",
    procedure: "members.changeRole",
    summary: "Change a member's role",
  },
  { method: "DELETE", path: "/members/{memberId}", procedure: "members.remove", summary: "Remove a member" },
  {
    method: "GET",
    path: "/invitations",
    procedure: "members.invitations",
    summary: "List pending invitations",
  },
  {
    method: "POST",
    path: "/invitations",
    procedure: "members.invite",
    summary: "Invite someone by e-mail",
    status: 201,
  },
  {
    method: "DELETE",
    path: "/invitations/{invitationId}",
    procedure: "members.revokeInvitation",
    summary: "Revoke an invitation",
  },
  {
    method: "GET",
    path: "/groups",
    procedure: "groups.list",
    summary: "List groups, their roles and members",
  },
  { method: "POST", path: "/groups", procedure: "groups.create", summary: "Create a group", status: 201 },
  { method: "GET", path: "/groups/{groupId}", procedure: "groups.get", summary: "A group and its members" },
  {
    method: "PATCH",
    path: "/groups/{groupId}",
    procedure: "groups.update",
    summary: "Rename a group or change the role it grants",
  },
  { method: "DELETE", path: "/groups/{groupId}", procedure: "groups.delete", summary: "Delete a group" },
  {
    method: "PUT",
    path: "/groups/{groupId}/members/{memberId}",
    procedure: "groups.addMember",
    summary: "Add a member to a group",
  },
  {
    method: "DELETE",
    path: "/groups/{groupId}/members/{memberId}",
    procedure: "groups.removeMember",
    summary: "Remove a member from a group",
  },
  { method: "GET", path: "/folders", procedure: "folders.list", summary: "List the folders you can reach" },
  { method: "POST", path: "/folders", procedure: "folders.create", summary: "Create a folder", status: 201 },
  {
    method: "GET",
    path: "/folders/{folderId}",
    procedure: "folders.get",
    summary: "A folder and what it holds",
  },
  {
    method: "PATCH",
    path: "/folders/{folderId}",
    procedure: "folders.update",
    summary: "Rename a folder or change its description",
  },
  {
    method: "DELETE",
    path: "/folders/{folderId}",
    procedure: "folders.delete",
    summary: "Delete an empty folder (409 listing what it holds otherwise)",
  },
  {
    method: "GET",
    path: "/folders/{folderId}/access",
    procedure: "folders.access",
    summary: "Who has access to a folder, with each member's effective role and why",
  },
  {
    method: "POST",
    path: "/folders/{folderId}/grants",
    procedure: "folders.grant",
    summary: "Grant a role on a folder to a member or a group",
  },
  {
    method: "DELETE",
    path: "/folders/{folderId}/grants/{grantId}",
    procedure: "folders.revoke",
    summary: "Revoke a folder grant",
  },
  {
    method: "POST",
    path: "/dags/{dagId}/move",
    procedure: "folders.moveDag",
    summary: "Move a DAG to a folder (null: the workspace root), keeping its history",
  },
  {
    method: "GET",
    path: "/sso",
    procedure: "sso.get",
    summary: "The workspace's single sign-on settings (null: none)",
  },
  { method: "PUT", path: "/sso", procedure: "sso.configure", summary: "Set up or change single sign-on" },
  { method: "DELETE", path: "/sso", procedure: "sso.remove", summary: "Turn single sign-on off" },
  {
    method: "POST",
    path: "/sso/test",
    procedure: "sso.test",
    summary: "Reach the identity provider with the settings",
  },
  { method: "GET", path: "/tokens", procedure: "tokens.list", summary: "List API tokens" },
  {
    method: "POST",
    path: "/tokens",
    procedure: "tokens.create",
    summary: "Create an API token (shown once)",
    status: 201,
  },
  { method: "DELETE", path: "/tokens/{tokenId}", procedure: "tokens.revoke", summary: "Revoke an API token" },
  {
    method: "GET",
    path: "/audit",
    procedure: "audit.list",
    summary: "Read the audit log, newest first (filters actor, action, from, before)",
  },
  {
    method: "GET",
    path: "/audit/filters",
    procedure: "audit.filters",
    summary: "The actors and actions the audit log holds, to filter by",
  },

  {
    method: "GET",
    path: "/dags",
    procedure: "dags.list",
    summary: "List DAGs (archived ones with includeArchived=true)",
  },
  {
    method: "POST",
    path: "/dags/validate",
    procedure: "dags.validate",
    summary: "Validate a DAG document (JSON or YAML body) without saving it",
    bodyText: dagDocument,
  },
  {
    method: "PUT",
    path: "/dags/{dagId}",
    procedure: "dags.push",
    summary: "Create or update a DAG from a document (JSON, or YAML with content-type application/yaml)",
    status: createdOrUpdated,
    bodyText: dagDocument,
    headers: {
      "If-Match": {
        field: "ifMatch",
        description:
          "The ETag of the version the change was made on: the push is refused (412) if another version became current meanwhile",
      },
      "If-None-Match": { field: "ifNoneMatch", description: "`*`: only create the DAG; 412 if it exists" },
    },
    answerHeaders: (pushed: { hash: string }) => etag(pushed.hash),
    responseHeaders: etagHeader,
  },
  {
    method: "GET",
    path: "/dags/{dagId}",
    procedure: "dags.get",
    summary: "A DAG, its current document and analysis",
    answerHeaders: (dag: { version: { hash: string } }) => etag(dag.version.hash),
    responseHeaders: etagHeader,
  },
  {
    method: "GET",
    path: "/dags/{dagId}/versions",
    procedure: "dags.versions",
    summary: "A DAG's versions, newest first",
  },
  {
    method: "GET",
    path: "/dags/{dagId}/versions/{number}",
    procedure: "dags.version",
    summary: "One version's document",
  },
  {
    method: "GET",
    path: "/dags/{dagId}/diff",
    procedure: "dags.diff",
    summary: "What changed between versions from and to",
  },
  {
    method: "GET",
    path: "/dags/{dagId}/analysis",
    procedure: "dags.analysis",
    summary: "Levels, width, critical path, ranks",
  },
  {
    method: "POST",
    path: "/dags/{dagId}/restore",
    procedure: "dags.restore",
    summary: "Save an old version as the newest",
  },
  {
    method: "POST",
    path: "/dags/{dagId}/pause",
    procedure: "dags.setPaused",
    operationId: "dags.pause",
    summary: "Pause a DAG",
    input: { paused: true },
  },
  {
    method: "POST",
    path: "/dags/{dagId}/unpause",
    procedure: "dags.setPaused",
    operationId: "dags.unpause",
    summary: "Unpause a DAG",
    input: { paused: false },
  },
  {
    method: "POST",
    path: "/dags/{dagId}/archive",
    procedure: "dags.archive",
    summary: "Archive (hide and pause) a DAG",
  },
  {
    method: "POST",
    path: "/dags/{dagId}/unarchive",
    procedure: "dags.unarchive",
    summary: "Bring an archived DAG back",
  },

  { method: "GET", path: "/variables", procedure: "variables.list", summary: "List variables" },
  {
    method: "POST",
    path: "/variables",
    procedure: "variables.create",
    summary: "Create a variable",
    status: 201,
  },
  { method: "GET", path: "/variables/{key}", procedure: "variables.get", summary: "A variable" },
  { method: "PATCH", path: "/variables/{key}", procedure: "variables.update", summary: "Change a variable" },
  { method: "DELETE", path: "/variables/{key}", procedure: "variables.delete", summary: "Delete a variable" },

  {
    method: "GET",
    path: "/secrets",
    procedure: "secrets.list",
    summary: "List secrets (names only; values are never shown)",
  },
  { method: "POST", path: "/secrets", procedure: "secrets.create", summary: "Create a secret", status: 201 },
  {
    method: "PATCH",
    path: "/secrets/{name}",
    procedure: "secrets.update",
    summary: "Replace a secret's value or description",
  },
  { method: "DELETE", path: "/secrets/{name}", procedure: "secrets.delete", summary: "Delete a secret" },

  {
    method: "GET",
    path: "/connections",
    procedure: "connections.list",
    summary: "List connections (secret fields masked)",
  },
  {
    method: "POST",
    path: "/connections",
    procedure: "connections.create",
    summary: "Create a connection",
    status: 201,
  },
  {
    method: "GET",
    path: "/connections/{name}",
    procedure: "connections.get",
    summary: "A connection (secret fields masked)",
  },
  {
    method: "PATCH",
    path: "/connections/{name}",
    procedure: "connections.update",
    summary: "Change a connection; secret fields left out are kept",
  },
  {
    method: "DELETE",
    path: "/connections/{name}",
    procedure: "connections.delete",
    summary: "Delete a connection",
  },
  {
    method: "POST",
    path: "/dags/{dagId}/runs",
    procedure: "runs.trigger",
    summary: "Trigger a run with params",
    status: createdOrUpdated,
    headers: {
      "Idempotency-Key": {
        field: "idempotencyKey",
        description:
          "Your key for this trigger (1-255 printable characters): a repeat answers the first one's run (200, Idempotent-Replayed: true) instead of starting another",
      },
    },
    answerHeaders: (run: { created: boolean }): Record<string, string> =>
      run.created ? {} : { "Idempotent-Replayed": "true" },
    responseHeaders: {
      "Idempotent-Replayed": {
        description: "true when the Idempotency-Key was seen before: the answer is the first request's run",
        schema: { type: "string", enum: ["true"] },
      },
    },
  },
  {
    method: "GET",
    path: "/runs",
    procedure: "runs.list",
    summary: "List runs, newest first (filter by dagId, state)",
  },
  {
    method: "GET",
    path: "/runs/calendar",
    procedure: "runs.calendar",
    summary: "Runs per UTC day of a month (month=yyyy-mm), counted by state (filter by dagId, triggeredBy)",
  },
  {
    method: "GET",
    path: "/runs/{runId}",
    procedure: "runs.get",
    summary:
      "A run: state, and each task with state, attempts, timings and output (a mapped task once, its elements counted by state)",
  },
  {
    method: "GET",
    path: "/runs/{runId}/tasks",
    procedure: "runs.tasks",
    summary:
      "A run's task instances with mapped elements, a page at a time (filter by taskId, state; mapped=true for elements only)",
  },
  {
    method: "POST",
    path: "/runs/{runId}/cancel",
    procedure: "runs.cancel",
    summary: "Cancel a run; running attempts are aborted",
  },
  {
    method: "POST",
    path: "/runs/{runId}/clear",
    procedure: "runs.clear",
    summary:
      "Clear tasks (optionally with their downstream or upstream, or only the failed) so they run again",
  },
  {
    method: "POST",
    path: "/runs/{runId}/clear/preview",
    procedure: "runs.clearPreview",
    summary: "The tasks a clear would reset (a dry run; changes nothing)",
  },
  {
    method: "POST",
    path: "/runs/{runId}/tasks/{taskId}/mark",
    procedure: "runs.mark",
    summary: "Mark a task success or failed; its downstream follows",
  },
  {
    method: "POST",
    path: "/runs/{runId}/retry-failed",
    procedure: "runs.retryFailed",
    summary: "Run the failed tasks again",
  },
  {
    method: "GET",
    path: "/runs/{runId}/tasks/{taskId}/logs",
    procedure: "runs.logs",
    summary: "A task attempt's log",
  },
  {
    method: "GET",
    path: "/approvals",
    procedure: "approvals.pending",
    summary: "Approval tasks waiting for a decision (filter by runId)",
  },
  {
    method: "POST",
    path: "/runs/{runId}/tasks/{taskId}/approve",
    procedure: "approvals.decide",
    operationId: "approvals.approve",
    summary: "Approve a waiting approval task (optional comment, mapIndex)",
    input: { decision: "approve" },
  },
  {
    method: "POST",
    path: "/runs/{runId}/tasks/{taskId}/reject",
    procedure: "approvals.decide",
    operationId: "approvals.reject",
    summary: "Reject a waiting approval task (optional comment, mapIndex)",
    input: { decision: "reject" },
  },
  {
    method: "GET",
    path: "/dags/{dagId}/schedule/preview",
    procedure: "schedules.preview",
    summary: "The next runs of the DAG's schedule: fire time, logical date, data interval (?count=10)",
  },
  {
    method: "POST",
    path: "/schedules/preview",
    procedure: "schedules.preview",
    operationId: "schedules.previewSchedule",
    summary:
      "The next runs of a schedule being written: `{ schedule, startDate?, endDate?, count? }` (nothing is stored)",
  },
  {
    method: "POST",
    path: "/dags/{dagId}/backfills",
    procedure: "backfills.create",
    summary: "Backfill: one run per scheduled logical date from `from` to `to` (both included)",
    status: 201,
  },
  {
    method: "GET",
    path: "/backfills",
    procedure: "backfills.list",
    summary: "Backfills, newest first (?dagId=)",
  },
  {
    method: "GET",
    path: "/backfills/{backfillId}",
    procedure: "backfills.get",
    summary: "A backfill's progress: dates handled, runs by state",
  },
  {
    method: "POST",
    path: "/backfills/{backfillId}/cancel",
    procedure: "backfills.cancel",
    summary: "Stop a backfill; its queued runs are cancelled",
  },
  {
    method: "GET",
    path: "/webhooks",
    procedure: "webhooks.list",
    summary: "Webhook endpoints (?dagId=), never their secrets",
  },
  {
    method: "POST",
    path: "/dags/{dagId}/webhooks",
    procedure: "webhooks.create",
    summary: "Create a webhook endpoint for the DAG; the answer holds its secret, once",
    status: 201,
  },
  { method: "GET", path: "/webhooks/{webhookId}", procedure: "webhooks.get", summary: "A webhook endpoint" },
  {
    method: "PATCH",
    path: "/webhooks/{webhookId}",
    procedure: "webhooks.update",
    summary: "Change a webhook endpoint's settings",
  },
  {
    method: "DELETE",
    path: "/webhooks/{webhookId}",
    procedure: "webhooks.delete",
    summary: "Delete a webhook endpoint and its delivery log",
  },
  {
    method: "POST",
    path: "/webhooks/{webhookId}/rotate-secret",
    procedure: "webhooks.rotateSecret",
    summary: "A new secret, shown once (the old one works graceSeconds longer)",
  },
  {
    method: "GET",
    path: "/webhooks/{webhookId}/deliveries",
    procedure: "webhooks.deliveries",
    summary: "The delivery log, newest first (?limit=50&before=<ISO time>)",
  },
  {
    method: "GET",
    path: "/webhooks/{webhookId}/deliveries/{deliveryId}",
    procedure: "webhooks.delivery",
    summary: "One delivery with its redacted headers and logged body",
  },
  {
    method: "POST",
    path: "/webhooks/{webhookId}/deliveries/{deliveryId}/replay",
    procedure: "webhooks.replay",
    summary: "Run a logged delivery again (a new run)",
    status: 201,
  },
  {
    method: "GET",
    path: "/dags/{dagId}/triggers",
    procedure: "dagTriggers.list",
    summary: "Triggers from and to the DAG's runs' outcomes",
  },
  {
    method: "POST",
    path: "/dags/{dagId}/triggers",
    procedure: "dagTriggers.create",
    summary: "Start the DAG when a run of upstreamDagId ends (on success and/or failed)",
    status: 201,
  },
  {
    method: "PATCH",
    path: "/dags/{dagId}/triggers/{triggerId}",
    procedure: "dagTriggers.update",
    summary: "Change a trigger (on, paramMapping, enabled)",
  },
  {
    method: "DELETE",
    path: "/dags/{dagId}/triggers/{triggerId}",
    procedure: "dagTriggers.delete",
    summary: "Delete a trigger",
  },
  {
    method: "GET",
    path: "/usage",
    procedure: "usage.summary",
    summary: "Current use against every quota of the workspace's plan",
  },
  {
    method: "GET",
    path: "/usage/history",
    procedure: "usage.history",
    summary: "Daily task runs, task-seconds, runs and webhook deliveries of the last 30 days",
  },
  {
    method: "GET",
    path: "/pools",
    procedure: "pools.list",
    summary: "Pools with their slots, slots in use and queued tasks; pool names in use without a pool",
  },
  { method: "POST", path: "/pools", procedure: "pools.create", summary: "Create a pool", status: 201 },
  {
    method: "PATCH",
    path: "/pools/{name}",
    procedure: "pools.update",
    summary: "Change a pool's slots or description",
  },
  { method: "DELETE", path: "/pools/{name}", procedure: "pools.delete", summary: "Delete a pool" },
  {
    method: "GET",
    path: "/pools/{name}/agents",
    procedure: "pools.agents",
    summary: "An agent pool's agents: online or not, last seen, version, labels, what they run",
  },
  {
    method: "DELETE",
    path: "/pools/{name}/agents/{agentId}",
    procedure: "pools.revokeAgent",
    summary: "Revoke an agent: it stops within seconds and its running attempts are retried",
  },
  {
    method: "POST",
    path: "/pools/{name}/join-token",
    procedure: "pools.rotateJoinToken",
    summary: "A new join token for an agent pool (shown once; the old one stops working)",
  },
  {
    method: "DELETE",
    path: "/pools/{name}/join-token",
    procedure: "pools.revokeJoinToken",
    summary: "Revoke an agent pool's join token (registered agents go on)",
  },

  {
    method: "GET",
    path: "/sla-misses",
    procedure: "slas.misses",
    summary: "SLA misses of the workspace (or of dagId, runId), newest deadline first, with how late",
  },
  {
    method: "GET",
    path: "/dags/{dagId}/sla-misses",
    procedure: "slas.misses",
    operationId: "dagSlaMisses",
    summary: "SLA misses of one DAG, newest deadline first, with how late",
  },
  { method: "GET", path: "/alert-rules", procedure: "alerts.rules", summary: "List alert rules" },
  {
    method: "POST",
    path: "/alert-rules",
    procedure: "alerts.createRule",
    summary: "Create an alert rule: what to watch, the channels, the throttle",
    status: 201,
  },
  { method: "GET", path: "/alert-rules/{ruleId}", procedure: "alerts.rule", summary: "One alert rule" },
  {
    method: "PATCH",
    path: "/alert-rules/{ruleId}",
    procedure: "alerts.updateRule",
    summary: "Change an alert rule (its kind stays)",
  },
  {
    method: "DELETE",
    path: "/alert-rules/{ruleId}",
    procedure: "alerts.deleteRule",
    summary: "Delete an alert rule",
  },
  {
    method: "PUT",
    path: "/alert-rules/{ruleId}/mute",
    procedure: "alerts.mute",
    summary: "Mute a rule for some minutes: it keeps watching, and what it would send is listed as muted",
  },
  {
    method: "DELETE",
    path: "/alert-rules/{ruleId}/mute",
    procedure: "alerts.unmute",
    summary: "Unmute a rule",
  },
  {
    method: "GET",
    path: "/alerts",
    procedure: "alerts.list",
    summary: "Alerts sent (filter by ruleId or dagId), newest first, with what triggered each",
  },
  {
    method: "GET",
    path: "/lineage",
    procedure: "lineage.graph",
    summary: "How the workspace's DAGs feed each other: DAG triggers, trigger_dag tasks and sensors",
  },
  {
    method: "GET",
    path: "/dags/{dagId}/lineage",
    procedure: "lineage.dag",
    summary: "A DAG's upstream and downstream links, each with its last event",
  },
  // The platform console's operations (platform tokens only; docs/platform-console.md).
  {
    method: "GET",
    path: "/platform/workspaces",
    procedure: "platform.workspaces",
    summary: "Every workspace, searched (name, slug, plan, owner e-mail), sorted and paged",
    answer: platformWorkspacePage,
  },
  {
    method: "PUT",
    path: "/platform/workspaces/{workspace}/plan",
    procedure: "platform.changePlan",
    summary: "Move a workspace to another plan",
    answer: platformWorkspaceState,
  },
  {
    method: "POST",
    path: "/platform/workspaces/{workspace}/suspend",
    procedure: "platform.suspend",
    summary: "Suspend a workspace, with the reason its members see",
    answer: platformWorkspaceState,
  },
  {
    method: "POST",
    path: "/platform/workspaces/{workspace}/resume",
    procedure: "platform.resume",
    summary: "Resume a suspended workspace",
    answer: platformWorkspaceState,
  },
  {
    method: "GET",
    path: "/platform/plans",
    procedure: "platform.plans",
    summary: "The plans with their quotas and number of workspaces",
    answer: planList,
  },
  {
    method: "GET",
    path: "/platform/usage",
    procedure: "platform.exportUsage",
    summary: "Every workspace's metered use of a UTC month, as CSV or JSON (for billing)",
    answer: exportedFile,
  },
  {
    method: "GET",
    path: "/platform/users",
    procedure: "platform.users",
    summary: "Every user account, searched (e-mail, name), sorted and paged",
    answer: platformUserPage,
  },
  {
    method: "POST",
    path: "/platform/users/{userId}/disable",
    procedure: "platform.disableUser",
    summary: "Disable an account: its sessions end, sign-in and its API tokens are refused",
    answer: userDisabledChange,
  },
  {
    method: "POST",
    path: "/platform/users/{userId}/enable",
    procedure: "platform.enableUser",
    summary: "Enable a disabled account",
    answer: userDisabledChange,
  },
  {
    method: "GET",
    path: "/platform/audit",
    procedure: "platform.auditEvents",
    summary: "The installation's audit log, newest first",
    answer: platformAuditPage,
  },
  {
    method: "GET",
    path: "/platform/audit/export",
    procedure: "platform.exportAuditEvents",
    summary: "The installation's audit log as CSV or JSON (the newest 100,000 events)",
    answer: exportedFile,
  },
  {
    method: "GET",
    path: "/platform/alerts",
    procedure: "platform.alerts",
    summary: "Tenants at or near a quota, tenants whose webhooks keep failing",
    answer: operatorAlertsSchema,
  },
];
