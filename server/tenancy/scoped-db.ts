// A Prisma client that can only see one workspace. Every query on a tenant model gets
// `workspaceId` added to its filter and to the rows it creates, so a handler holding this
// client cannot read or write another tenant's rows, however its query is written; and every
// query runs inside the workspace under row-level security, which catches what the filter misses.
import { db } from "@/server/db/client";
import { enterWorkspace } from "./workspace-sql";

/** Models that carry `workspaceId` (a unit test checks this list against schema.prisma). */
export const tenantModelNames = [
  "Membership",
  "Group",
  "GroupMember",
  "WorkspaceSso",
  "SsoLogin",
  "Invitation",
  "ApiToken",
  "AuditEvent",
  "Dag",
  "DagVersion",
  "Variable",
  "Secret",
  "Connection",
  "DagRun",
  "TaskInstance",
  "TaskAttempt",
  "TaskLog",
  "Pool",
  "Agent",
  "WorkspaceDispatch",
  "PoolWait",
  "WebhookEndpoint",
  "WebhookDelivery",
  "Backfill",
  "DagTrigger",
  "UsageDay",
  "Notification",
  "QuotaAlert",
  "SlaMiss",
  "AlertRule",
  "AlertIncident",
  "Alert",
] as const;
type Delegate<M extends string> = M extends `${infer First}${infer Rest}` ? `${Lowercase<First>}${Rest}` : M;
type TenantModel = Delegate<(typeof tenantModelNames)[number]>;
const isTenantModel = new Set<string>(tenantModelNames);

type Args = Record<string, unknown> & { where?: object; data?: unknown; create?: object };

function scopeArgs(operation: string, args: Args, workspaceId: string): Args {
  const scoped: Args = { ...args };
  const withTenant = (data: unknown) => {
    if (data && typeof data === "object" && "workspace" in data) {
      throw new Error("scoped writes set workspaceId themselves; do not connect `workspace`");
    }
    return { ...(data as object), workspaceId };
  };
  switch (operation) {
    case "create":
      scoped.data = withTenant(args.data);
      break;
    case "createMany":
    case "createManyAndReturn":
      scoped.data = Array.isArray(args.data) ? args.data.map(withTenant) : withTenant(args.data);
      break;
    case "upsert":
      scoped.where = { ...args.where, workspaceId };
      scoped.create = withTenant(args.create);
      break;
    default:
      // find*, count, aggregate, groupBy, update*, delete*: all filter by `where`.
      scoped.where = { ...args.where, workspaceId };
  }
  return scoped;
}

/**
 * The scoped client of one workspace. Two layers: the filter above (every query names the
 * workspace), and row-level security under it: each query runs in a transaction that has entered
 * the workspace (the tenant role and `app.workspace_id`, workspace-sql.ts), so the database itself
 * refuses other workspaces' rows, nested reads and writes included. `$transaction(fn)` enters once
 * for the whole transaction.
 */
export function scopedDb(workspaceId: string): ScopedDb {
  const enter = enterWorkspace(workspaceId);
  const filtered = db.$extends({
    name: "workspace-scope",
    query: {
      $allModels: {
        $allOperations({ model, operation, args, query }) {
          if (!isTenantModel.has(model)) {
            throw new Error(`${model} is not a tenant model; it cannot be reached through a workspace scope`);
          }
          return query(scopeArgs(operation, args as Args, workspaceId));
        },
      },
    },
  });
  const entered = filtered.$extends({
    name: "workspace-row-security",
    query: {
      $allModels: {
        async $allOperations({ args, query }) {
          const [, result] = await filtered.$transaction([filtered.$executeRawUnsafe(enter), query(args)]);
          return result;
        },
      },
    },
  });
  const transaction: ScopedDb["$transaction"] = (fn, options) =>
    filtered.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(enter);
      return fn(tx as unknown as ScopedTx);
    }, options);
  return new Proxy(entered, {
    get: (target, key) => (key === "$transaction" ? transaction : Reflect.get(target, key)),
  }) as unknown as ScopedDb;
}

type Extended = ReturnType<typeof db.$extends>;
/** A scoped client's transaction: tenant models only. */
export type ScopedTx = Pick<typeof db, TenantModel>;
/** Tenant models and transactions only: no raw SQL, no users, no other workspaces. */
export type ScopedDb = ScopedTx & {
  /** `options.timeout`: Prisma's limit for the whole transaction (default 5 s). */
  $transaction: <T>(fn: (tx: ScopedTx) => Promise<T>, options?: { timeout?: number }) => Promise<T>;
} & Partial<Pick<Extended, never>>;
