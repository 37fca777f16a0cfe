// Quota values typed into the console's forms.
import type { QuotaUnit } from "@/server/quotas/catalog";

/** The unit a raw quota value is typed in (counts need none). */
export const unitWords: Record<QuotaUnit, string> = {
  count: "",
  bytes: "bytes",
  seconds: "seconds",
  days: "days",
  "per-minute": "per minute",
};

/**
 * A typed value as the API takes it: a number when it reads as one ("1,000" too), else the text
 * itself, which the server refuses saying what a quota must be.
 */
export function typedValue(text: string): number | string {
  const trimmed = text.trim().replaceAll(",", "").replaceAll("_", "");
  const number = Number(trimmed);
  return trimmed !== "" && Number.isFinite(number) ? number : text;
}
