"use client";
import { type ReactNode, useMemo } from "react";
import { z } from "zod";
import { type Role, roles } from "@/server/tenancy/roles";
import { Button } from "./button";
import { RoleOptions } from "./role-badge";
import { FormField, FormSelect, useZodForm, ZodForm } from "./zod-form";

/**
 * One line granting a role to something: an e-mail address (invitations) or a token name. The
 * form clears once `onGrant` (a mutation's mutateAsync) succeeded.
 */
export function GrantForm({
  label,
  name,
  type = "text",
  maxRole,
  submitLabel,
  pendingLabel,
  onGrant,
  extra,
  extraDefaults = {},
}: {
  label: string;
  /** The field's name, as the API names it (its problems land on the field). */
  name: string;
  type?: "text" | "email";
  maxRole: Role;
  submitLabel: string;
  pendingLabel: string;
  /** Gets every field's value too (the `extra` ones by their names). */
  onGrant: (value: string, role: Role, values: Record<string, string>) => Promise<unknown>;
  /** More fields (FormSelect, FormField), between the role and the button. */
  extra?: ReactNode;
  /** The starting values of the `extra` fields. */
  extraDefaults?: Record<string, string>;
}) {
  const schema = useMemo(
    () =>
      z.looseObject({
        [name]: z
          .string()
          .trim()
          .min(1, `Enter ${type === "email" ? "an e-mail address" : "a name"}`),
        role: z.enum(roles),
      }),
    [name, type],
  );
  const form = useZodForm(schema, { ...extraDefaults, [name]: "", role: "VIEWER" });
  return (
    <ZodForm
      form={form}
      onSubmit={async (values) => {
        await onGrant(values[name] as string, values.role as Role, values as Record<string, string>);
        form.reset();
      }}
      className={`grid gap-4 sm:items-start ${extra ? "sm:grid-cols-[minmax(0,1fr)_12rem_10rem_auto]" : "sm:grid-cols-[minmax(0,1fr)_12rem_auto]"}`}
    >
      <FormField label={label} name={name} type={type} autoComplete="off" spellCheck={false} />
      <FormSelect label="Role" name="role">
        <RoleOptions max={maxRole} />
      </FormSelect>
      {extra}
      <Button
        type="submit"
        pending={form.formState.isSubmitting}
        pendingLabel={pendingLabel}
        className="sm:mt-6.5"
      >
        {submitLabel}
      </Button>
    </ZodForm>
  );
}
