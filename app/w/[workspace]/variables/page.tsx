"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { z } from "zod";
import { CrudDialog } from "@/app/_components/crud-dialog";
import { PageHeader } from "@/app/_components/page-header";
import { RequirePermission, useWorkspace } from "@/app/_components/shell";
import { Time } from "@/app/_components/time";
import { FormField, FormTextArea } from "@/app/_components/zod-form";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";
import { ConfigList } from "../_config/config-list";

/** Text typed as a value: JSON when it reads as JSON, else the text itself. */
function readValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
const valueText = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value, null, 2));

interface Variable {
  key: string;
  value: unknown;
  description: string;
  updatedAt: Date;
}

export default function VariablesPage() {
  return (
    <>
      <PageHeader
        title="Variables"
        description={
          <>
            Values DAGs read as <code className="font-mono">{"{{ vars.key }}"}</code>. Not secret: everyone in
            the workspace can read them; use secrets for credentials.
          </>
        }
      />
      <RequirePermission permission="config:read">
        <VariableList />
      </RequirePermission>
    </>
  );
}

function VariableList() {
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const variables = usePages((cursor) =>
    trpc.variables.list.queryOptions({ workspace: workspace.slug, cursor }),
  );
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.variables.pathKey() });
  const remove = useMutation(trpc.variables.delete.mutationOptions({ onSuccess: refresh }));
  return (
    <ConfigList<Variable>
      noun="variable"
      items={variables}
      nameOf={(variable) => variable.key}
      columns={[
        { header: "Key", cell: (variable) => variable.key, className: "font-mono text-slate-900" },
        {
          header: "Value",
          className: "max-w-72",
          cell: (variable) => (
            <code className="block truncate font-mono text-xs" title={JSON.stringify(variable.value)}>
              {JSON.stringify(variable.value)}
            </code>
          ),
        },
        { header: "Description", cell: (variable) => variable.description, className: "max-w-64 text-xs" },
        { header: "Updated", cell: (variable) => <Time value={variable.updatedAt} /> },
      ]}
      emptyHint="Add one for settings several DAGs share: a schema name, a batch size, a base URL."
      onDelete={(variable) => remove.mutateAsync({ workspace: workspace.slug, key: variable.key })}
      dialog={(variable, close) => <VariableDialog variable={variable} onClose={close} onSaved={refresh} />}
    />
  );
}

/** Typed text becomes JSON when it reads as JSON (42, true, {"schema": "analytics"}), else stays text. */
const variableForm = z.object({
  key: z.string().trim().min(1, "Enter a key"),
  value: z.string().transform(readValue),
  description: z.string(),
});

function VariableDialog({
  variable,
  onClose,
  onSaved,
}: {
  variable: Variable | undefined;
  onClose: () => void;
  onSaved: () => Promise<unknown>;
}) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const create = useMutation(trpc.variables.create.mutationOptions({ onSuccess: onSaved }));
  const update = useMutation(trpc.variables.update.mutationOptions({ onSuccess: onSaved }));
  return (
    <CrudDialog
      title={variable ? `Edit ${variable.key}` : "New variable"}
      schema={variableForm}
      defaultValues={{
        key: variable?.key ?? "",
        value: variable ? valueText(variable.value) : "",
        description: variable?.description ?? "",
      }}
      submitLabel={variable ? "Save" : "Create variable"}
      onClose={onClose}
      onSubmit={({ key, value, description }) => {
        const input = { workspace: slug, key, value: value as never, description };
        return variable ? update.mutateAsync(input) : create.mutateAsync(input);
      }}
    >
      {!variable && (
        <FormField
          label="Key"
          name="key"
          autoComplete="off"
          spellCheck={false}
          className="[&_input]:font-mono"
          hint="Letters, digits, _ and -, starting with a letter or _."
        />
      )}
      <FormTextArea
        label="Value"
        name="value"
        spellCheck={false}
        className="[&_textarea]:font-mono [&_textarea]:text-xs"
        hint='JSON (42, true, {"schema": "analytics"}) is stored as JSON; anything else as text.'
      />
      <FormField label="Description" name="description" />
    </CrudDialog>
  );
}
