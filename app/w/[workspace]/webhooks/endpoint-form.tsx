"use client";
// Creating an endpoint, or changing one's settings: the DAG (at creation only), name, the sender's
// preset (GitHub, Stripe, Slack… server/webhooks/providers/catalog.ts) with its options, the secret
// (the sender's, pasted — write-only — or one Baton generates), async or sync, the idempotency
// field, and where each of the DAG's params is read from in a delivery (the param mapping).
import { skipToken, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formErrors } from "@/app/_components/errors";
import { Field, SelectField } from "@/app/_components/field";
import { useWorkspace } from "@/app/_components/shell";
import { useTRPC } from "@/app/_lib/trpc";
import type { ParamSpec } from "@/server/dags/definition";
import { type AuthMode, authModes, type OptionField, presets } from "@/server/webhooks/providers/catalog";
import { FormDialog } from "../_config/form-dialog";
import type { Endpoint } from "./endpoints";

const fields = ["dagId", "name", "authMode", "secret", "mode", "waitSeconds", "idempotencyField"] as const;

/** The preset's options typed in: empty ones left out (their defaults apply), numbers as numbers. */
function optionsOf(values: Record<string, string>, options: readonly OptionField[]) {
  return Object.fromEntries(
    options.flatMap((option) => {
      const text = values[`option.${option.name}`]?.trim() ?? "";
      if (text === "") return [];
      return [[option.name, option.kind === "number" ? Number(text) : text]];
    }),
  );
}

/** The mapping typed in: params left empty are not mapped (their default applies). */
function mappingOf(values: Record<string, string>, params: string[]) {
  return Object.fromEntries(
    params.flatMap((param) => {
      const source = values[`map.${param}`]?.trim();
      return source ? [[param, source]] : [];
    }),
  );
}

