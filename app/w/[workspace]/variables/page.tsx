"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { EmptyState } from "@/app/_components/empty-state";
import { errorMessage, formErrors } from "@/app/_components/errors";
import { Field, TextAreaField } from "@/app/_components/field";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader } from "@/app/_components/page-header";
import { RequirePermission, useWorkspace } from "@/app/_components/shell";
import { Cell, Rows, Table } from "@/app/_components/table";
import { Time } from "@/app/_components/time";
import { useTRPC } from "@/app/_lib/trpc";
import { FormDialog } from "../_config/form-dialog";
import { RowActions } from "../_config/row-actions";

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
  const variables = useQuery(trpc.variables.list.queryOptions({ workspace: workspace.slug }));
  const [editing, setEditing] = useState<Variable | "new" | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.variables.pathKey() });
  const remove = useMutation(trpc.variables.delete.mutationOptions({ onSuccess: refresh }));
  const canWrite = workspace.can("config:write");

  return (
    <>
      {canWrite && (
        <div className="mb-4">
          <Button onClick={() => setEditing("new")}>New variable</Button>
        </div>
      )}
      {remove.error && (
        <Alert tone="error" className="mb-3">
          {errorMessage(remove.error)}
        </Alert>
      )}
      <Loaded query={variables} label="variables">
        {(list) =>
          list.length === 0 ? (
            <EmptyState title="No variables yet">
              {canWrite
                ? "Add one for settings several DAGs share: a schema name, a batch size, a base URL."
                : "Editors can add some."}
            </EmptyState>
          ) : (
            <Table
              caption="Variables"
              columns={["Key", "Value", "Description", "Updated", ...(canWrite ? ["Actions"] : [])]}
            >
              <Rows>
                {list.map((variable) => (
                  <tr key={variable.key}>
                    <Cell className="font-mono text-slate-900">{variable.key}</Cell>
                    <Cell className="max-w-72">
                      <code
                        className="block truncate font-mono text-xs"
                        title={JSON.stringify(variable.value)}
                      >
                        {JSON.stringify(variable.value)}
                      </code>
                    </Cell>
                    <Cell className="max-w-64 text-xs">{variable.description}</Cell>
                    <Cell>
                      <Time value={variable.updatedAt} />
                    </Cell>
                    {canWrite && (
                      <Cell>
                        <RowActions
                          what={`variable ${variable.key}`}
                          onEdit={() => setEditing(variable)}
                          deleting={remove.isPending && remove.variables.key === variable.key}
                          onDelete={() => remove.mutate({ workspace: workspace.slug, key: variable.key })}
                        />
                      </Cell>
                    )}
                  </tr>
                ))}
              </Rows>
            </Table>
          )
        }
      </Loaded>
      {editing && (
        <VariableDialog
          variable={editing === "new" ? undefined : editing}
          onClose={() => setEditing(null)}
          onSaved={refresh}
        />
      )}
    </>
  );
}

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
  const done = async () => {
    await onSaved();
    onClose();
  };
  const create = useMutation(trpc.variables.create.mutationOptions({ onSuccess: done }));
  const update = useMutation(trpc.variables.update.mutationOptions({ onSuccess: done }));
  const mutation = variable ? update : create;
  const errors = formErrors(mutation.error, ["key", "value", "description"]);
  return (
    <FormDialog
      open
      title={variable ? `Edit ${variable.key}` : "New variable"}
      onClose={onClose}
      message={errors.message}
      pending={mutation.isPending}
      submitLabel={variable ? "Save" : "Create variable"}
      onValues={({ key = "", value = "", description = "" }) => {
        const input = { workspace: slug, value: readValue(value) as never, description };
        if (variable) update.mutate({ ...input, key: variable.key });
        else create.mutate({ ...input, key });
      }}
    >
      {!variable && (
        <Field
          label="Key"
          name="key"
          required
          autoComplete="off"
          spellCheck={false}
          className="[&_input]:font-mono"
          hint="Letters, digits, _ and -, starting with a letter or _."
          error={errors.fields.key}
        />
      )}
      <TextAreaField
        label="Value"
        name="value"
        required
        defaultValue={variable ? valueText(variable.value) : ""}
        spellCheck={false}
        className="[&_textarea]:font-mono [&_textarea]:text-xs"
        hint='JSON (42, true, {"schema": "analytics"}) is stored as JSON; anything else as text.'
        error={errors.fields.value}
      />
      <Field
        label="Description"
        name="description"
        defaultValue={variable?.description}
        error={errors.fields.description}
      />
    </FormDialog>
  );
}
