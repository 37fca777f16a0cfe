"use client";
// Pickers that write template references into a field at the cursor: upstream outputs, params,
// variables, connections and secrets, so authors never have to remember the spelling.
import { createContext, type RefObject, useContext } from "react";
import { type ConnectionType, connectionTypes } from "@/app/_components/connection-types";
import { control } from "@/app/_components/styles";

export interface References {
  connections: ReadonlyArray<{ name: string; type: string }>;
  variables: readonly string[];
  secrets: readonly string[];
  params: readonly string[];
  /** Tasks upstream of the task being edited, nearest first. */
  upstream: readonly string[];
}

export const ReferencesContext = createContext<References>({
  connections: [],
  variables: [],
  secrets: [],
  params: [],
  upstream: [],
});

type TextControl = HTMLInputElement | HTMLTextAreaElement;

/** `value` with `text` put where the control's selection is (or at the end). */
export function insertAtCursor(control: TextControl | null, value: string, text: string): string {
  const start = control?.selectionStart ?? value.length;
  const end = control?.selectionEnd ?? value.length;
  return value.slice(0, start) + text + value.slice(end);
}

export function ReferencePicker({
  field,
  target,
  value,
  onChange,
  quoted = false,
}: {
  /** The field's name, for the picker's label. */
  field: string;
  target: RefObject<TextControl | null>;
  value: string;
  onChange: (value: string) => void;
  /** Insert as a JSON string (for JSON fields). */
  quoted?: boolean;
}) {
  const references = useContext(ReferencesContext);
  const groups: Array<[string, string[]]> = [
    ["Upstream outputs", references.upstream.map((id) => `tasks.${id}.output`)],
    ["Params", references.params.map((name) => `params.${name}`)],
    ["Variables", references.variables.map((key) => `vars.${key}`)],
    [
      "Connections",
      references.connections.flatMap((connection) =>
        (connectionTypes[connection.type as ConnectionType]?.fields ?? []).map(
          (spec) => `conn.${connection.name}.${spec.name}`,
        ),
      ),
    ],
    ["Secrets", references.secrets.map((name) => `secrets.${name}`)],
    ["Run", ["run.id", "run.logical_date", "run.data_interval_start", "run.data_interval_end", "dag.id"]],
  ];
  return (
    <select
      aria-label={`Insert a reference into ${field}`}
      value=""
      onChange={(event) => {
        const path = event.target.value;
        if (!path) return;
        const reference = `{{ ${path} }}`;
        onChange(insertAtCursor(target.current, value, quoted ? JSON.stringify(reference) : reference));
        target.current?.focus();
      }}
      className={`${control} max-w-40 py-1 pr-7 text-xs`}
    >
      <option value="">Insert…</option>
      {groups
        .filter(([, paths]) => paths.length > 0)
        .map(([label, paths]) => (
          <optgroup key={label} label={label}>
            {paths.map((path) => (
              <option key={path} value={path}>
                {path}
              </option>
            ))}
          </optgroup>
        ))}
    </select>
  );
}

export function useReferences() {
  return useContext(ReferencesContext);
}