export function EndpointDialog({
  endpoint,
  dagIds,
  onClose,
  onCreated,
}: {
  /** The endpoint to change; none to create one. */
  endpoint?: Endpoint;
  /** DAGs to choose from when creating. */
  dagIds: string[];
  onClose: () => void;
  onCreated?: (created: Endpoint & { secret?: string | undefined }) => void;
}) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [dagId, setDagId] = useState(endpoint?.dagId ?? dagIds[0] ?? "");
  const [mode, setMode] = useState(endpoint?.mode ?? "async");
  const [authMode, setAuthMode] = useState<AuthMode>(endpoint?.authMode ?? "hmac");
  const [secretSource, setSecretSource] = useState<"generate" | "paste">("generate");
  const preset = presets[authMode];
  const dag = useQuery(trpc.dags.get.queryOptions(dagId ? { workspace: slug, dagId } : skipToken));
  const params = Object.keys((dag.data?.document.params ?? {}) as Record<string, ParamSpec>);
  const specs = (dag.data?.document.params ?? {}) as Record<string, ParamSpec>;
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
  const create = useMutation(
    trpc.webhooks.create.mutationOptions({
      onSuccess: async (created) => {
        await refresh();
        onCreated?.(created);
      },
    }),
  );
  const update = useMutation(
    trpc.webhooks.update.mutationOptions({
      onSuccess: async () => {
        await refresh();
        onClose();
      },
    }),
  );
  const failure = endpoint ? update.error : create.error;
  const errors = formErrors(failure, [
    ...fields,
    ...preset.options.map((o) => `authOptions.${o.name}`),
    ...params.map((p) => `paramMapping.${p}`),
  ]);

  function submit(values: Record<string, string>) {
    const pasted = values.secret?.trim() ? values.secret.trim() : undefined;
    const settings = {
      workspace: slug,
      name: values.name ?? "",
      authMode,
      authOptions: optionsOf(values, preset.options),
      // Write-only: sent only when pasted (on creation, only when "paste" is chosen).
      ...(pasted && (endpoint || secretSource === "paste") ? { secret: pasted } : {}),
      mode,
      // Shown only for sync endpoints; otherwise the stored value stays.
      waitSeconds:
        values.waitSeconds === undefined ? (endpoint?.waitSeconds ?? 10) : Number(values.waitSeconds),
      idempotencyField: values.idempotencyField ? values.idempotencyField : null,
      paramMapping: mappingOf(values, params),
    };
    if (endpoint) update.mutate({ ...settings, webhookId: endpoint.id });
    else create.mutate({ ...settings, dagId });
  }

  return (
    <FormDialog
      title={endpoint ? `Change ${endpoint.name}` : "New webhook endpoint"}
      description={
        endpoint
          ? `Starts runs of ${endpoint.dagId}. The secret stays as it is; rotate it separately.`
          : "An endpoint has its own URL and secret; the secret is shown once, when it is made."
      }
      open
      onClose={onClose}
      onValues={submit}
      message={errors.message}
      pending={create.isPending || update.isPending}
      submitLabel={endpoint ? "Save changes" : "Create endpoint"}
    >
      {!endpoint && (
        <SelectField
          label="DAG"
          name="dagId"
          value={dagId}
          onChange={(event) => setDagId(event.target.value)}
          error={errors.fields.dagId}
          hint="Deliveries start runs of this DAG's current version."
        >
          {dagIds.map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </SelectField>
      )}
      <Field
        label="Name"
        name="name"
        required
        maxLength={80}
        autoComplete="off"
        defaultValue={endpoint?.name ?? ""}
        error={errors.fields.name}
        hint="Unique per DAG, such as the sender: github, stripe, ci."
      />
      <SelectField
        label="Sender"
        name="authMode"
        value={authMode}
        onChange={(event) => setAuthMode(event.target.value as AuthMode)}
        error={errors.fields.authMode}
        hint={preset.hint}
      >
        {authModes.map((mode) => (
          <option key={mode} value={mode}>
            {presets[mode].label}
          </option>
        ))}
      </SelectField>
      {preset.options.length > 0 && (
        <div className="grid gap-4 sm:grid-cols-2">
          {preset.options.map((option) => {
            const current = endpoint?.authMode === authMode ? endpoint.authOptions[option.name] : undefined;
            const initial = current === undefined ? (option.fallback ?? "") : String(current);
            return option.kind === "select" ? (
              <SelectField
                key={`${authMode}:${option.name}`}
                label={option.label}
                name={`option.${option.name}`}
                defaultValue={String(initial)}
                hint={option.hint}
                error={errors.fields[`authOptions.${option.name}`]}
              >
                {option.choices?.map((choice) => (
                  <option key={choice} value={choice}>
                    {choice}
                  </option>
                ))}
              </SelectField>
            ) : (
              <Field
                key={`${authMode}:${option.name}`}
                label={option.label}
                name={`option.${option.name}`}
                type={option.kind === "number" ? "number" : "text"}
                required={option.required}
                autoComplete="off"
                spellCheck={false}
                defaultValue={String(initial)}
                hint={option.hint}
                error={errors.fields[`authOptions.${option.name}`]}
              />
            );
          })}
        </div>
      )}
      {endpoint ? (
        <Field
          label="New secret (optional)"
          name="secret"
          type="password"
          autoComplete="off"
          placeholder="Leave empty to keep the current secret"
          error={errors.fields.secret}
          hint={`${preset.secretHint} The secret is write-only: stored encrypted, never shown again.`}
        />
      ) : (
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium text-slate-800">Secret</legend>
          <div className="flex flex-wrap gap-4 text-sm">
            <label className="flex items-center gap-1.5">
              <input
                type="radio"
                name="secretSource"
                checked={secretSource === "generate"}
                onChange={() => setSecretSource("generate")}
              />
              Generate one (shown once)
            </label>
            <label className="flex items-center gap-1.5">
              <input
                type="radio"
                name="secretSource"
                checked={secretSource === "paste"}
                onChange={() => setSecretSource("paste")}
              />
              Paste the sender's secret
            </label>
          </div>
          {secretSource === "paste" && (
            <Field
              label="The sender's secret"
              name="secret"
              type="password"
              required
              autoComplete="off"
              error={errors.fields.secret}
              hint={`${preset.secretHint} Write-only: stored encrypted, never shown again.`}
            />
          )}
          {secretSource === "generate" && <p className="text-xs text-slate-600">{preset.secretHint}</p>}
        </fieldset>
      )}
      <div className="grid gap-4 sm:grid-cols-2">
        <SelectField
          label="Answer"
          name="mode"
          value={mode}
          onChange={(event) => setMode(event.target.value as "async" | "sync")}
          error={errors.fields.mode}
          hint={
            mode === "async"
              ? "At once: 202 with the run id."
              : "Waits for the run and answers its outputs (202 if it takes longer)."
          }
        >
          <option value="async">Asynchronous</option>
          <option value="sync">Synchronous</option>
        </SelectField>
        {mode === "sync" && (
          <Field
            label="Wait up to (seconds)"
            name="waitSeconds"
            type="number"
            min={1}
            max={30}
            defaultValue={endpoint?.waitSeconds ?? 10}
            error={errors.fields.waitSeconds}
          />
        )}
      </div>
      <Field
        label="Idempotency field (optional)"
        name="idempotencyField"
        autoComplete="off"
        spellCheck={false}
        placeholder="/id"
        defaultValue={endpoint?.idempotencyField ?? ""}
        className="[&_input]:font-mono"
        error={errors.fields.idempotencyField}
        hint={`A JSON pointer to a body field used as the idempotency key when no Idempotency-Key header${preset.deliveryId ? ` (nor ${preset.deliveryId})` : ""} is sent: repeats within 24 hours answer the first run.`}
      />
      <fieldset className="space-y-3 border-t border-slate-200 pt-3">
        <legend className="pr-2 text-sm font-medium text-slate-800">Params from the delivery</legend>
        {dag.isLoading ? (
          <p role="status" className="text-sm text-slate-500">
            Loading the DAG's params…
          </p>
        ) : params.length === 0 ? (
          <p className="text-sm text-slate-600">
            {dagId ? `${dagId} takes no params: every delivery starts a run as it is.` : "Choose a DAG."}
          </p>
        ) : (
          <>
            <p className="text-xs text-slate-600">
              For each param, a JSON pointer into the body (<code>/pull_request/number</code>) or{" "}
              <code>header:X-Name</code>. Leave it empty to use the param's default.
            </p>
            {params.map((param) => (
              <Field
                key={`${dagId}:${param}`}
                label={<span className="font-mono">{param}</span>}
                name={`map.${param}`}
                autoComplete="off"
                spellCheck={false}
                placeholder={`/${param}`}
                defaultValue={endpoint?.paramMapping[param] ?? ""}
                className="[&_input]:font-mono"
                hint={`${specs[param]?.type ?? "value"}${specs[param]?.default !== undefined ? `, default ${JSON.stringify(specs[param]?.default)}` : ""}`}
                error={errors.fields[`paramMapping.${param}`]}
              />
            ))}
          </>
        )}
      </fieldset>
    </FormDialog>
  );
}
