// Quota amounts for people, in the units they think in: the usage page and the alert e-mails
// print the same words.
import type { QuotaUnit } from "@/server/quotas/catalog";

const count = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

/** 1536 → "1.5 KiB", 5242880 → "5 MiB". */
export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? count.format(value) : decimal.format(value)} ${units[unit]}`;
}

/** Task-seconds as hours ("12.5 h"); under an hour, as minutes or seconds. */
export function formatSeconds(seconds: number): string {
  if (seconds >= 3600) return `${decimal.format(seconds / 3600)} h`;
  if (seconds >= 60) return `${decimal.format(seconds / 60)} min`;
  return `${decimal.format(seconds)} s`;
}

export function formatQuantity(value: number, unit: QuotaUnit): string {
  switch (unit) {
    case "bytes":
      return formatBytes(value);
    case "seconds":
      return formatSeconds(value);
    case "days":
      return `${count.format(value)} ${value === 1 ? "day" : "days"}`;
    case "per-minute":
      return `${count.format(value)} / min`;
    default:
      return count.format(value);
  }
}
