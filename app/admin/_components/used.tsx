import type { QuotaUnit } from "@/server/quotas/catalog";
import { formatQuantity } from "@/server/usage/format";

/** "120 / 1,000", in red once the quota is reached. */
export function Used({ value, limit, unit }: { value: number; limit: number; unit: QuotaUnit }) {
  const full = value >= limit;
  return (
    <span className={full ? "font-medium text-red-700" : undefined}>
      {formatQuantity(value, unit)} <span className="text-slate-400">/</span> {formatQuantity(limit, unit)}
      {full && <span className="sr-only"> (quota reached)</span>}
    </span>
  );
}
