"use client";
import { type ButtonHTMLAttributes, useId, useSyncExternalStore } from "react";
import { type ButtonVariant, buttonClass } from "./styles";

export type { ButtonVariant };

interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: ButtonVariant;
  size?: "sm" | "md";
  /** While true the button is disabled and shows `pendingLabel`. */
  pending?: boolean;
  pendingLabel?: string;
  /** Why the button is disabled, shown beside it (a tooltip alone is invisible on touch screens). */
  disabledReason?: string | undefined;
}

const noSubscription = () => () => {};

/**
 * False in the server's HTML and until React has hydrated the page. A form submitted before then
 * would be sent by the browser itself (a GET with every field, the password included, in the URL)
 * instead of by its handler, so submit buttons wait for it.
 */
function useHydrated() {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
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
  const hydrated = useHydrated();
  const reason = disabled && disabledReason ? disabledReason : undefined;
  const button = (
    <button
      type={type}
      disabled={disabled || pending || (type === "submit" && !hydrated)}
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
