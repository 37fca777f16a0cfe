"use client";
import type { FormEvent, FormHTMLAttributes } from "react";

type FormProps = Omit<FormHTMLAttributes<HTMLFormElement>, "onSubmit"> & {
  /** Called with the form's fields by name. */
  onValues: (values: Record<string, string>, form: HTMLFormElement) => void;
};

/**
 * A form that hands its values over as strings. Browser validation bubbles are off: the server's
 * problems show inline next to each field, in the same words the API uses.
 */
export function Form({ onValues, className = "space-y-4", children, ...props }: FormProps) {
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const values: Record<string, string> = {};
    for (const [name, value] of new FormData(event.currentTarget)) {
      if (typeof value === "string") values[name] = value;
    }
    onValues(values, event.currentTarget);
  }
  return (
    <form noValidate onSubmit={submit} className={className} {...props}>
      {children}
    </form>
  );
}
