"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { formErrors } from "@/app/_components/errors";
import { Field } from "@/app/_components/field";
import { PageHeader } from "@/app/_components/page-header";
import { RequirePermission, useWorkspace } from "@/app/_components/shell";
import { Time } from "@/app/_components/time";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";
import { ConfigList } from "../_config/config-list";
import { FormDialog } from "../_config/form-dialog";

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
  const secrets = usePages((cursor) => trpc.secrets.list.queryOptions({ workspace: workspace.slug, cursor }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.secrets.pathKey() });
  const remove = useMutation(trpc.secrets.delete.mutationOptions({ onSuccess: refresh }));
  return (
    <ConfigList
      noun="secret"
      items={secrets}
      nameOf={(secret) => secret.name}
      columns={[
        { header: "Name", cell: (secret) => secret.name, className: "font-mono text-slate-900" },
        {
          header: "Value",
          cell: (secret) => (
            <>
              <span className="font-mono text-slate-500" aria-hidden="true">
                {secret.value}
              </span>
              <span className="sr-only">Hidden</span>
            </>
          ),
        },
        { header: "Description", cell: (secret) => secret.description, className: "max-w-64 text-xs" },
        { header: "Updated", cell: (secret) => <Time value={secret.updatedAt} /> },
      ]}
      emptyHint="Add API keys and passwords here rather than in DAG documents."
      onDelete={(secret) => remove.mutate({ workspace: workspace.slug, name: secret.name })}
      deleting={remove.isPending ? remove.variables.name : undefined}
      deleteError={remove.error}
      dialog={(secret, close) => <SecretDialog secret={secret} onClose={close} onSaved={refresh} />}
    />
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
