"use client";
// Plans: named sets of quotas. Saving a plan re-applies it to every workspace on it at once.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { Dialog, DialogActions } from "@/app/_components/dialog";
import { formErrors } from "@/app/_components/errors";
import { Field, SelectField, TextAreaField } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader } from "@/app/_components/page-header";
import { useTRPC } from "@/app/_lib/trpc";
import type { AppRouter } from "@/server/api/root";
import { type OverQuotaPolicy, type QuotaKey, quotaCatalog, quotaKeys } from "@/server/quotas/catalog";
import { formatQuantity } from "@/server/usage/format";
import { typedValue, unitWords } from "../_components/quota-input";

type Plan = inferRouterOutputs<AppRouter>["platform"]["plans"][number];

const policyLabels: Record<OverQuotaPolicy, string> = {
  refuse: "Refuse runs beyond a monthly quota",
  queue: "Queue runs beyond a monthly quota",
};

export default function PlansPage() {
  const trpc = useTRPC();
  const plans = useQuery(trpc.platform.plans.queryOptions());
  // The dialog edits `plan`, or creates a new plan starting from its values.
  const [editing, setEditing] = useState<{ mode: "create" | "edit"; plan: Plan } | null>(null);
  const [saved, setSaved] = useState<string>();

  return (
    <>
      <PageHeader
        title="Plans"
        description="Named sets of quotas. Every workspace is on one plan; saving a plan applies it to its workspaces at once."
        actions={
          plans.data?.[0] && (
            <Button onClick={() => setEditing({ mode: "create", plan: plans.data[0]! })}>New plan</Button>
          )
        }
      />
      {saved && (
        <Alert tone="success" className="mb-4">
          {saved}
        </Alert>
      )}
      <Loaded query={plans} label="plans">
        {(plans) => (
          <div className="space-y-4">
            {plans.map((plan) => (
              <section
                key={plan.key}
                aria-labelledby={`plan-${plan.key}`}
                className="rounded-lg border border-slate-200 bg-white p-5 shadow-xs"
              >
                <div className="flex flex-wrap items-start justify-between gap-4">
                  <div>
                    <h2 id={`plan-${plan.key}`} className="text-base font-semibold text-slate-900">
                      {plan.name}{" "}
                      <span className="font-mono text-xs font-normal text-slate-500">{plan.key}</span>
                    </h2>
                    {plan.description && <p className="mt-1 text-sm text-slate-600">{plan.description}</p>}
                    <p className="mt-1 text-xs text-slate-500">
                      {policyLabels[plan.overQuotaPolicy]} · {plan.workspaces}{" "}
                      {plan.workspaces === 1 ? "workspace" : "workspaces"}
                      {plan.archivedAt && " · archived: no workspace can be moved onto it"}
                    </p>
                  </div>
                  <div className="flex gap-2">
                    <ArchiveButton plan={plan} />
                    <Button
                      variant="secondary"
                      size="sm"
                      aria-label={`Edit ${plan.name}`}
                      onClick={() => setEditing({ mode: "edit", plan })}
                    >
                      Edit
                    </Button>
                  </div>
                </div>
                <dl className="mt-4 grid grid-cols-2 gap-x-6 gap-y-3 sm:grid-cols-3 lg:grid-cols-4">
                  {quotaKeys.map((key) => (
                    <div key={key}>
                      <dt className="text-xs font-medium text-slate-500">{quotaCatalog[key].label}</dt>
                      <dd className="text-sm text-slate-900">
                        {formatQuantity(plan.quotas[key], quotaCatalog[key].unit)}
                      </dd>
                    </div>
                  ))}
                </dl>
              </section>
            ))}
          </div>
        )}
      </Loaded>
      {editing && (
        <PlanDialog
          mode={editing.mode}
          plan={editing.plan}
          onClose={() => setEditing(null)}
          onSaved={(message) => {
            setEditing(null);
            setSaved(message);
          }}
        />
      )}
    </>
  );
}

/** "Output size per task (bytes)"; no unit for counts, nor when the label names it already. */
function quotaLabel(key: QuotaKey) {
  const { label, unit } = quotaCatalog[key];
  const words = unitWords[unit];
  return words && !label.toLowerCase().includes(words) ? `${label} (${words})` : label;
}

