"use client";
import {
  type InputHTMLAttributes,
  type ReactNode,
  type Ref,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
  useId,
} from "react";
import { control } from "./styles";

interface ControlProps {
  id: string;
  "aria-invalid"?: true;
  "aria-describedby"?: string;
}

interface FrameProps {
  label: ReactNode;
  /** Shown under the control and tied to it with aria-describedby; marks it aria-invalid. */
  error?: string;
  hint?: ReactNode;
  className?: string;
}

/** Label, control, hint and inline error, wired together for assistive technology. */
function FieldFrame({
  label,
  error,
  hint,
  className = "",
  children,
}: FrameProps & { children: (props: ControlProps) => ReactNode }) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  return (
    <div className={className}>
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      <div className="mt-1.5">
        {children({ id, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy })}
      </div>
      {hint && (
        <p id={hintId} className="mt-1.5 text-xs text-slate-500">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="mt-1.5 text-sm text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, "id"> &
  FrameProps & { ref?: Ref<HTMLInputElement> };

export function Field({ label, error, hint, className, ...input }: InputProps) {
  return (
    <FieldFrame label={label} error={error} hint={hint} className={className}>
      {(props) => <input className={`${control} block w-full py-2`} {...props} {...input} />}
    </FieldFrame>
  );
}

type SelectProps = Omit<SelectHTMLAttributes<HTMLSelectElement>, "id"> &
  FrameProps & { ref?: Ref<HTMLSelectElement> };

export function SelectField({ label, error, hint, className, children, ...select }: SelectProps) {
  return (
    <FieldFrame label={label} error={error} hint={hint} className={className}>
      {(props) => (
        <select className={`${control} block w-full py-2 pr-8`} {...props} {...select}>
          {children}
        </select>
      )}
    </FieldFrame>
  );
}

type TextAreaProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "id"> &
  FrameProps & { ref?: Ref<HTMLTextAreaElement> };

export function TextAreaField({ label, error, hint, className, ...textarea }: TextAreaProps) {
  return (
    <FieldFrame label={label} error={error} hint={hint} className={className}>
      {(props) => <textarea className={`${control} block w-full py-2`} rows={3} {...props} {...textarea} />}
    </FieldFrame>
  );
}

type CheckboxProps = Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "type"> &
  FrameProps & { ref?: Ref<HTMLInputElement> };

/** A checkbox with its label beside it (the hint and error below, as for other fields). */
export function CheckboxField({ label, error, hint, className = "", ...input }: CheckboxProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  return (
    <div className={className}>
      <div className="flex items-center gap-2">
        <input
          id={id}
          type="checkbox"
          aria-invalid={error ? true : undefined}
          aria-describedby={[hintId, errorId].filter(Boolean).join(" ") || undefined}
          className="size-4 rounded border-slate-300 text-indigo-600 accent-indigo-600"
          {...input}
        />
        <label htmlFor={id} className="text-sm font-medium text-slate-800">
          {label}
        </label>
      </div>
      {hint && (
        <p id={hintId} className="mt-1 text-xs text-slate-500">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="mt-1 text-sm text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}
