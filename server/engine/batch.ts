// Group commit for the engine's hot statements. Calls that arrive while batches are in flight
// wait and go together in the next one: a lone call goes at once (no timer, so no added latency),
// and under load ten worker slots finishing together pay one transaction instead of ten. This is
// what lets throughput grow with the number of slots rather than with round trips per task. A few
// batches run at once, so that one batch's round trips do not leave the database idle.
import { env } from "@/server/config";

interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Wraps `runBatch` (items in, one result per item, in order) into a per-item call. A batch that
 * throws is run again one item at a time, so a bad item fails only its own caller.
 */
export function batched<I, O>(
  runBatch: (items: I[]) => Promise<O[]>,
  options: { maxSize?: number; maxInFlight?: number } = {},
): (item: I) => Promise<O> {
  const maxSize = options.maxSize ?? 64;
  const maxInFlight = options.maxInFlight ?? env.BATON_BATCHES_IN_FLIGHT;
  let waiting: Waiting<I, O>[] = [];
  let inFlight = 0;

  const settle = async (batch: Waiting<I, O>[]) => {
    try {
      const results = await runBatch(batch.map((w) => w.item));
      for (const [i, w] of batch.entries()) w.resolve(results[i]!);
    } catch (error) {
      if (batch.length === 1) batch[0]!.reject(error);
      else for (const one of batch) await settle([one]);
    }
  };

  const drain = async () => {
    inFlight++;
    while (waiting.length > 0) {
      const batch = waiting.slice(0, maxSize);
      waiting = waiting.slice(maxSize);
      await settle(batch);
    }
    inFlight--;
  };

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (inFlight < maxInFlight) void drain();
    });
}
