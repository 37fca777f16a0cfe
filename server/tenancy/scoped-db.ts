// A Prisma client that can only see one workspace. Every query on a tenant model gets
// `workspaceId` added to its filter and to the rows it creates, so a handler holding this
// client cannot read or write another tenant's rows, however its query is written; and every
// query runs inside the workspace under row-level security, which catches what the filter misses.
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { folderFilter, folderHeldModels } from "./folders";
import { enterWorkspace } from "./workspace-sql";

/** Models that carry `workspaceId` (a unit test checks this list against schema.prisma). */
export const tenantModelNames = [
  "Membership",
  "Group",
  "GroupMember",
  "Folder",
  "FolderGrant",
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

/** Writes that name a folder (`folderId` in created or changed rows). */
function namedFolders(operation: string, args: Args): unknown[] {
  const rows = (data: unknown) => (Array.isArray(data) ? data : data === undefined ? [] : [data]);
  const written =
    operation === "upsert"
      ? [...rows(args.create), ...rows((args as { update?: unknown }).update)]
      : rows(args.data);
  return written
    .filter((row): row is { folderId?: unknown } => Boolean(row) && typeof row === "object")
    .map((row) => row.folderId);
}

const creates = new Set(["create", "createMany", "createManyAndReturn", "upsert"]);

/**
 * A folder-restricted scope's filter (folders.ts): reads, changes and deletes of folder-held rows
 * reach only `folderIds`' rows; a new row or a move must name one of them; the other tenant models
 * are out of reach, but for the audit events the scope records.
 */
function restrictToFolders(model: string, operation: string, args: Args, folderIds: readonly string[]): Args {
  const filter = folderFilter(model, folderIds);
  if (!filter) {
    if (model === "AuditEvent" && operation === "create") return args;
    throw new Error(`${model} is not reachable from a folder-restricted scope`);
  }
  if (folderHeldModels.has(model)) {
    const named = namedFolders(operation, args);
    const outside = named.some(
      (folderId) => folderId !== undefined && !folderIds.includes(folderId as string),
    );
    const rootCreate = creates.has(operation) && named.some((folderId) => folderId === undefined);
    if (outside || rootCreate) {
      throw new AppError("FORBIDDEN", "Your folder grants do not allow this outside your folders", [
        { path: "folder", message: "Name one of the folders you may change" },
      ]);
    }
  }
  if (operation === "create" || operation === "createMany" || operation === "createManyAndReturn")
    return args;
  // Beside the unique fields (findUnique, update and delete need them at the top), in AND.
  const where = (args.where ?? {}) as { AND?: object | object[] };
  const and = where.AND === undefined ? [] : Array.isArray(where.AND) ? where.AND : [where.AND];
  return { ...args, where: { ...where, AND: [...and, filter] } };
}

/**
 * The scoped client of one workspace. Two layers: the filter above (every query names the
 * workspace), and row-level security under it: each query runs in a transaction that has entered
 * the workspace (the tenant role and `app.workspace_id`, workspace-sql.ts), so the database itself
 * refuses other workspaces' rows, nested reads and writes included. `$transaction(fn)` enters once
 * for the whole transaction. With `folderIds` (a member acting through folder grants, door.ts), a
 * third layer keeps it to those folders' contents.
 */
export function scopedDb(workspaceId: string, folderIds: readonly string[] | null = null): ScopedDb {
  const enter = enterWorkspace(workspaceId);
  const filtered = db.$extends({
    name: "workspace-scope",
    query: {
      $allModels: {
        $allOperations({ model, operation, args, query }) {
          if (!isTenantModel.has(model)) {
            throw new Error(`${model} is not a tenant model; it cannot be reached through a workspace scope`);
          }
          const scoped = scopeArgs(operation, args as Args, workspaceId);
          return query(folderIds ? restrictToFolders(model, operation, scoped, folderIds) : scoped);
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
