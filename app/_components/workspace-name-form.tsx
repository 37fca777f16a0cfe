"use client";
import { Alert } from "./alert";
import { Button } from "./button";
import { formErrors } from "./errors";
import { Field } from "./field";
import { Form } from "./form";

/** The one-field form naming a workspace, for creating and for renaming one. */
export function WorkspaceNameForm({
  defaultValue,
  submitLabel,
  pendingLabel,
  pending,
  error,
  onSubmit,
}: {
  defaultValue?: string;
  submitLabel: string;
  pendingLabel: string;
  pending: boolean;
  error: unknown;
  onSubmit: (name: string) => void;
}) {
  const errors = formErrors(error, ["name"]);
  return (
    <Form onValues={(values) => onSubmit(values.name ?? "")}>
      {errors.message && <Alert tone="error">{errors.message}</Alert>}
      <Field
        label="Workspace name"
        name="name"
        defaultValue={defaultValue}
        required
        maxLength={80}
        autoComplete="off"
        error={errors.fields.name}
        className="max-w-md"
      />
      <Button type="submit" pending={pending} pendingLabel={pendingLabel}>
        {submitLabel}
      </Button>
    </Form>
  );
}
