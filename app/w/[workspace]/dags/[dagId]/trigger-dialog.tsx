"use client";
// Triggering a run by hand: a form generated from the DAG's params (types, defaults, enums,
// required), and a note. The server checks the params again and names each one that does not fit.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { Dialog } from "@/app/_components/dialog";
import { formErrors } from "@/app/_components/errors";
import { CheckboxField, Field, SelectField, TextAreaField } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { useWorkspace } from "@/app/_components/shell";
import { useTRPC } from "@/app/_lib/trpc";
import type { ParamSpec } from "@/server/dags/definition";

type Values = Record<string, string>;

/** The form's text for a param's default. */
function initialText(spec: ParamSpec): string {
  if (spec.default === undefined) return spec.type === "boolean" ? "false" : "";
  if (spec.type === "object" || spec.type === "array") return JSON.stringify(spec.default, null, 2);
  return String(spec.default);
}

/** Reads the form's text back as the param's type; undefined means "not given" (the default applies). */
function readValue(spec: ParamSpec, text: string): { value?: unknown; error?: string } {
  if (spec.type === "boolean") return { value: text === "true" };
  if (text.trim() === "") return spec.required && spec.default === undefined ? { error: "Required" } : {};
  if (spec.enum) {
    const chosen = spec.enum.find((option) => String(option) === text);
    return chosen === undefined ? { error: "Choose one of the values" } : { value: chosen };
  }
  switch (spec.type) {
    case "number":
    case "integer": {
      const number = Number(text);
      if (!Number.isFinite(number)) return { error: "Enter a number" };
      if (spec.type === "integer" && !Number.isInteger(number)) return { error: "Enter a whole number" };
      return { value: number };
    }
    case "object":
    case "array":
      try {
        return { value: JSON.parse(text) };
      } catch {
        return { error: `Enter JSON (${spec.type === "array" ? "[…]" : "{…}"})` };
      }
    default:
      return { value: text };
  }
}

function ParamField({
  name,
  spec,
  value,
  error,
  onChange,
}: {
  name: string;
  spec: ParamSpec;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
}) {
  const label = (
    <>
      <span className="font-mono">{name}</span>
      {spec.title && <span className="font-normal"> · {spec.title}</span>}
      {spec.required && spec.default === undefined && (
        <span className="font-normal text-slate-500"> (required)</span>
      )}
    </>
  );
  const hint = [
    spec.description,
    `${spec.type}${spec.default !== undefined ? `, default ${JSON.stringify(spec.default)}` : ""}`,
  ]
    .filter(Boolean)
    .join(" · ");
  if (spec.type === "boolean") {
    return (
      <CheckboxField
        label={label}
        hint={hint}
        error={error}
        checked={value === "true"}
        onChange={(event) => onChange(String(event.target.checked))}
      />
    );
  }
  if (spec.enum) {
    return (
      <SelectField
        label={label}
        hint={hint}
        error={error}
        value={value}
        onChange={(event) => onChange(event.target.value)}
      >
        {spec.default === undefined && <option value="">Choose…</option>}
        {spec.enum.map((option) => (
          <option key={String(option)} value={String(option)}>
            {String(option)}
          </option>
        ))}
      </SelectField>
    );
  }
  if (spec.type === "object" || spec.type === "array") {
    return (
      <TextAreaField
        label={label}
        hint={hint}
        error={error}
        value={value}
        spellCheck={false}
        className="[&_textarea]:font-mono [&_textarea]:text-xs"
        onChange={(event) => onChange(event.target.value)}
      />
    );
  }
  return (
    <Field
      label={label}
      hint={hint}
      error={error}
      value={value}
      type={spec.type === "string" ? "text" : "number"}
      step={spec.type === "integer" ? 1 : "any"}
      onChange={(event) => onChange(event.target.value)}
    />
  );
}

export function TriggerDialog({
  dagId,
  params,
  open,
  onClose,
}: {
  dagId: string;
  params: Record<string, ParamSpec>;
  open: boolean;
  onClose: () => void;
}) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const names = Object.keys(params);
  const [values, setValues] = useState<Values>(() =>
    Object.fromEntries(names.map((name) => [name, initialText(params[name]!)])),
  );
  const [local, setLocal] = useState<Record<string, string>>({});
  const trigger = useMutation(
    trpc.runs.trigger.mutationOptions({
      onSuccess: async ({ id }) => {
        await queryClient.invalidateQueries({ queryKey: trpc.runs.pathKey() });
        router.push(`/w/${slug}/runs/${id}`);
      },
    }),
  );
  const server = formErrors(
    trigger.error,
    names.map((name) => `params.${name}`),
  );

  function submit(note: string) {
    const out: Record<string, unknown> = {};
    const errors: Record<string, string> = {};
    for (const name of names) {
      const read = readValue(params[name]!, values[name] ?? "");
      if (read.error) errors[name] = read.error;
      else if (read.value !== undefined) out[name] = read.value;
    }
    setLocal(errors);
    if (Object.keys(errors).length > 0) return;
    trigger.mutate({ workspace: slug, dagId, params: out, ...(note ? { note } : {}) });
  }

  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={`Trigger ${dagId}`}
      description="Starts a run of the current version now."
    >
      <Form onValues={(form) => submit(form.note ?? "")}>
        {server.message && <Alert tone="error">{server.message}</Alert>}
        {names.length === 0 && <p className="text-sm text-slate-600">This DAG takes no params.</p>}
        {names.map((name) => (
          <ParamField
            key={name}
            name={name}
            spec={params[name]!}
            value={values[name] ?? ""}
            error={local[name] ?? server.fields[`params.${name}`]}
            onChange={(value) => setValues((current) => ({ ...current, [name]: value }))}
          />
        ))}
        <Field
          label="Note"
          name="note"
          maxLength={2000}
          autoComplete="off"
          hint="Shown with the run, for the team."
        />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" pending={trigger.isPending || trigger.isSuccess} pendingLabel="Starting…">
            Trigger run
          </Button>
        </div>
      </Form>
    </Dialog>
  );
}
