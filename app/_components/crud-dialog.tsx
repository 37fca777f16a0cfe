"use client";
// The one create/edit dialog: a zod-typed form in a dialog. The caller gives the schema, the
// starting values and what saving does; the dialog shows problems (inline or above the form),
// the pending state, and closes once saved. Variables, secrets, connections, pools, webhook
// endpoints and their secrets all use it.
import type { ReactNode } from "react";
import type { DefaultValues, FieldValues } from "react-hook-form";
import type { z } from "zod";
import { Button } from "./button";
import { Dialog, DialogActions } from "./dialog";
import { useZodForm, ZodForm, type ZodFormReturn } from "./zod-form";

// biome-ignore lint/suspicious/noExplicitAny: any object schema; its input and output types flow on
type ObjectSchema = z.ZodType<any, FieldValues>;

export function CrudDialog<S extends ObjectSchema, R>({
  title,
  description,
  schema,
  defaultValues,
  submitLabel,
  pendingLabel = "Saving…",
  onSubmit,
  onSaved,
  onClose,
  wide,
  children,
}: {
  title: string;
  description?: ReactNode;
  schema: S;
  defaultValues: DefaultValues<z.input<S>>;
  submitLabel: string;
  pendingLabel?: string;
  /** Saves (a mutation's mutateAsync); a rejection keeps the dialog open with the problems shown. */
  onSubmit: (values: z.output<S>) => Promise<R>;
  /** After saving; closes the dialog unless given. */
  onSaved?: (result: R) => void;
  onClose: () => void;
  wide?: boolean;
  /** The fields; a function gets the form, to show fields depending on others (`form.watch`). */
  children: ReactNode | ((form: ZodFormReturn<S>) => ReactNode);
}) {
  const form = useZodForm(schema, defaultValues);
  return (
    <Dialog open onClose={onClose} title={title} description={description} wide={wide}>
      <ZodForm
        form={form}
        onSubmit={async (values) => {
          const result = await onSubmit(values);
          (onSaved ?? onClose)(result);
        }}
      >
        {typeof children === "function" ? children(form) : children}
        <DialogActions onCancel={onClose}>
          <Button type="submit" pending={form.formState.isSubmitting} pendingLabel={pendingLabel}>
            {submitLabel}
          </Button>
        </DialogActions>
      </ZodForm>
    </Dialog>
  );
}