function PlanDialog({
  mode,
  plan,
  onClose,
  onSaved,
}: {
  mode: "create" | "edit";
  plan: Plan;
  onClose: () => void;
  onSaved: (message: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const options = {
    onSuccess: async (saved: Plan) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: trpc.platform.plans.queryKey() }),
        queryClient.invalidateQueries({ queryKey: trpc.platform.workspaces.queryKey() }),
        queryClient.invalidateQueries({ queryKey: trpc.platform.workspace.queryKey() }),
      ]);
      onSaved(
        mode === "create"
          ? `Created the ${saved.name} plan.`
          : `Saved the ${saved.name} plan; its ${saved.workspaces} ${saved.workspaces === 1 ? "workspace has" : "workspaces have"} the new quotas.`,
      );
    },
  };
  const create = useMutation(trpc.platform.createPlan.mutationOptions(options));
  const update = useMutation(trpc.platform.updatePlan.mutationOptions(options));
  const save = mode === "create" ? create : update;
  const quotaFields = quotaKeys.map((key) => `quotas.${key}` as const);
  const errors = formErrors(save.error, ["key", "name", "description", "overQuotaPolicy", ...quotaFields]);

  function submit(values: Record<string, string>) {
    save.mutate({
      key: values.key ?? plan.key,
      name: values.name ?? "",
      description: values.description ?? "",
      overQuotaPolicy: (values.overQuotaPolicy ?? "refuse") as OverQuotaPolicy,
      quotas: Object.fromEntries(quotaKeys.map((key) => [key, typedValue(values[key] ?? "")])),
    });
  }

  return (
    <Dialog
      open
      wide
      onClose={onClose}
      title={mode === "create" ? "New plan" : `Edit the ${plan.name} plan`}
      description={
        mode === "create"
          ? `Starts from the values of the ${plan.name} plan.`
          : `Saving applies the new quotas to its ${plan.workspaces} ${plan.workspaces === 1 ? "workspace" : "workspaces"} at once (their overrides still apply).`
      }
    >
      <Form onValues={submit}>
        {errors.message && <Alert tone="error">{errors.message}</Alert>}
        <div className="grid gap-4 sm:grid-cols-2">
          {mode === "create" ? (
            <Field
              label="Key"
              name="key"
              autoComplete="off"
              spellCheck={false}
              hint="Lowercase letters, digits and dashes; cannot change later."
              error={errors.fields.key}
            />
          ) : (
            <Field label="Key" value={plan.key} readOnly hint="A plan's key cannot change." />
          )}
          <Field
            label="Name"
            name="name"
            autoComplete="off"
            defaultValue={mode === "edit" ? plan.name : ""}
            error={errors.fields.name}
          />
        </div>
        <TextAreaField
          label="Description"
          name="description"
          rows={2}
          defaultValue={mode === "edit" ? plan.description : ""}
          error={errors.fields.description}
        />
        <SelectField
          label="Over a monthly quota"
          name="overQuotaPolicy"
          defaultValue={plan.overQuotaPolicy}
          error={errors.fields.overQuotaPolicy}
        >
          {Object.entries(policyLabels).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </SelectField>
        <fieldset>
          <legend className="text-sm font-semibold text-slate-900">Quotas</legend>
          <div className="mt-2 grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
            {quotaKeys.map((key) => (
              <Field
                key={key}
                label={quotaLabel(key)}
                name={key}
                inputMode="numeric"
                autoComplete="off"
                defaultValue={String(plan.quotas[key])}
                error={errors.fields[`quotas.${key}`]}
              />
            ))}
          </div>
        </fieldset>
        <DialogActions onCancel={onClose}>
          <Button type="submit" pending={save.isPending}>
            {mode === "create" ? "Create plan" : "Save plan"}
          </Button>
        </DialogActions>
      </Form>
    </Dialog>
  );
}

/** Archiving keeps a plan for the workspaces on it but offers it to no other; unarchiving undoes it. */
function ArchiveButton({ plan }: { plan: Plan }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const archive = useMutation(
    trpc.platform.archivePlan.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.platform.plans.queryKey() }),
    }),
  );
  const archived = plan.archivedAt !== null;
  return (
    <ConfirmButton
      size="sm"
      tone="primary"
      title={archived ? `Unarchive ${plan.name}?` : `Archive ${plan.name}?`}
      description={
        archived
          ? "Workspaces can be moved onto it again."
          : `No workspace can be moved onto it any more. The ${plan.workspaces} on it keep it, and its quotas, until moved.`
      }
      confirmLabel={archived ? "Unarchive" : "Archive"}
      pendingLabel="Saving…"
      onConfirm={() => archive.mutateAsync({ key: plan.key, archived: !archived })}
    >
      {archived ? "Unarchive" : "Archive"}
    </ConfirmButton>
  );
}
