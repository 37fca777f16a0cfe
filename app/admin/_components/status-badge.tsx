/** Active, suspended or deleted (in its grace period), as a badge with its label in words. */
export function StatusBadge({ status }: { status: "active" | "suspended" | "deleted" }) {
  const look =
    status === "active"
      ? "bg-emerald-50 text-emerald-800 ring-emerald-200"
      : status === "deleted"
        ? "bg-slate-100 text-slate-700 ring-slate-300"
        : "bg-red-50 text-red-800 ring-red-200";
  return (
    <span
      className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${look}`}
    >
      {status === "active" ? "Active" : status === "deleted" ? "Deleted" : "Suspended"}
    </span>
  );
}
