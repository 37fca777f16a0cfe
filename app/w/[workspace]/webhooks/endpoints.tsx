"use client";
// One webhook endpoint in full: its URL and a curl example that works as pasted, its settings,
// the controls its owners have (enable, change, rotate the secret, delete), and its delivery log.
// Also the panel that shows a secret the one time it is visible.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import { z } from "zod";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { CopyField } from "@/app/_components/copy-field";
import { CrudDialog } from "@/app/_components/crud-dialog";
import { errorMessage } from "@/app/_components/errors";
import { Section } from "@/app/_components/page-header";
import { useWorkspace } from "@/app/_components/shell";
import { Time } from "@/app/_components/time";
import { FormField, FormSelect } from "@/app/_components/zod-form";
import { useTRPC } from "@/app/_lib/trpc";
import type { AppRouter } from "@/server/api/root";
import type { ParamSpec } from "@/server/dags/definition";
import { presets } from "@/server/webhooks/providers/catalog";
import { curlExample } from "./curl-example";
import { DeliveryLog } from "./deliveries";
import { EndpointDialog } from "./endpoint-form";

export type Endpoint = inferRouterOutputs<AppRouter>["webhooks"]["list"]["items"][number];

/** The params of the endpoint's DAG, for sample values in the curl example. */
function useDagParams(dagId: string) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const dag = useQuery(trpc.dags.get.queryOptions({ workspace: slug, dagId }));
  return (dag.data?.document.params ?? {}) as Record<string, ParamSpec>;
}

/** A snippet with a Copy button. */
function Snippet({ label, text }: { label: string; text: string }) {
  const [status, setStatus] = useState("");
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setStatus("Copied to the clipboard.");
    } catch {
      setStatus("Could not copy automatically: select the text and copy it.");
    }
  }
  return (
    <section aria-label={label}>
      <div className="mb-1.5 flex items-center justify-between gap-2">
        <span className="text-sm font-medium text-slate-800">{label}</span>
        <Button variant="secondary" size="sm" onClick={copy}>
          Copy<span className="sr-only"> the {label}</span>
        </Button>
      </div>
      <pre className="overflow-x-auto rounded-md bg-slate-900 p-3 font-mono text-xs leading-relaxed text-slate-100">
        {text}
      </pre>
      <p aria-live="polite" className="mt-1 min-h-4 text-xs text-slate-500">
        {status}
      </p>
    </section>
  );
}

/**
 * The secret of a new or rotated endpoint: on screen this once, with a curl example that uses it.
 * A pasted secret (the sender's) is not shown back: the panel says it is stored.
 */
export function RevealedSecret({
  endpoint,
  secret,
  rotated,
  onDone,
}: {
  endpoint: Endpoint;
  secret?: string | undefined;
  rotated: boolean;
  onDone: () => void;
}) {
  const params = useDagParams(endpoint.dagId);
  return (
    <Section
      title={rotated ? `New secret for ${endpoint.name}` : `Endpoint ${endpoint.name} created`}
      description={`Starts runs of ${endpoint.dagId}.`}
    >
      <div className="space-y-4">
        {secret ? (
          <Alert tone="warning" title="Copy the secret now">
            It will not be shown again: Baton keeps it encrypted and never displays it. Store it in the
            sender's settings or secret store.
            {rotated && <PreviousSecret endpoint={endpoint} />}
          </Alert>
        ) : (
          <Alert tone="success" title="The sender's secret is stored">
            Baton keeps it encrypted and never displays it; deliveries signed with it are accepted.
            {rotated && <PreviousSecret endpoint={endpoint} />}
          </Alert>
        )}
        {secret && <CopyField label="Secret" value={secret} />}
        <CopyField label="URL" value={endpoint.url} />
        <Snippet
          label={secret ? "curl example with the secret" : "curl example (reads $WEBHOOK_SECRET)"}
          text={curlExample({
            url: endpoint.url,
            authMode: endpoint.authMode,
            authOptions: endpoint.authOptions,
            secret,
            mapping: endpoint.paramMapping,
            params,
          })}
        />
        <div className="flex justify-end">
          <Button onClick={onDone}>{secret ? "I have copied the secret" : "Done"}</Button>
        </div>
      </div>
    </Section>
  );
}

