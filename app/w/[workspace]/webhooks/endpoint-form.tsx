"use client";
// Creating an endpoint, or changing one's settings: the DAG (at creation only), name, the sender's
// preset (GitHub, Stripe, Slack… server/webhooks/providers/catalog.ts) with its options, the secret
// (the sender's, pasted — write-only — or one Baton generates), async or sync, the idempotency
// field, and where each of the DAG's params is read from in a delivery (the param mapping).
import { skipToken, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { z } from "zod";
import { CrudDialog } from "@/app/_components/crud-dialog";
import { useWorkspace } from "@/app/_components/shell";
import { FormField, FormSelect, type ZodFormReturn } from "@/app/_components/zod-form";
import { useTRPC } from "@/app/_lib/trpc";
import type { ParamSpec } from "@/server/dags/definition";
import { type AuthMode, authModes, presets } from "@/server/webhooks/providers/catalog";
import type { Endpoint } from "./endpoints";

/** Text fields left empty are dropped: a param or option typed as nothing keeps its default. */
const typedOnly = (values: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(values).flatMap(([key, text]) => (text.trim() ? [[key, text.trim()]] : [])),
  );

const endpointForm = z.object({
  dagId: z.string().min(1, "Choose a DAG"),
  name: z.string().trim().min(1, "Enter a name"),
  authMode: z.enum(authModes as unknown as [AuthMode, ...AuthMode[]]),
  /** Every preset's options by name; only the chosen preset's are sent. */
  authOptions: z.record(z.string(), z.string()),
  secretSource: z.enum(["generate", "paste"]),
  secret: z.string().trim(),
  mode: z.enum(["async", "sync"]),
  waitSeconds: z
    .string()
    .trim()
    .min(1, "Enter a number of seconds")
    .pipe(z.coerce.number<string>({ error: "Enter a number of seconds" })),
  idempotencyField: z
    .string()
    .trim()
    .transform((field) => field || null),
  paramMapping: z.record(z.string(), z.string()).transform(typedOnly),
});

/** The starting value of every preset's options: the endpoint's own, else the preset's fallback. */
function startingOptions(endpoint: Endpoint | undefined): Record<string, string> {
  const options: Record<string, string> = {};
  for (const mode of authModes) {
    for (const option of presets[mode].options) {
      const current = endpoint?.authMode === mode ? endpoint.authOptions[option.name] : undefined;
      options[option.name] ??= current === undefined ? String(option.fallback ?? "") : String(current);
    }
  }
  return options;
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
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
  const create = useMutation(trpc.webhooks.create.mutationOptions({ onSuccess: refresh }));
  const update = useMutation(trpc.webhooks.update.mutationOptions({ onSuccess: refresh }));

  return (
    <CrudDialog
      title={endpoint ? `Change ${endpoint.name}` : "New webhook endpoint"}
      description={
        endpoint
          ? `Starts runs of ${endpoint.dagId}. Leave the secret empty to keep it; or rotate it separately.`
          : "An endpoint has its own URL and secret; a generated secret is shown once, when it is made."
      }
      schema={endpointForm}
      defaultValues={{
        dagId: endpoint?.dagId ?? dagIds[0] ?? "",
        name: endpoint?.name ?? "",
        authMode: endpoint?.authMode ?? "hmac",
        authOptions: startingOptions(endpoint),
        secretSource: "generate",
        secret: "",
        mode: endpoint?.mode ?? "async",
        waitSeconds: String(endpoint?.waitSeconds ?? 10),
        idempotencyField: endpoint?.idempotencyField ?? "",
        paramMapping: { ...endpoint?.paramMapping },
      }}
      submitLabel={endpoint ? "Save changes" : "Create endpoint"}
      onClose={onClose}
      onSubmit={async ({ dagId, authOptions, secretSource, secret, ...settings }) => {
        const preset = presets[settings.authMode];
        const input = {
          workspace: slug,
          ...settings,
          // The chosen preset's options typed in, numbers as numbers; empty ones take their defaults.
          authOptions: Object.fromEntries(
            preset.options.flatMap((option) => {
              const text = authOptions[option.name]?.trim() ?? "";
              return text === "" ? [] : [[option.name, option.kind === "number" ? Number(text) : text]];
            }),
          ),
          // Write-only: sent only when pasted (on creation, only when "paste" is chosen).
          ...(secret && (endpoint || secretSource === "paste") ? { secret } : {}),
        };
        if (endpoint) {
          await update.mutateAsync({ ...input, webhookId: endpoint.id });
          return undefined;
        }
        return create.mutateAsync({ ...input, dagId });
      }}
      onSaved={(created) => (created ? onCreated?.(created) : onClose())}
    >
      {(form) => <EndpointFields form={form} endpoint={endpoint} dagIds={dagIds} />}
    </CrudDialog>
  );
}

function EndpointFields({
  form,
  endpoint,
  dagIds,
}: {
  form: ZodFormReturn<typeof endpointForm>;
  endpoint: Endpoint | undefined;
  dagIds: string[];
}) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const [dagId, authMode, mode, secretSource] = form.watch(["dagId", "authMode", "mode", "secretSource"]);
  const preset = presets[authMode];
  const dag = useQuery(trpc.dags.get.queryOptions(dagId ? { workspace: slug, dagId } : skipToken));
  const specs = (dag.data?.document.params ?? {}) as Record<string, ParamSpec>;
  const params = Object.keys(specs);
  // Another DAG has other params: a mapping typed for the first one does not carry over.
  const mappedFor = useRef(dagId);
  useEffect(() => {
    if (mappedFor.current === dagId) return;
    mappedFor.current = dagId;
    form.setValue("paramMapping", {});
  }, [dagId, form]);
  return (
    <>
      {!endpoint && (
        <FormSelect label="DAG" name="dagId" hint="Deliveries start runs of this DAG's current version.">
          {dagIds.map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </FormSelect>
      )}
      <FormField
        label="Name"
        name="name"
        maxLength={80}
        autoComplete="off"
        hint="Unique per DAG, such as the sender: github, stripe, ci."
      />
      <FormSelect label="Sender" name="authMode" hint={preset.hint}>
        {authModes.map((value) => (
          <option key={value} value={value}>
            {presets[value].label}
          </option>
        ))}
      </FormSelect>
      {preset.options.length > 0 && (
        <div className="grid gap-4 sm:grid-cols-2">
          {preset.options.map((option) =>
            option.kind === "select" ? (
              <FormSelect
                key={`${authMode}:${option.name}`}
                label={option.label}
                name={`authOptions.${option.name}`}
                hint={option.hint}
              >
                {option.choices?.map((choice) => (
                  <option key={choice} value={choice}>
                    {choice}
                  </option>
                ))}
              </FormSelect>
            ) : (
              <FormField
                key={`${authMode}:${option.name}`}
                label={option.label}
                name={`authOptions.${option.name}`}
                type={option.kind === "number" ? "number" : "text"}
                autoComplete="off"
                spellCheck={false}
                hint={option.hint}
              />
            ),
          )}
        </div>
      )}
      {endpoint ? (
        <FormField
          label="New secret (optional)"
          name="secret"
          type="password"
          autoComplete="off"
          placeholder="Leave empty to keep the current secret"
          hint={`${preset.secretHint} The secret is write-only: stored encrypted, never shown again.`}
        />
      ) : (
        <>
          <FormSelect label="Secret" name="secretSource" hint={preset.secretHint}>
            <option value="generate">Generate one (shown once)</option>
            <option value="paste">Paste the sender's secret</option>
          </FormSelect>
          {secretSource === "paste" && (
            <FormField
              label="The sender's secret"
              name="secret"
              type="password"
              autoComplete="off"
              hint="Write-only: stored encrypted, never shown again."
            />
          )}
        </>
      )}
      <div className="grid gap-4 sm:grid-cols-2">
        <FormSelect
          label="Answer"
          name="mode"
          hint={
            mode === "async"
              ? "At once: 202 with the run id."
              : "Waits for the run and answers its outputs (202 if it takes longer)."
          }
        >
          <option value="async">Asynchronous</option>
          <option value="sync">Synchronous</option>
        </FormSelect>
        {mode === "sync" && (
          <FormField label="Wait up to (seconds)" name="waitSeconds" type="number" min={1} max={30} />
        )}
      </div>
      <FormField
        label="Idempotency field (optional)"
        name="idempotencyField"
        autoComplete="off"
        spellCheck={false}
        placeholder="/id"
        className="[&_input]:font-mono"
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
              <FormField
                key={`${dagId}:${param}`}
                label={<span className="font-mono">{param}</span>}
                name={`paramMapping.${param}`}
                autoComplete="off"
                spellCheck={false}
                placeholder={`/${param}`}
                className="[&_input]:font-mono"
                hint={`${specs[param]?.type ?? "value"}${specs[param]?.default !== undefined ? `, default ${JSON.stringify(specs[param]?.default)}` : ""}`}
              />
            ))}
          </>
        )}
      </fieldset>
    </>
  );
}
