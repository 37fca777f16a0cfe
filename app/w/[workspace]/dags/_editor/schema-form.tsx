"use client";
// A form generated from an operator's config JSON Schema: strings, long text, numbers, booleans,
// enums, lists of strings, connections, and JSON text for everything else (objects, free values).
// Each field shows the validation problem at its path and, when the operator templates it, a
// picker of references. Fields left empty are removed from the config, so defaults apply.
import { type ReactNode, useRef, useState } from "react";
import { CheckboxField, Field, SelectField, TextAreaField } from "@/app/_components/field";
import { ReferencePicker, useReferences } from "./references";

export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
}

/** Keys whose strings are usually several lines. */
const multiline = new Set(["source", "statement", "text", "message", "expression", "description"]);

type Kind = "enum" | "string" | "text" | "number" | "integer" | "boolean" | "strings" | "json";

function kindOf(name: string, schema: JsonSchema): Kind {
  if (schema.enum) return "enum";
  switch (schema.type) {
    case "string":
      return multiline.has(name) ? "text" : "string";
    case "number":
      return "number";
    case "integer":
      return "integer";
    case "boolean":
      return "boolean";
    case "array":
      return schema.items?.type === "string" ? "strings" : "json";
    default:
      return "json";
  }
}

/** Text that edits a value, kept as typed until the value changes from elsewhere (undo, code tab). */
function useDraft(external: string, same: (draft: string, external: string) => boolean) {
  const [draft, setDraft] = useState(external);
  const [seen, setSeen] = useState(external);
  if (external !== seen) {
    setSeen(external);
    if (!same(draft, external)) setDraft(external);
  }
  return [draft, setDraft] as const;
}

const jsonText = (value: unknown) => (value === undefined ? "" : JSON.stringify(value, null, 2));

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  if (text.trim() === "") return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `Not valid JSON: ${(error as Error).message}` };
  }
}

function sameJson(draft: string, external: string) {
  const parsed = parseJson(draft);
  return parsed.ok && jsonText(parsed.value) === external;
}

interface FieldProps {
  name: string;
  schema: JsonSchema;
  value: unknown;
  required: boolean;
  error: string | undefined;
  templated: boolean;
  /** Connection types the field names (it is a connection picker). */
  connectionTypes?: readonly string[] | undefined;
  onChange: (value: unknown) => void;
}

function labelOf(name: string, required: boolean): ReactNode {
  return (
    <>
      <span className="font-mono">{name}</span>
      {required && <span className="font-normal text-slate-500"> (required)</span>}
    </>
  );
}

const placeholderOf = (schema: JsonSchema) =>
  schema.default !== undefined && typeof schema.default !== "object"
    ? `default: ${String(schema.default)}`
    : undefined;

export function ConfigField(props: FieldProps) {
  const { name, schema, value, required, error, onChange } = props;
  if (props.connectionTypes) return <ConnectionField {...props} />;
  const label = labelOf(name, required);
  const hint = schema.description;
  switch (kindOf(name, schema)) {
    case "enum":
      return (
        <SelectField
          label={label}
          hint={hint}
          error={error}
          value={value === undefined ? "" : String(value)}
          onChange={(event) => {
            const chosen = schema.enum!.find((option) => String(option) === event.target.value);
            onChange(chosen);
          }}
        >
          <option value="">
            {schema.default !== undefined ? `Default (${String(schema.default)})` : "Choose…"}
          </option>
          {schema.enum!.map((option) => (
            <option key={String(option)} value={String(option)}>
              {String(option)}
            </option>
          ))}
        </SelectField>
      );
    case "boolean":
      return (
        <CheckboxField
          label={label}
          hint={hint}
          error={error}
          checked={value === undefined ? schema.default === true : value === true}
          onChange={(event) => onChange(event.target.checked)}
        />
      );
    case "number":
    case "integer":
      return <NumberField {...props} />;
    case "strings":
      return (
        <TextAreaField
          label={label}
          error={error}
          hint={hint ?? "One per line."}
          value={Array.isArray(value) ? value.join("\n") : ""}
          onChange={(event) => {
            const lines = event.target.value.split("\n");
            onChange(lines.length === 1 && lines[0] === "" ? undefined : lines);
          }}
          rows={Math.min(6, Math.max(2, Array.isArray(value) ? value.length + 1 : 2))}
          spellCheck={false}
        />
      );
    case "json":
      return <JsonField {...props} />;
    default:
      return <TextField {...props} multiline={kindOf(name, schema) === "text"} />;
  }
}

function TextField({
  name,
  schema,
  value,
  required,
  error,
  templated,
  onChange,
  multiline,
}: FieldProps & { multiline: boolean }) {
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const text = typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value);
  const set = (next: string) => onChange(next === "" ? undefined : next);
  const common = {
    label: labelOf(name, required),
    hint: schema.description,
    error,
    value: text,
    placeholder: placeholderOf(schema),
    spellCheck: false,
    autoComplete: "off",
  };
  return (
    <div className="relative">
      {multiline ? (
        <TextAreaField
          {...common}
          ref={ref}
          rows={Math.min(12, Math.max(3, text.split("\n").length + 1))}
          className="[&_textarea]:font-mono [&_textarea]:text-xs"
          onChange={(event) => set(event.target.value)}
        />
      ) : (
        <Field {...common} ref={ref} onChange={(event) => set(event.target.value)} />
      )}
      {templated && (
        <div className="absolute top-0 right-0">
          <ReferencePicker field={name} target={ref} value={text} onChange={set} />
        </div>
      )}
    </div>
  );
}