const graceChoices = [
  { seconds: 0, label: "None: the old secret stops at once" },
  { seconds: 3600, label: "1 hour" },
  { seconds: 86_400, label: "24 hours" },
  { seconds: 7 * 86_400, label: "7 days" },
];

/** What became of the secret before a rotation. */
function PreviousSecret({ endpoint }: { endpoint: Endpoint }) {
  return endpoint.previousSecretExpiresAt ? (
    <>
      {" "}
      The previous secret keeps working until <Time value={endpoint.previousSecretExpiresAt} />, so senders
      can be switched over without losing deliveries.
    </>
  ) : (
    " The previous secret stopped working at once."
  );
}

const rotateForm = z.object({
  source: z.enum(["generate", "paste"]),
  secret: z.string().trim(),
  graceSeconds: z.coerce.number<string>(),
});

function RotateDialog({
  endpoint,
  onClose,
  onRotated,
}: {
  endpoint: Endpoint;
  onClose: () => void;
  onRotated: (rotated: Endpoint & { secret?: string | undefined }) => void;
}) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const rotate = useMutation(
    trpc.webhooks.rotateSecret.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() }),
    }),
  );
  return (
    <CrudDialog
      title={`Rotate the secret of ${endpoint.name}`}
      description="A new secret: one Baton makes (shown once), or the sender's new one, pasted. During the grace period both the old and the new secret are accepted, so senders can be switched over without losing deliveries."
      schema={rotateForm}
      defaultValues={{ source: "generate", secret: "", graceSeconds: "86400" }}
      submitLabel="Rotate secret"
      pendingLabel="Rotating…"
      onClose={onClose}
      onSubmit={({ source, secret, graceSeconds }) =>
        rotate.mutateAsync({
          workspace: slug,
          webhookId: endpoint.id,
          graceSeconds,
          ...(source === "paste" && secret ? { secret } : {}),
        })
      }
      onSaved={onRotated}
    >
      {(form) => (
        <>
          <FormSelect label="New secret" name="source" hint={presets[endpoint.authMode].secretHint}>
            <option value="generate">Generate one (shown once)</option>
            <option value="paste">Paste the sender's new secret</option>
          </FormSelect>
          {form.watch("source") === "paste" && (
            <FormField label="The sender's new secret" name="secret" type="password" autoComplete="off" />
          )}
          <FormSelect label="Grace period for the old secret" name="graceSeconds">
            {graceChoices.map((choice) => (
              <option key={choice.seconds} value={choice.seconds}>
                {choice.label}
              </option>
            ))}
          </FormSelect>
        </>
      )}
    </CrudDialog>
  );
}

function Setting({ name, children }: { name: string; children: React.ReactNode }) {
  return (
    <div className="flex gap-2">
      <dt className="w-36 shrink-0 text-slate-500">{name}</dt>
      <dd className="min-w-0 text-slate-900">{children}</dd>
    </div>
  );
}

