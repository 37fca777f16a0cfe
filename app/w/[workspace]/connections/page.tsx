"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { z } from "zod";
import {
  type ConnectionFieldSpec,
  type ConnectionType,
  connectionTypeNames,
  connectionTypes,
} from "@/app/_components/connection-types";
import { CrudDialog } from "@/app/_components/crud-dialog";
import { PageHeader } from "@/app/_components/page-header";
import { RequirePermission, useWorkspace } from "@/app/_components/shell";
import { Time } from "@/app/_components/time";
import { FormCheckbox, FormField, FormSelect, FormTextArea } from "@/app/_components/zod-form";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";
import { ConfigList } from "../_config/config-list";

interface Connection {
  name: string;
  type: string;
  description: string;
  config: Record<string, unknown>;
  secretFields: Record<string, boolean>;
}

export default function ConnectionsPage() {
  return (
    <>
      <PageHeader
        title="Connections"
        description={
          <>
            Databases, APIs, mail servers and Slack webhooks that tasks use by name, or read field by field as{" "}
            <code className="font-mono">{"{{ conn.name.field }}"}</code>. Secret fields are encrypted and
            never shown again.
          </>
        }
      />
      <RequirePermission permission="config:read">
        <ConnectionList />
      </RequirePermission>
    </>
  );
}

/** The plain fields of a connection, in a line. */
function summary(connection: Connection) {
  return Object.entries(connection.config)
    .filter(([, value]) => typeof value !== "object" || value === null)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(" · ");
}

function ConnectionList() {
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const connections = usePages((cursor) =>
    trpc.connections.list.queryOptions({ workspace: workspace.slug, cursor }),
  );
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.connections.pathKey() });
  const remove = useMutation(trpc.connections.delete.mutationOptions({ onSuccess: refresh }));
  return (
    <ConfigList<Connection & { updatedAt: Date }>
      noun="connection"
      items={connections}
      nameOf={(connection) => connection.name}
      columns={[
        { header: "Name", cell: (connection) => connection.name, className: "font-mono text-slate-900" },
        {
          header: "Type",
          cell: (connection) => connectionTypes[connection.type as ConnectionType]?.label ?? connection.type,
        },
        {
          header: "Settings",
          className: "max-w-80",
          cell: (connection) => (
            <code className="block truncate font-mono text-xs" title={summary(connection)}>
              {summary(connection)}
            </code>
          ),
        },
        {
          header: "Description",
          cell: (connection) => connection.description,
          className: "max-w-56 text-xs",
        },
        { header: "Updated", cell: (connection) => <Time value={connection.updatedAt} /> },
      ]}
      emptyHint="Add the databases and APIs your tasks talk to; tasks name them instead of holding credentials."
      onDelete={(connection) => remove.mutateAsync({ workspace: workspace.slug, name: connection.name })}
      dialog={(connection, close) => (
        <ConnectionDialog connection={connection} onClose={close} onSaved={refresh} />
      )}
    />
  );
}

/** The typed text of a field as the API wants it; undefined leaves it out (defaults, or the stored secret). */
function readField(spec: ConnectionFieldSpec, value: string | boolean | undefined): unknown {
  if (spec.kind === "boolean") return value === true;
  const text = typeof value === "string" ? value : "";
  if (text.trim() === "") return undefined;
  if (spec.kind === "number") return Number(text);
  if (spec.kind === "json") {
    try {
      return JSON.parse(text);
    } catch {
      return text; // the server says what is wrong with it
    }
  }
  return text;
}

/** What each field of every type starts with: the stored value (secrets never), else empty. */
function startingConfig(connection: Connection | undefined): Record<string, string | boolean> {
  const config: Record<string, string | boolean> = {};
  for (const type of connectionTypeNames) {
    for (const spec of connectionTypes[type].fields) {
      const stored = connection?.type === type ? connection.config[spec.name] : undefined;
      if (spec.kind === "boolean")
        config[spec.name] = typeof stored === "boolean" ? stored : spec.name === "ssl";
      else if (spec.kind === "json")
        config[spec.name] =
          stored && typeof stored === "object" && Object.keys(stored).length > 0
            ? JSON.stringify(stored, null, 2)
            : "";
      else config[spec.name] = spec.secret || stored === undefined ? "" : String(stored);
    }
  }
  return config;
}