function NumberField({ name, schema, value, required, error, onChange }: FieldProps) {
  const external = typeof value === "number" ? String(value) : "";
  const [draft, setDraft] = useDraft(external, (d, e) => Number(d) === Number(e) && d.trim() !== "");
  const [local, setLocal] = useState<string>();
  return (
    <Field
      label={labelOf(name, required)}
      hint={schema.description}
      error={local ?? error}
      type="number"
      inputMode={schema.type === "integer" ? "numeric" : "decimal"}
      step={schema.type === "integer" ? 1 : "any"}
      min={schema.minimum}
      max={schema.maximum}
      placeholder={placeholderOf(schema)}
      value={draft}
      onChange={(event) => {
        const text = event.target.value;
        setDraft(text);
        if (text.trim() === "") {
          setLocal(undefined);
          onChange(undefined);
        } else if (Number.isFinite(Number(text))) {
          setLocal(undefined);
          onChange(Number(text));
        } else setLocal("Enter a number");
      }}
    />
  );
}

function JsonField({ name, schema, value, required, error, templated, onChange }: FieldProps) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const [draft, setDraft] = useDraft(jsonText(value), sameJson);
  const [local, setLocal] = useState<string>();
  function set(text: string) {
    setDraft(text);
    const parsed = parseJson(text);
    if (parsed.ok) {
      setLocal(undefined);
      onChange(parsed.value);
    } else setLocal(parsed.message);
  }
  return (
    <div className="relative">
      <TextAreaField
        ref={ref}
        label={labelOf(name, required)}
        hint={schema.description ?? "JSON"}
        error={local ?? error}
        value={draft}
        placeholder={schema.default !== undefined ? JSON.stringify(schema.default) : undefined}
        rows={Math.min(10, Math.max(2, draft.split("\n").length))}
        className="[&_textarea]:font-mono [&_textarea]:text-xs"
        spellCheck={false}
        onChange={(event) => set(event.target.value)}
      />
      {templated && (
        <div className="absolute top-0 right-0">
          <ReferencePicker field={name} target={ref} value={draft} onChange={set} quoted />
        </div>
      )}
    </div>
  );
}

function ConnectionField({ name, value, required, error, connectionTypes, onChange }: FieldProps) {
  const { connections } = useReferences();
  const usable = connections.filter((connection) => connectionTypes!.includes(connection.type));
  const current = typeof value === "string" ? value : "";
  return (
    <SelectField
      label={labelOf(name, required)}
      error={error}
      hint={
        usable.length === 0
          ? `No ${connectionTypes!.join(" or ")} connection yet: add one under Connections.`
          : undefined
      }
      value={current}
      onChange={(event) => onChange(event.target.value === "" ? undefined : event.target.value)}
    >
      <option value="">{required ? "Choose a connection…" : "None"}</option>
      {current && !usable.some((connection) => connection.name === current) && (
        <option value={current}>{current} (not found)</option>
      )}
      {usable.map((connection) => (
        <option key={connection.name} value={connection.name}>
          {connection.name} ({connection.type})
        </option>
      ))}
    </SelectField>
  );
}

/** The branch of a oneOf schema that a config belongs to, chosen by its `const` discriminator. */
function discriminated(schema: JsonSchema, config: Record<string, unknown>) {
  const branches = schema.oneOf ?? schema.anyOf;
  if (!branches?.every((branch) => branch.properties)) return undefined;
  const key = Object.keys(branches[0]!.properties!).find((k) =>
    branches.every((branch) => branch.properties![k]?.const !== undefined),
  );
  if (!key) return undefined;
  const branch = branches.find((b) => b.properties![key]!.const === config[key]);
  return { key, options: branches.map((b) => String(b.properties![key]!.const)), branch };
}

export function SchemaForm({
  schema,
  config,
  problems,
  templatedFields,
  connectionFields,
  onField,
  onReplace,
}: {
  schema: JsonSchema;
  config: Record<string, unknown>;
  /** Problem messages by top-level config key. */
  problems: Readonly<Record<string, string>>;
  templatedFields: readonly string[];
  connectionFields: Readonly<Record<string, readonly string[]>>;
  onField: (key: string, value: unknown) => void;
  /** Replaces the whole config (switching a oneOf branch). */
  onReplace: (config: Record<string, unknown>) => void;
}) {
  const union = discriminated(schema, config);
  const object = union ? union.branch : schema.type === "object" ? schema : undefined;
  const templated = (key: string) =>
    templatedFields.some((path) => path === key || path.startsWith(`${key}.`));
  return (
    <div className="space-y-4">
      {union && (
        <SelectField
          label={labelOf(union.key, true)}
          error={problems[union.key]}
          value={typeof config[union.key] === "string" ? (config[union.key] as string) : ""}
          onChange={(event) => onReplace(event.target.value ? { [union.key]: event.target.value } : {})}
        >
          <option value="">Choose…</option>
          {union.options.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </SelectField>
      )}
      {object?.properties ? (
        Object.entries(object.properties)
          .filter(([key]) => key !== union?.key)
          .map(([key, property]) => (
            <ConfigField
              key={key}
              name={key}
              schema={property}
              value={config[key]}
              required={object.required?.includes(key) ?? false}
              error={problems[key]}
              templated={templated(key)}
              connectionTypes={connectionFields[key]}
              onChange={(value) => onField(key, value)}
            />
          ))
      ) : !union ? (
        <ConfigField
          name="config"
          schema={{}}
          value={config}
          required={false}
          error={problems[""]}
          templated={false}
          onChange={(value) => onReplace((value as Record<string, unknown>) ?? {})}
        />
      ) : null}
      {object?.properties && Object.keys(object.properties).length === 0 && (
        <p className="text-sm text-slate-500">This operator has no settings.</p>
      )}
    </div>
  );
}
