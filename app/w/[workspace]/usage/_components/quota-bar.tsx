// One quota's use as a bar coloured by level; the level is also said in words (colour is never
// the only signal).
import type { UsageLevel } from "@/server/usage/report";

const looks: Record<UsageLevel, { label: string; bar: string; badge: string }> = {
  ok: { label: "OK", bar: "bg-emerald-600", badge: "bg-emerald-50 text-emerald-800 ring-emerald-300" },
  near: { label: "Near limit", bar: "bg-amber-500", badge: "bg-amber-50 text-amber-900 ring-amber-400" },
  at: { label: "At limit", bar: "bg-red-600", badge: "bg-red-50 text-red-800 ring-red-300" },
};

export const levelLabel = (level: UsageLevel) => looks[level].label;

export function LevelBadge({ level }: { level: UsageLevel }) {
  return (
    <span
      className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset ${looks[level].badge}`}
    >
      {looks[level].label}
    </span>
  );
}

/**
 * The bar only repeats what the row says in text next to it ("8 of 10", "Near limit"), so it is
 * hidden from screen readers.
 */
export function QuotaBar({ used, limit, level }: { used: number; limit: number; level: UsageLevel }) {
  // A quota of 0 is full from the start.
  const percent = limit > 0 ? Math.min(100, (used / limit) * 100) : 100;
  return (
    <div
      aria-hidden="true"
      data-level={level}
      className="h-2.5 w-full overflow-hidden rounded-full bg-slate-100 ring-1 ring-inset ring-slate-200"
    >
      <div className={`h-full rounded-full ${looks[level].bar}`} style={{ width: `${percent}%` }} />
    </div>
  );
}
