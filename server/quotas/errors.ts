// The errors a workspace's plan and status raise where they bite, with the messages members read.
import { AppError } from "@/server/errors";

/**
 * A suspended workspace starts no new run, from any source (manual, API, schedule, webhook,
 * backfill, DAG trigger). FORBIDDEN: the caller may be allowed, the workspace is not.
 */
export class WorkspaceSuspendedError extends AppError {
  constructor(readonly reason: string | null) {
    super("FORBIDDEN", suspendedMessage(reason));
    this.name = "WorkspaceSuspendedError";
  }
}

const suspended = (reason: string | null) => `is suspended${reason?.trim() ? ` (${reason.trim()})` : ""}`;

/** Why a run is refused: "This workspace is suspended (unpaid invoice). No new runs start …". */
export function suspendedMessage(reason: string | null): string {
  return `This workspace ${suspended(reason)}. No new runs start until a platform administrator resumes it`;
}

/** A queued run's stateReason while its workspace is suspended. */
export function suspendedWaitingReason(reason: string | null): string {
  return `Queued: this workspace ${suspended(reason)}; the run starts once it is resumed`;
}

/** Who members read as the actor of a platform change in their audit log: the role, never the person. */
export const PLATFORM_ACTOR_LABEL = "Platform administrator";

/**
 * Why an API token may not change a suspended workspace (it may still read it): FORBIDDEN.
 */
export function suspendedTokenMessage(reason: string | null): string {
  return `This workspace ${suspended(reason)}. API tokens can read it but not change it until a platform administrator resumes it`;
}

/** What a webhook sender reads while the workspace is suspended (nothing internal): 503 with Retry-After. */
export const SUSPENDED_WEBHOOK_MESSAGE = "This endpoint is not accepting deliveries right now; retry later";

/** Seconds a webhook sender is asked to wait before retrying a delivery to a suspended workspace. */
export const SUSPENDED_RETRY_AFTER_SECONDS = 300;
