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
