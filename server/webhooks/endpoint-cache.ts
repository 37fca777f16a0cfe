// The public webhook route's per-process copy of what it looks up for every delivery: the endpoint,
// its DAG and workspace settings, its decrypted secrets and their log mask (receive.ts builds the
// entry). Without it each delivery pays a cross-workspace read and an AES-GCM decrypt before its
// one insert; with it a busy endpoint costs one read a second per process.
//
// Freshness: an entry lives ENDPOINT_TTL_MS. What this process changes — the endpoint itself
// (server/webhooks/endpoints.ts), its workspace's suspension or deletion, its DAG's archiving or
// new version — forgets the workspace's entries at once (forgetWebhookEndpoints), so this process
// answers the change at its next delivery. Another process's change shows here within the TTL; the
// engine checks suspension, archiving and params again when it creates the run
// (engine/webhook-runs.ts), so a delivery accepted meanwhile still starts no run it should not.
// Misses of one endpoint share one read; unknown ids are not kept, so random
// ids sent to the public URL cannot push real endpoints out.
import { LRUCache } from "lru-cache";

/** How long a process answers deliveries from its copy of an endpoint. */
export const ENDPOINT_TTL_MS = 1_000;

interface Cached {
  workspaceId: string;
}

const entries = new LRUCache<string, Cached>({
  max: 10_000,
  ttl: ENDPOINT_TTL_MS,
  // Not refreshed by reads: an entry read every millisecond still goes after the TTL.
  updateAgeOnGet: false,
});
/** Reads in flight, by endpoint id: concurrent misses share one. */
const reading = new Map<string, Promise<Cached | undefined>>();
/** Counts forgets: a read that started before one is answered but not kept. */
let generation = 0;

/** The endpoint `id` from this process's copy, or `load`ed (undefined: no such endpoint). */
export async function cachedEndpoint<T extends Cached>(
  id: string,
  load: (id: string) => Promise<T | undefined>,
): Promise<T | undefined> {
  const hit = entries.get(id);
  if (hit) return hit as T;
  let read = reading.get(id);
  if (!read) {
    const startedAt = generation;
    const started: Promise<T | undefined> = load(id)
      .then((found) => {
        if (found && generation === startedAt) entries.set(id, found);
        return found;
      })
      .finally(() => {
        if (reading.get(id) === started) reading.delete(id);
      });
    read = started;
    reading.set(id, read);
  }
  return (await read) as T | undefined;
}

/**
 * Forgets this process's copies of a workspace's endpoints (every workspace's when none is named),
 * after a change their deliveries must see at once. Reads in flight are not kept.
 */
export function forgetWebhookEndpoints(workspaceId?: string): void {
  generation++;
  reading.clear();
  for (const [id, entry] of entries.entries()) {
    if (workspaceId === undefined || entry.workspaceId === workspaceId) entries.delete(id);
  }
}
