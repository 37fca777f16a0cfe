/** Active or suspended, as a badge with its label in words. */
export function StatusBadge({ status }: { status: "active" | "suspended" }) {
  const look =
    status === "active"
      ? "bg-emerald-50 text-emerald-800 ring-emerald-200"
      : "bg-red-50 text-red-800 ring-red-200";
  return (
    <span
      className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${look}`}
    >
      {status === "active" ? "Active" : "Suspended"}
    </span>
  );
}
