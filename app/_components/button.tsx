import { type ButtonHTMLAttributes, useId } from "react";
import { focusRing } from "./styles";

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

interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: ButtonVariant;
  size?: "sm" | "md";
  /** While true the button is disabled and shows `pendingLabel`. */
  pending?: boolean;
  pendingLabel?: string;
  /** Why the button is disabled, shown beside it (a tooltip alone is invisible on touch screens). */
  disabledReason?: string | undefined;
}

export function Button({
  variant,
  size,
  pending = false,
  pendingLabel = "Saving…",
  disabled,
  disabledReason,
  className = "",
  type = "button",
  children,
  ...props
}: ButtonProps) {
  const reasonId = useId();
  const reason = disabled && disabledReason ? disabledReason : undefined;
  const button = (
    <button
      type={type}
      disabled={disabled || pending}
      aria-busy={pending || undefined}
      aria-describedby={reason ? reasonId : undefined}
      className={`${buttonClass(variant, size)} ${className}`}
      {...props}
    >
      {pending ? pendingLabel : children}
    </button>
  );
  if (!reason) return button;
  return (
    <span className="inline-flex flex-wrap items-center gap-x-2 gap-y-1">
      {button}
      <span id={reasonId} className="text-xs text-slate-500">
        {reason}
      </span>
    </span>
  );
}
