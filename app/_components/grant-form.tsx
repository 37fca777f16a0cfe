"use client";
import type { ReactNode } from "react";
import type { Role } from "@/server/tenancy/roles";
import { Alert } from "./alert";
import { Button } from "./button";
import { formErrors } from "./errors";
import { Field } from "./field";
import { Form } from "./form";
import { RoleField } from "./role-badge";

/**
 * One line granting a role to something: an e-mail address (invitations) or a token name.
 * `onGrant` gets the form too, to clear it once the grant succeeded.
 */
export function GrantForm({
  label,
  name,
  type = "text",
  maxRole,
  submitLabel,
  pendingLabel,
  pending,
  error,
  onGrant,
  extra,
}: {
  label: string;
  name: string;
  type?: "text" | "email";
  maxRole: Role;
  submitLabel: string;
  pendingLabel: string;
  pending: boolean;
  error: unknown;
  onGrant: (value: string, role: Role, form: HTMLFormElement, values: Record<string, string>) => void;
  /** More fields, between the role and the button (their values reach `onGrant`). */
  extra?: ReactNode;
}) {
  const errors = formErrors(error, [name, "role"]);
  return (
    <Form
      onValues={(values, form) => onGrant(values[name] ?? "", values.role as Role, form, values)}
      className={`grid gap-4 sm:items-start ${extra ? "sm:grid-cols-[minmax(0,1fr)_12rem_10rem_auto]" : "sm:grid-cols-[minmax(0,1fr)_12rem_auto]"}`}
    >
      {errors.message && (
        <Alert tone="error" className={extra ? "sm:col-span-4" : "sm:col-span-3"}>
          {errors.message}
        </Alert>
      )}
      <Field
        label={label}
        name={name}
        type={type}
        required
        autoComplete="off"
        spellCheck={false}
        error={errors.fields[name]}
      />
      <RoleField max={maxRole} error={errors.fields.role} />
      {extra}
      <Button type="submit" pending={pending} pendingLabel={pendingLabel} className="sm:mt-6.5">
        {submitLabel}
      </Button>
    </Form>
  );
}
