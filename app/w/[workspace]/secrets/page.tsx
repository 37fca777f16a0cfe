"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { z } from "zod";
import { CrudDialog } from "@/app/_components/crud-dialog";
import { PageHeader } from "@/app/_components/page-header";
import { RequirePermission, useWorkspace } from "@/app/_components/shell";
import { Time } from "@/app/_components/time";
import { FormField } from "@/app/_components/zod-form";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";
import { ConfigList } from "../_config/config-list";

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
      onDelete={(secret) => remove.mutateAsync({ workspace: workspace.slug, name: secret.name })}
      dialog={(secret, close) => <SecretDialog secret={secret} onClose={close} onSaved={refresh} />}
    />
  );
}

const secretForm = z.object({
  name: z.string().trim().min(1, "Enter a name"),
  value: z.string(),
  description: z.string(),
});

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
  const create = useMutation(trpc.secrets.create.mutationOptions({ onSuccess: onSaved }));
  const update = useMutation(trpc.secrets.update.mutationOptions({ onSuccess: onSaved }));
  return (
    <CrudDialog
      title={secret ? `Edit ${secret.name}` : "New secret"}
      schema={secretForm}
      defaultValues={{ name: secret?.name ?? "", value: "", description: secret?.description ?? "" }}
      submitLabel={secret ? "Save" : "Create secret"}
      onClose={onClose}
      onSubmit={({ name, value, description }) =>
        secret
          ? // An empty value keeps the stored one.
            update.mutateAsync({ workspace: slug, name, description, ...(value ? { value } : {}) })
          : create.mutateAsync({ workspace: slug, name, value, description })
      }
    >
      {!secret && (
        <FormField
          label="Name"
          name="name"
          autoComplete="off"
          spellCheck={false}
          className="[&_input]:font-mono"
          hint="Letters, digits, _ and -, starting with a letter or _."
        />
      )}
      <FormField
        label={secret ? "New value" : "Value"}
        name="value"
        type="password"
        autoComplete="new-password"
        hint={secret ? "Leave empty to keep the current value." : "It cannot be read back once saved."}
      />
      <FormField label="Description" name="description" />
    </CrudDialog>
  );
}
