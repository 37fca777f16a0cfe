const format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A date for people, with the exact instant in the markup. */
export function Time({ value, fallback = "—" }: { value: Date | null | undefined; fallback?: string }) {
  if (!value) return <span className="text-slate-400">{fallback}</span>;
  return (
    <time dateTime={value.toISOString()} title={value.toISOString()} className="whitespace-nowrap">
      {format.format(value)}
    </time>
  );
}

/** A duration for people: "850 ms", "12.3 s", "4 min 5 s", "2 h 10 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** How long something took (or has taken so far, when it has not ended). */
export function elapsed(start: Date | null | undefined, end: Date | null | undefined, now = Date.now()) {
  if (!start) return undefined;
  return (end?.getTime() ?? now) - start.getTime();
}
