"use client";
// The params of a run as a form, generated from the DAG's params schema (types, defaults, enums,
// required): the trigger and backfill dialogs both use it. The text typed is read back as each
// param's type; the server checks the params again and names each one that does not fit.
import { CheckboxField, Field, SelectField, TextAreaField } from "@/app/_components/field";
import type { ParamSpec } from "@/server/dags/definition";

/** The form's text by param name. */
export type ParamTexts = Record<string, string>;

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

/** The form's starting text: each param's default. */
export function initialParamTexts(params: Record<string, ParamSpec>): ParamTexts {
  return Object.fromEntries(Object.entries(params).map(([name, spec]) => [name, initialText(spec)]));
}

/** The params typed in, read as their types, and the fields that could not be read. */
export function readParams(params: Record<string, ParamSpec>, texts: ParamTexts) {
  const values: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const [name, spec] of Object.entries(params)) {
    const read = readValue(spec, texts[name] ?? "");
    if (read.error) errors[name] = read.error;
    else if (read.value !== undefined) values[name] = read.value;
  }
  return { values, errors, ok: Object.keys(errors).length === 0 };
}

/** One field per param; `errors` by param name (local or from the server). */
export function ParamsFields({
  params,
  texts,
  errors,
  onChange,
}: {
  params: Record<string, ParamSpec>;
  texts: ParamTexts;
  errors: Record<string, string | undefined>;
  onChange: (texts: ParamTexts) => void;
}) {
  const names = Object.keys(params);
  if (names.length === 0) return <p className="text-sm text-slate-600">This DAG takes no params.</p>;
  return names.map((name) => (
    <ParamField
      key={name}
      name={name}
      spec={params[name]!}
      value={texts[name] ?? ""}
      error={errors[name]}
      onChange={(value) => onChange({ ...texts, [name]: value })}
    />
  ));
}
