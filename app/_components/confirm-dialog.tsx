"use client";
// One confirmation for every action that changes or removes something others rely on: a dialog
// that says what will happen and shows what it affects (the tasks a clear re-runs, the
// permissions a role change gives or takes) before anything is done. Replaces window.confirm(),
// which shows no preview, cannot be styled and is blocked by some browsers.
import { type ReactNode, useState } from "react";
import { Alert } from "./alert";
import { Button, type ButtonVariant } from "./button";
import { Dialog, DialogActions } from "./dialog";
import { errorMessage } from "./errors";

export interface Confirmation {
  title: string;
  /** What the action does, in a sentence or two. */
  description?: ReactNode;
  /** What it affects; rendered only while the dialog is open (it may load its own data). */
  preview?: ReactNode;
  confirmLabel: string;
  pendingLabel?: string;
  tone?: "danger" | "primary";
  /** Keeps the confirm button disabled (say, while the preview loads or finds nothing to do). */
  blocked?: boolean;
}

export function ConfirmDialog({
  open,
  onClose,
  onConfirm,
  title,
  description,
  preview,
  confirmLabel,
  pendingLabel = "Working…",
  tone = "danger",
  blocked = false,
}: Confirmation & {
  open: boolean;
  onClose: () => void;
  /** The action; the dialog stays open showing the error if it fails, and closes when it succeeds. */
  onConfirm: () => Promise<unknown>;
}) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function confirm() {
    setPending(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (caught) {
      setError(caught);
    } finally {
      setPending(false);
    }
  }
  return (
    <Dialog
      open={open}
      onClose={() => {
        setError(null);
        onClose();
      }}
      title={title}
      description={description}
    >
      <div className="space-y-4">
        {preview && <div className="text-sm text-slate-700">{preview}</div>}
        {error ? <Alert tone="error">{errorMessage(error)}</Alert> : null}
        <DialogActions onCancel={onClose}>
          <Button
            variant={tone === "danger" ? "danger" : "primary"}
            pending={pending}
            pendingLabel={pendingLabel}
            disabled={blocked}
            onClick={confirm}
          >
            {confirmLabel}
          </Button>
        </DialogActions>
      </div>
    </Dialog>
  );
}

/** A button that asks first: it opens the confirmation, and the action runs only when confirmed. */
export function ConfirmButton({
  children,
  variant = "secondary",
  size,
  disabled,
  disabledReason,
  className,
  onConfirm,
  ...confirmation
}: Confirmation & {
  children: ReactNode;
  variant?: ButtonVariant;
  size?: "sm" | "md";
  disabled?: boolean;
  /** Why it is disabled, shown beside it. */
  disabledReason?: string;
  className?: string;
  onConfirm: () => Promise<unknown>;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button
        variant={variant}
        size={size}
        disabled={disabled}
        disabledReason={disabledReason}
        className={className}
        onClick={() => setOpen(true)}
      >
        {children}
      </Button>
      {open && <ConfirmDialog open onClose={() => setOpen(false)} onConfirm={onConfirm} {...confirmation} />}
    </>
  );
}

/** A list of what an action affects, cut after `max` with a count of the rest. */
export function AffectedList({
  label,
  items,
  max = 12,
}: {
  label: string;
  items: readonly ReactNode[];
  max?: number;
}) {
  return (
    <div>
      <p className="font-medium text-slate-800">{label}</p>
      <ul className="mt-1.5 max-h-48 space-y-0.5 overflow-y-auto rounded-md bg-slate-50 p-2.5 font-mono text-xs ring-1 ring-slate-200">
        {items.slice(0, max).map((item, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list shown once
          <li key={i}>{item}</li>
        ))}
        {items.length > max && <li className="font-sans text-slate-500">and {items.length - max} more</li>}
      </ul>
    </div>
  );
}