const connectionForm = z.object({
  name: z.string().trim().min(1, "Enter a name"),
  type: z.enum(connectionTypeNames as [ConnectionType, ...ConnectionType[]]),
  description: z.string(),
  config: z.record(z.string(), z.union([z.string(), z.boolean()])),
});

function ConnectionField({
  spec,
  connection,
}: {
  spec: ConnectionFieldSpec;
  connection: Connection | undefined;
}) {
  const name = `config.${spec.name}`;
  const label = spec.required && !spec.secret ? `${spec.label} (required)` : spec.label;
  if (spec.kind === "boolean") return <FormCheckbox label={spec.label} name={name} hint={spec.hint} />;
  if (spec.kind === "json") {
    return (
      <FormTextArea
        label={label}
        name={name}
        placeholder={spec.placeholder}
        spellCheck={false}
        className="[&_textarea]:font-mono [&_textarea]:text-xs"
      />
    );
  }
  const isSet = connection?.secretFields[spec.name];
  return (
    <FormField
      label={spec.secret && spec.required && !connection ? `${spec.label} (required)` : label}
      name={name}
      type={spec.secret ? "password" : spec.kind === "number" ? "number" : "text"}
      placeholder={spec.secret && isSet ? "•••••••• (set: leave empty to keep)" : spec.placeholder}
      autoComplete={spec.secret ? "new-password" : "off"}
      spellCheck={false}
      hint={
        spec.secret
          ? isSet
            ? "Stored encrypted. Type a new value to replace it."
            : "Encrypted; never shown again."
          : spec.hint
      }
    />
  );
}

function ConnectionDialog({
  connection,
  onClose,
  onSaved,
}: {
  connection: Connection | undefined;
  onClose: () => void;
  onSaved: () => Promise<unknown>;
}) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const create = useMutation(trpc.connections.create.mutationOptions({ onSuccess: onSaved }));
  const update = useMutation(trpc.connections.update.mutationOptions({ onSuccess: onSaved }));
  return (
    <CrudDialog
      title={connection ? `Edit ${connection.name}` : "New connection"}
      description={
        connection
          ? `${connectionTypes[connection.type as ConnectionType]?.label ?? connection.type}. The name and type cannot change.`
          : undefined
      }
      schema={connectionForm}
      defaultValues={{
        name: connection?.name ?? "",
        type: (connection?.type as ConnectionType) ?? "postgres",
        description: connection?.description ?? "",
        config: startingConfig(connection),
      }}
      submitLabel={connection ? "Save" : "Create connection"}
      onClose={onClose}
      onSubmit={({ name, type, description, config: typed }) => {
        const config: Record<string, unknown> = {};
        for (const spec of connectionTypes[type].fields) {
          const value = readField(spec, typed[spec.name]);
          if (value !== undefined) config[spec.name] = value;
        }
        return connection
          ? update.mutateAsync({ workspace: slug, name, config, description })
          : create.mutateAsync({ workspace: slug, name, type, config, description });
      }}
    >
      {(form) => {
        const type = form.watch("type");
        return (
          <>
            {!connection && (
              <>
                <FormField
                  label="Name"
                  name="name"
                  autoComplete="off"
                  spellCheck={false}
                  className="[&_input]:font-mono"
                  hint="Tasks use it: connection: warehouse."
                />
                <FormSelect label="Type" name="type">
                  {connectionTypeNames.map((name) => (
                    <option key={name} value={name}>
                      {connectionTypes[name].label}
                    </option>
                  ))}
                </FormSelect>
              </>
            )}
            <div key={type} className="space-y-4">
              {connectionTypes[type].fields.map((spec) => (
                <ConnectionField key={spec.name} spec={spec} connection={connection} />
              ))}
            </div>
            <FormField label="Description" name="description" />
          </>
        );
      }}
    </CrudDialog>
  );
}
