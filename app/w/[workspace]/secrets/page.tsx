"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { EmptyState } from "@/app/_components/empty-state";
import { errorMessage, formErrors } from "@/app/_components/errors";
import { Field } from "@/app/_components/field";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader } from "@/app/_components/page-header";
import { RequirePermission, useWorkspace } from "@/app/_components/shell";
import { Cell, Rows, Table } from "@/app/_components/table";
import { Time } from "@/app/_components/time";
import { useTRPC } from "@/app/_lib/trpc";
import { FormDialog } from "../_config/form-dialog";
import { RowActions } from "../_config/row-actions";

interface Secret {
  name: string;
  description: string;
}

export default function SecretsPage() {
  return (
    <>
      <PageHeader
        title="Secrets"
        description={
          <>
            Credentials DAGs read as <code className="font-mono">{"{{ secrets.NAME }}"}</code>, encrypted at
            rest and masked in logs. Write-only: once saved, nobody can read a value back, only replace it.
          </>
        }
      />
      <RequirePermission permission="config:read">
        <SecretList />
      </RequirePermission>
    </>
  );
}

function SecretList() {
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const secrets = useQuery(trpc.secrets.list.queryOptions({ workspace: workspace.slug }));
  const [editing, setEditing] = useState<Secret | "new" | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.secrets.pathKey() });
  const remove = useMutation(trpc.secrets.delete.mutationOptions({ onSuccess: refresh }));
  const canWrite = workspace.can("config:write");

  return (
    <>
      {canWrite && (
        <div className="mb-4">
          <Button onClick={() => setEditing("new")}>New secret</Button>
        </div>
      )}
      {remove.error && (
        <Alert tone="error" className="mb-3">
          {errorMessage(remove.error)}
        </Alert>
      )}
      <Loaded query={secrets} label="secrets">
        {(list) =>
          list.length === 0 ? (
            <EmptyState title="No secrets yet">
              {canWrite
                ? "Add API keys and passwords here rather than in DAG documents."
                : "Editors can add some."}
            </EmptyState>
          ) : (
            <Table
              caption="Secrets"
              columns={["Name", "Value", "Description", "Updated", ...(canWrite ? ["Actions"] : [])]}
            >
              <Rows>
                {list.map((secret) => (
                  <tr key={secret.name}>
                    <Cell className="font-mono text-slate-900">{secret.name}</Cell>
                    <Cell>
                      <span className="font-mono text-slate-500" aria-hidden="true">
                        {secret.value}
                      </span>
                      <span className="sr-only">Hidden</span>
                    </Cell>
                    <Cell className="max-w-64 text-xs">{secret.description}</Cell>
                    <Cell>
                      <Time value={secret.updatedAt} />
                    </Cell>
                    {canWrite && (
                      <Cell>
                        <RowActions
                          what={`secret ${secret.name}`}
                          onEdit={() => setEditing(secret)}
                          deleting={remove.isPending && remove.variables.name === secret.name}
                          onDelete={() => remove.mutate({ workspace: workspace.slug, name: secret.name })}
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
        <SecretDialog
          secret={editing === "new" ? undefined : editing}
          onClose={() => setEditing(null)}
          onSaved={refresh}
        />
      )}
    </>
  );
}

function SecretDialog({
  secret,
  onClose,
  onSaved,
}: {
  secret: Secret | undefined;
  onClose: () => void;
  onSaved: () => Promise<unknown>;
}) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const done = async () => {
    await onSaved();
    onClose();
  };
  const create = useMutation(trpc.secrets.create.mutationOptions({ onSuccess: done }));
  const update = useMutation(trpc.secrets.update.mutationOptions({ onSuccess: done }));
  const mutation = secret ? update : create;
  const errors = formErrors(mutation.error, ["name", "value", "description"]);
  return (
    <FormDialog
      open
      title={secret ? `Edit ${secret.name}` : "New secret"}
      onClose={onClose}
      message={errors.message}
      pending={mutation.isPending}
      submitLabel={secret ? "Save" : "Create secret"}
      onValues={({ name = "", value = "", description = "" }) => {
        if (secret)
          update.mutate({ workspace: slug, name: secret.name, description, ...(value ? { value } : {}) });
        else create.mutate({ workspace: slug, name, value, description });
      }}
    >
      {!secret && (
        <Field
          label="Name"
          name="name"
          required
          autoComplete="off"
          spellCheck={false}
          className="[&_input]:font-mono"
          hint="Letters, digits, _ and -, starting with a letter or _."
          error={errors.fields.name}
        />
      )}
      <Field
        label={secret ? "New value" : "Value"}
        name="value"
        type="password"
        required={!secret}
        autoComplete="new-password"
        hint={secret ? "Leave empty to keep the current value." : "It cannot be read back once saved."}
        error={errors.fields.value}
      />
      <Field
        label="Description"
        name="description"
        defaultValue={secret?.description}
        error={errors.fields.description}
      />
    </FormDialog>
  );
}
