import { Field } from "./field";

/** A field for choosing a password, with the rule the server applies (length, hard to guess). */
export function NewPasswordField({ label, name, error }: { label: string; name: string; error?: string }) {
  return (
    <Field
      label={label}
      name={name}
      type="password"
      autoComplete="new-password"
      required
      minLength={10}
      hint="At least 10 characters, hard to guess: a few unrelated words work well."
      error={error}
    />
  );
}