export function EndpointDetail({
  endpoint,
  onRevealed,
  onDeleted,
}: {
  endpoint: Endpoint;
  onRevealed: (endpoint: Endpoint, secret: string | undefined) => void;
  onDeleted: () => void;
}) {
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const params = useDagParams(endpoint.dagId);
  const [dialog, setDialog] = useState<"edit" | "rotate" | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
  const update = useMutation(trpc.webhooks.update.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(
    trpc.webhooks.delete.mutationOptions({
      onSuccess: async () => {
        await refresh();
        onDeleted();
      },
    }),
  );
  const write = workspace.can("dags:write");
  const mapping = Object.entries(endpoint.paramMapping);
  const failure = update.error;

  return (
    <Section
      title={`${endpoint.name} → ${endpoint.dagId}`}
      description={
        endpoint.enabled
          ? "Enabled: deliveries to this URL start runs."
          : "Disabled: deliveries are refused (404) until it is enabled again."
      }
    >
      <div className="space-y-5">
        {write && (
          <div className="flex flex-wrap gap-2">
            <Button
              variant="secondary"
              size="sm"
              pending={update.isPending}
              pendingLabel={endpoint.enabled ? "Disabling…" : "Enabling…"}
              onClick={() =>
                update.mutate({
                  workspace: workspace.slug,
                  webhookId: endpoint.id,
                  enabled: !endpoint.enabled,
                })
              }
            >
              {endpoint.enabled ? "Disable" : "Enable"}
            </Button>
            <Button variant="secondary" size="sm" onClick={() => setDialog("edit")}>
              Change settings
            </Button>
            <Button variant="secondary" size="sm" onClick={() => setDialog("rotate")}>
              Rotate secret
            </Button>
            <ConfirmButton
              variant="danger"
              size="sm"
              title={`Delete the endpoint “${endpoint.name}”?`}
              description="Its delivery log goes with it. Senders calling its URL get 404 from now on."
              confirmLabel="Delete endpoint"
              pendingLabel="Deleting…"
              onConfirm={() => remove.mutateAsync({ workspace: workspace.slug, webhookId: endpoint.id })}
            >
              Delete
            </ConfirmButton>
          </div>
        )}
        {failure && <Alert tone="error">{errorMessage(failure)}</Alert>}
        <CopyField label="URL" value={endpoint.url} />
        <dl className="space-y-1.5 text-sm">
          <Setting name="Authentication">
            {presets[endpoint.authMode].label}
            <span className="block text-xs text-slate-500">{presets[endpoint.authMode].hint}</span>
          </Setting>
          <Setting name="Answer">
            {endpoint.mode === "sync"
              ? `Synchronous: waits up to ${endpoint.waitSeconds} s for the run's outputs`
              : "Asynchronous: 202 with the run id at once"}
          </Setting>
          <Setting name="Idempotency">
            Idempotency-Key header
            {presets[endpoint.authMode].deliveryId && `, else ${presets[endpoint.authMode].deliveryId}`}
            {endpoint.idempotencyField && (
              <>
                , else the body's <code className="font-mono text-xs">{endpoint.idempotencyField}</code>
              </>
            )}
          </Setting>
          <Setting name="Params">
            {mapping.length === 0 ? (
              "None mapped: runs get the params' defaults"
            ) : (
              <ul>
                {mapping.map(([param, source]) => (
                  <li key={param} className="font-mono text-xs">
                    {param} ← {source === "" ? "(the whole body)" : source}
                  </li>
                ))}
              </ul>
            )}
          </Setting>
          {endpoint.previousSecretExpiresAt && (
            <Setting name="Previous secret">
              still accepted until <Time value={endpoint.previousSecretExpiresAt} />
            </Setting>
          )}
        </dl>
        <Snippet
          label="curl example"
          text={curlExample({
            url: endpoint.url,
            authMode: endpoint.authMode,
            authOptions: endpoint.authOptions,
            mapping: endpoint.paramMapping,
            params,
          })}
        />
        <div>
          <h3 className="mb-2 text-sm font-semibold text-slate-900">Deliveries</h3>
          <DeliveryLog webhookId={endpoint.id} />
        </div>
      </div>
      {dialog === "edit" && (
        <EndpointDialog endpoint={endpoint} dagIds={[]} onClose={() => setDialog(null)} />
      )}
      {dialog === "rotate" && (
        <RotateDialog
          endpoint={endpoint}
          onClose={() => setDialog(null)}
          onRotated={(rotated) => {
            setDialog(null);
            onRevealed(rotated, rotated.secret);
          }}
        />
      )}
    </Section>
  );
}
