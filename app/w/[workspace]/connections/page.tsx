"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import {
  type ConnectionFieldSpec,
  type ConnectionType,
  connectionTypeNames,
  connectionTypes,
} from "@/app/_components/connection-types";
import { formErrors } from "@/app/_components/errors";
import { CheckboxField, Field, SelectField, TextAreaField } from "@/app/_components/field";
import { PageHeader } from "@/app/_components/page-header";
import { RequirePermission, useWorkspace } from "@/app/_components/shell";
import { Time } from "@/app/_components/time";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";
import { ConfigList } from "../_config/config-list";
import { FormDialog } from "../_config/form-dialog";

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
      onDelete={(connection) => remove.mutate({ workspace: workspace.slug, name: connection.name })}
      deleting={remove.isPending ? remove.variables.name : undefined}
      deleteError={remove.error}
      dialog={(connection, close) => (
        <ConnectionDialog connection={connection} onClose={close} onSaved={refresh} />
      )}
    />
  );
}

/** Reads one field from the form's text; undefined leaves it out (defaults, or the stored secret). */
function readField(spec: ConnectionFieldSpec, values: Record<string, string>): unknown {
  const text = values[spec.name];
  if (spec.kind === "boolean") return text === "on";
  if (text === undefined || text.trim() === "") return undefined;
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

function ConnectionField({
  spec,
  connection,
  error,
}: {
  spec: ConnectionFieldSpec;
  connection: Connection | undefined;
  error: string | undefined;
}) {
  const stored = connection?.config[spec.name];
  const label = spec.required && !spec.secret ? `${spec.label} (required)` : spec.label;
  if (spec.kind === "boolean") {
    return (
      <CheckboxField
        label={spec.label}
        name={spec.name}
        defaultChecked={typeof stored === "boolean" ? stored : spec.name === "ssl"}
        hint={spec.hint}
        error={error}
      />
    );
  }
  if (spec.kind === "json") {
    return (
      <TextAreaField
        label={label}
        name={spec.name}
        defaultValue={stored && Object.keys(stored).length > 0 ? JSON.stringify(stored, null, 2) : ""}
        placeholder={spec.placeholder}
        spellCheck={false}
        className="[&_textarea]:font-mono [&_textarea]:text-xs"
        error={error}
      />
    );
  }
  const isSet = connection?.secretFields[spec.name];
  return (
    <Field
      label={spec.secret && spec.required && !connection ? `${spec.label} (required)` : label}
      name={spec.name}
      type={spec.secret ? "password" : spec.kind === "number" ? "number" : "text"}
      defaultValue={spec.secret || stored === undefined ? undefined : String(stored)}
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
      error={error}
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
  const [type, setType] = useState<ConnectionType>((connection?.type as ConnectionType) ?? "postgres");
  const done = async () => {
    await onSaved();
    onClose();
  };
  const create = useMutation(trpc.connections.create.mutationOptions({ onSuccess: done }));
  const update = useMutation(trpc.connections.update.mutationOptions({ onSuccess: done }));
  const mutation = connection ? update : create;
  const specs = connectionTypes[type].fields;
  const errors = formErrors(mutation.error, [
    "name",
    "type",
    "description",
    ...specs.map((s) => `config.${s.name}`),
  ]);

  return (
    <FormDialog
      open
      title={connection ? `Edit ${connection.name}` : "New connection"}
      description={
        connection ? `${connectionTypes[type].label}. The name and type cannot change.` : undefined
      }
      onClose={onClose}
      message={errors.message}
      pending={mutation.isPending}
      submitLabel={connection ? "Save" : "Create connection"}
      onValues={(values) => {
        const config: Record<string, unknown> = {};
        for (const spec of specs) {
          const value = readField(spec, values);
          if (value !== undefined) config[spec.name] = value;
        }
        const description = values.description ?? "";
        if (connection) update.mutate({ workspace: slug, name: connection.name, config, description });
        else create.mutate({ workspace: slug, name: values.name ?? "", type, config, description });
      }}
    >
      {!connection && (
        <>
          <Field
            label="Name"
            name="name"
            required
            autoComplete="off"
            spellCheck={false}
            className="[&_input]:font-mono"
            hint="Tasks use it: connection: warehouse."
            error={errors.fields.name}
          />
          <SelectField
            label="Type"
            value={type}
            onChange={(event) => setType(event.target.value as ConnectionType)}
            error={errors.fields.type}
          >
            {connectionTypeNames.map((name) => (
              <option key={name} value={name}>
                {connectionTypes[name].label}
              </option>
            ))}
          </SelectField>
        </>
      )}
      <div key={type} className="space-y-4">
        {specs.map((spec) => (
          <ConnectionField
            key={spec.name}
            spec={spec}
            connection={connection}
            error={errors.fields[`config.${spec.name}`]}
          />
        ))}
      </div>
      <Field
        label="Description"
        name="description"
        defaultValue={connection?.description}
        error={errors.fields.description}
      />
    </FormDialog>
  );
}
