"use client";
// Forms typed by a zod schema (react-hook-form): fields register by name, the schema checks and
// converts what was typed (text to numbers, JSON, trimmed strings) before `onSubmit` gets typed
// values, and the server's problems come back next to their fields in the words the API uses.
//
//   const form = useZodForm(schema, { name: "", slots: "1" });
//   <ZodForm form={form} onSubmit={(values) => mutation.mutateAsync(values)}>
//     <FormField name="name" label="Name" />
//   </ZodForm>
import { zodResolver } from "@hookform/resolvers/zod";
import type { ReactNode } from "react";
import {
  type DefaultValues,
  type FieldValues,
  FormProvider,
  type Path,
  type Resolver,
  type UseFormReturn,
  useForm,
  useFormContext,
} from "react-hook-form";
import type { z } from "zod";
import { Alert } from "./alert";
import { formErrors } from "./errors";
import { CheckboxField, Field, SelectField, TextAreaField } from "./field";

// biome-ignore lint/suspicious/noExplicitAny: any object schema; its input and output types flow on
type ObjectSchema = z.ZodType<any, FieldValues>;

/** A form over `schema`'s input (what the fields hold) producing its output (what is submitted). */
export function useZodForm<S extends ObjectSchema>(schema: S, defaultValues: DefaultValues<z.input<S>>) {
  // zodResolver's own typing loses the schema's input type; it is exactly z.input<S>.
  const resolver = zodResolver(schema) as unknown as Resolver<z.input<S>, unknown, z.output<S>>;
  return useForm<z.input<S>, unknown, z.output<S>>({ resolver, defaultValues });
}

export type ZodFormReturn<S extends ObjectSchema> = UseFormReturn<z.input<S>, unknown, z.output<S>>;

/** Every field path of the values ("name", "config.host"), to place server problems. */
function fieldPaths(values: unknown, prefix = ""): string[] {
  if (typeof values !== "object" || values === null || Array.isArray(values)) return prefix ? [prefix] : [];
  return Object.entries(values).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...fieldPaths(value, path).filter((p) => p !== path)];
  });
}

/** Puts a failed request's problems on the fields they name; the rest becomes the form's message. */
export function showServerErrors<I extends FieldValues>(
  form: UseFormReturn<I, unknown, unknown>,
  error: unknown,
) {
  const { fields, message } = formErrors(error, fieldPaths(form.getValues()));
  for (const [path, text] of Object.entries(fields)) {
    form.setError(path as Path<I>, { type: "server", message: text as string }, { shouldFocus: true });
  }
  if (message) form.setError("root.server", { type: "server", message });
}

export function ZodForm<I extends FieldValues, O>({
  form,
  onSubmit,
  className = "space-y-4",
  children,
}: {
  form: UseFormReturn<I, unknown, O>;
  /** Rejections are shown on the form (field problems inline, the rest above). */
  onSubmit: (values: O) => Promise<unknown>;
  className?: string;
  children: ReactNode;
}) {
  const submit = form.handleSubmit(async (values) => {
    try {
      await onSubmit(values);
    } catch (error) {
      showServerErrors(form as UseFormReturn<I, unknown, unknown>, error);
    }
  });
  const message = form.formState.errors.root?.server?.message;
  return (
    <FormProvider {...form}>
      {/* Browser validation bubbles are off: problems show inline, in the API's words. */}
      <form noValidate onSubmit={submit} className={className}>
        {message && (
          <Alert tone="error" className="col-span-full">
            {message}
          </Alert>
        )}
        {children}
      </form>
    </FormProvider>
  );
}

/** The error of a field, from the schema or the server. */
function useFieldError(name: string): string | undefined {
  const { getFieldState, formState } = useFormContext();
  const message = getFieldState(name, formState).error?.message;
  return typeof message === "string" ? message : undefined;
}

type Named<P> = Omit<P, "name" | "error" | "ref" | "value" | "defaultValue" | "onChange" | "onBlur"> & {
  name: string;
};

export function FormField({ name, ...props }: Named<React.ComponentProps<typeof Field>>) {
  const { register } = useFormContext();
  return <Field {...props} {...register(name)} error={useFieldError(name)} />;
}

export function FormTextArea({ name, ...props }: Named<React.ComponentProps<typeof TextAreaField>>) {
  const { register } = useFormContext();
  return <TextAreaField {...props} {...register(name)} error={useFieldError(name)} />;
}

export function FormSelect({ name, ...props }: Named<React.ComponentProps<typeof SelectField>>) {
  const { register } = useFormContext();
  return <SelectField {...props} {...register(name)} error={useFieldError(name)} />;
}

export function FormCheckbox({ name, ...props }: Named<React.ComponentProps<typeof CheckboxField>>) {
  const { register } = useFormContext();
  return <CheckboxField {...props} {...register(name)} error={useFieldError(name)} />;
}
