// Class lists shared by the building blocks, so controls look and focus the same everywhere.
export const focusRing =
  "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

/** Inputs and selects; callers add width and vertical padding. */
export const control =
  "rounded-md border-0 bg-white px-3 text-sm text-slate-900 shadow-xs ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:outline-2 focus:-outline-offset-2 focus:outline-indigo-600 disabled:cursor-not-allowed disabled:bg-slate-50 disabled:text-slate-500 read-only:bg-slate-50 aria-[invalid=true]:ring-red-500";

export const link = `rounded-sm font-medium text-indigo-700 underline-offset-2 hover:underline ${focusRing}`;

// Disabled buttons look disabled (greyed, no shadow), not just unresponsive.
const variants = {
  primary:
    "bg-indigo-600 text-white shadow-xs hover:bg-indigo-500 disabled:bg-indigo-300 disabled:shadow-none",
  secondary:
    "bg-white text-slate-900 shadow-xs ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:bg-slate-100 disabled:text-slate-400 disabled:shadow-none disabled:ring-slate-200",
  danger: "bg-red-600 text-white shadow-xs hover:bg-red-500 disabled:bg-red-300 disabled:shadow-none",
  ghost:
    "text-slate-700 hover:bg-slate-100 hover:text-slate-900 disabled:bg-transparent disabled:text-slate-400",
} as const;

export type ButtonVariant = keyof typeof variants;

/** The button look, also for links that act as buttons (`<Link className={buttonClass()}>`). */
export function buttonClass(variant: ButtonVariant = "primary", size: "sm" | "md" = "md") {
  const sizing = size === "sm" ? "px-2.5 py-1.5 text-xs" : "px-3.5 py-2 text-sm";
  return `inline-flex items-center justify-center gap-2 rounded-md font-semibold whitespace-nowrap transition-colors disabled:cursor-not-allowed ${sizing} ${variants[variant]} ${focusRing}`;
}
