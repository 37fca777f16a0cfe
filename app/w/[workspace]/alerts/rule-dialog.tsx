"use client";
// Creating and editing an alert rule: what to watch (the kind, its settings, one DAG or all), where
// to send (one e-mail, Slack, webhook and in-app channel each; the API takes up to ten of any), and
// the throttle. A rule whose channels this form cannot show (two of a kind) keeps them as they are.
import { useMutation, useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { z } from "zod";
import { Alert } from "@/app/_components/alert";
import { CrudDialog } from "@/app/_components/crud-dialog";
import { useWorkspace } from "@/app/_components/shell";
import { FormCheckbox, FormField, FormSelect } from "@/app/_components/zod-form";
import { useTRPC } from "@/app/_lib/trpc";
import type { AlertChannel } from "@/server/alerts/channels";
import type { AppRouter } from "@/server/api/root";
import { MAX_PAGE_SIZE } from "@/server/pagination";

export type AlertRule = inferRouterOutputs<AppRouter>["alerts"]["rules"]["items"][number];
type Kind = AlertRule["kind"];

export const kindLabels: Record<Kind, string> = {
  run_failed: "A run fails",
  consecutive_failures: "Runs fail several times in a row",
  sla_miss: "An SLA is missed",
  task_long_running: "A task runs longer than usual",
  webhook_refusing: "A webhook endpoint refuses deliveries",
};

/** The settings each kind shows, with their defaults (server/alerts/rules.ts settingsOfKind). */
const settingFields: Record<Kind, Array<{ name: Setting; label: string; hint: string }>> = {
  run_failed: [],
  sla_miss: [],
  consecutive_failures: [{ name: "count", label: "Failures in a row", hint: "2 to 100 (3 if empty)." }],
  task_long_running: [
    {
      name: "factor",
      label: "Times the usual duration",
      hint: "The p95 of its last 20 successful runs × this (2 if empty).",
    },
    { name: "minSamples", label: "Successful runs needed first", hint: "3 to 100 (5 if empty)." },
  ],
  webhook_refusing: [
    { name: "refusals", label: "Refused deliveries", hint: "Within the window (5 if empty)." },
    { name: "windowMinutes", label: "Window (minutes)", hint: "1 to 1440 (15 if empty)." },
  ],
};
type Setting = "count" | "factor" | "minSamples" | "refusals" | "windowMinutes";

const number = (what: string) =>
  z
    .string()
    .trim()
    .pipe(z.union([z.literal(""), z.coerce.number<string>({ error: `${what} must be a number` })]));

const roleChoices = {
  everyone: undefined,
  managers: ["OWNER", "ADMIN"],
  operators: ["OWNER", "ADMIN", "EDITOR", "OPERATOR"],
} as const;

const ruleForm = z
  .object({
    name: z.string().trim().min(1, "Enter a name"),
    kind: z.enum(Object.keys(kindLabels) as [Kind, ...Kind[]]),
    dagId: z.string(),
    count: number("The number of failures"),
    factor: number("The factor"),
    minSamples: number("The number of runs"),
    refusals: number("The number of refusals"),
    windowMinutes: number("The window"),
    throttleMinutes: z
      .string()
      .trim()
      .min(1, "Enter a number of minutes")
      .pipe(z.coerce.number<string>({ error: "Enter a number of minutes" }).int("A whole number of minutes")),
    enabled: z.boolean(),
    email: z.boolean(),
    emailTo: z.string(),
    emailConnection: z.string(),
    slack: z.boolean(),
    slackConnection: z.string(),
    webhook: z.boolean(),
    webhookUrl: z.string().trim(),
    webhookConnection: z.string(),
    webhookSecret: z.string(),
    inApp: z.boolean(),
    inAppRoles: z.enum(["everyone", "managers", "operators"]),
  })
  .superRefine((form, ctx) => {
    if (!form.email && !form.slack && !form.webhook && !form.inApp)
      ctx.addIssue({ code: "custom", path: ["inApp"], message: "Choose at least one channel" });
    if (form.email && !form.emailTo.trim())
      ctx.addIssue({ code: "custom", path: ["emailTo"], message: "Enter at least one address" });
    if (form.slack && !form.slackConnection)
      ctx.addIssue({ code: "custom", path: ["slackConnection"], message: "Choose a Slack connection" });
    if (form.webhook && !form.webhookUrl)
      ctx.addIssue({ code: "custom", path: ["webhookUrl"], message: "Enter the URL" });
  });

type RuleForm = z.output<typeof ruleForm>;

/** The form's channels as the API takes them. */
function channelsOf(form: RuleForm): AlertChannel[] {
  const channels: AlertChannel[] = [];
  if (form.email)
    channels.push({
      channel: "email",
      to: form.emailTo.split(/[\s,;]+/).filter(Boolean),
      ...(form.emailConnection ? { connection: form.emailConnection } : {}),
    });
  if (form.slack) channels.push({ channel: "slack", connection: form.slackConnection });
  if (form.webhook)
    channels.push({
      channel: "webhook",
      url: form.webhookUrl,
      ...(form.webhookConnection ? { connection: form.webhookConnection } : {}),
      ...(form.webhookSecret ? { hmacSecretName: form.webhookSecret } : {}),
    });
  if (form.inApp) {
    const roles = roleChoices[form.inAppRoles];
    channels.push({ channel: "in_app", ...(roles ? { roles: [...roles] } : {}) });
  }
  return channels;
}

/** Whether the form can show a rule's channels: at most one of each kind. */
const fitsForm = (channels: AlertChannel[]) =>
  new Set(channels.map((c) => c.channel)).size === channels.length;

function defaultsOf(rule: AlertRule | undefined) {
  const channels = rule?.channels ?? [];
  const find = <C extends AlertChannel["channel"]>(kind: C) =>
    channels.find((c): c is Extract<AlertChannel, { channel: C }> => c.channel === kind);
  const email = find("email");
  const slack = find("slack");
  const webhook = find("webhook");
  const inApp = find("in_app");
  const roles = inApp?.roles?.join(",");
  const setting = (key: Setting) => (rule?.settings[key] !== undefined ? String(rule.settings[key]) : "");
  return {
    name: rule?.name ?? "",
    kind: rule?.kind ?? "run_failed",
    dagId: rule?.dagId ?? "",
    count: setting("count"),
    factor: setting("factor"),
    minSamples: setting("minSamples"),
    refusals: setting("refusals"),
    windowMinutes: setting("windowMinutes"),
    throttleMinutes: String(rule?.throttleMinutes ?? 60),
    enabled: rule?.enabled ?? true,
    email: Boolean(email),
    emailTo: email?.to.join(", ") ?? "",
    emailConnection: email?.connection ?? "",
    slack: Boolean(slack),
    slackConnection: slack?.connection ?? "",
    webhook: Boolean(webhook),
    webhookUrl: webhook?.url ?? "",
    webhookConnection: webhook?.connection ?? "",
    webhookSecret: webhook?.hmacSecretName ?? "",
    inApp: rule ? Boolean(inApp) : true,
    inAppRoles: (roles === "OWNER,ADMIN" ? "managers" : roles ? "operators" : "everyone") as
      | "everyone"
      | "managers"
      | "operators",
  };
}

export function RuleDialog({
  rule,
  onClose,
  onSaved,
}: {
  rule: AlertRule | undefined;
  onClose: () => void;
  onSaved: () => Promise<unknown>;
}) {
  const workspace = useWorkspace();
  const { slug } = workspace;
  const trpc = useTRPC();
  const create = useMutation(trpc.alerts.createRule.mutationOptions({ onSuccess: onSaved }));
  const update = useMutation(trpc.alerts.updateRule.mutationOptions({ onSuccess: onSaved }));
  const dags = useQuery({
    ...trpc.dags.list.queryOptions({ workspace: slug, limit: MAX_PAGE_SIZE }),
    select: (page) => page.items.map((dag) => dag.dagId),
  });
  const connections = useQuery({
    ...trpc.connections.list.queryOptions({ workspace: slug, limit: MAX_PAGE_SIZE }),
    select: (page) => page.items,
    enabled: workspace.can("config:read"),
  });
  const secrets = useQuery({
    ...trpc.secrets.list.queryOptions({ workspace: slug, limit: MAX_PAGE_SIZE }),
    select: (page) => page.items.map((secret) => secret.name),
    enabled: workspace.can("config:read"),
  });
  const ofType = (type: string) => (connections.data ?? []).filter((c) => c.type === type).map((c) => c.name);
  const editableChannels = !rule || fitsForm(rule.channels);

  return (
    <CrudDialog
      title={rule ? `Edit alert rule ${rule.name}` : "New alert rule"}
      wide
      schema={ruleForm}
      defaultValues={defaultsOf(rule)}
      submitLabel={rule ? "Save" : "Create rule"}
      onClose={onClose}
      onSubmit={(form) => {
        const fields = settingFields[form.kind].map((f) => f.name);
        const settings = Object.fromEntries(
          fields.flatMap((name) => (form[name] === "" ? [] : [[name, form[name]]])),
        );
        const common = {
          workspace: slug,
          name: form.name,
          dagId: form.dagId || null,
          settings,
          throttleMinutes: form.throttleMinutes,
          enabled: form.enabled,
          ...(editableChannels ? { channels: channelsOf(form) } : {}),
        };
        return rule
          ? update.mutateAsync({ ...common, ruleId: rule.id })
          : create.mutateAsync({ ...common, kind: form.kind, channels: channelsOf(form) });
      }}
    >
      {(form) => {
        const kind = form.watch("kind");
        return (
          <div className="grid gap-4 sm:grid-cols-2">
            <FormField label="Name" name="name" autoComplete="off" className="sm:col-span-2" />
            <FormSelect label="Alert when" name="kind" disabled={Boolean(rule)}>
              {Object.entries(kindLabels).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </FormSelect>
            <FormSelect label="DAG" name="dagId">
              <option value="">Every DAG</option>
              {(dags.data ?? (rule?.dagId ? [rule.dagId] : [])).map((dagId) => (
                <option key={dagId} value={dagId}>
                  {dagId}
                </option>
              ))}
            </FormSelect>
            {settingFields[kind].map((field) => (
              <FormField
                key={field.name}
                label={field.label}
                name={field.name}
                type="number"
                hint={field.hint}
                step="any"
              />
            ))}
            <FormField
              label="At most one message every (minutes)"
              name="throttleMinutes"
              type="number"
              min={1}
              hint="Per DAG; events in between are counted and a reminder says how many."
            />
            <FormCheckbox label="Enabled" name="enabled" className="self-end pb-2" />

            <fieldset className="space-y-3 rounded-md border border-slate-200 p-3 sm:col-span-2">
              <legend className="px-1 text-sm font-semibold text-slate-900">Send to</legend>
              {!editableChannels ? (
                <Alert tone="info">
                  This rule has several channels of one kind; they are kept as they are. Change them through
                  the API (PATCH /api/v1/alert-rules/{rule?.id}).
                </Alert>
              ) : (
                <>
                  <FormCheckbox label="In the app (the bell)" name="inApp" />
                  {form.watch("inApp") && (
                    <FormSelect label="Members" name="inAppRoles">
                      <option value="everyone">Every member</option>
                      <option value="managers">Owners and admins</option>
                      <option value="operators">Owners, admins, editors and operators</option>
                    </FormSelect>
                  )}
                  <FormCheckbox label="E-mail" name="email" />
                  {form.watch("email") && (
                    <div className="grid gap-3 sm:grid-cols-2">
                      <FormField label="To" name="emailTo" hint="Addresses, separated by commas." />
                      <FormSelect label="Through" name="emailConnection">
                        <option value="">The platform's mailer</option>
                        {ofType("smtp").map((name) => (
                          <option key={name} value={name}>
                            {name}
                          </option>
                        ))}
                      </FormSelect>
                    </div>
                  )}
                  <FormCheckbox label="Slack" name="slack" />
                  {form.watch("slack") && (
                    <FormSelect label="Slack connection" name="slackConnection">
                      <option value="">Choose…</option>
                      {ofType("slack").map((name) => (
                        <option key={name} value={name}>
                          {name}
                        </option>
                      ))}
                    </FormSelect>
                  )}
                  <FormCheckbox label="Webhook" name="webhook" />
                  {form.watch("webhook") && (
                    <div className="grid gap-3 sm:grid-cols-3">
                      <FormField
                        label="URL"
                        name="webhookUrl"
                        hint="Absolute, or a path under the connection's base URL."
                      />
                      <FormSelect label="HTTP connection" name="webhookConnection">
                        <option value="">None</option>
                        {ofType("http").map((name) => (
                          <option key={name} value={name}>
                            {name}
                          </option>
                        ))}
                      </FormSelect>
                      <FormSelect label="Signed with secret" name="webhookSecret">
                        <option value="">Not signed</option>
                        {(secrets.data ?? []).map((name) => (
                          <option key={name} value={name}>
                            {name}
                          </option>
                        ))}
                      </FormSelect>
                    </div>
                  )}
                </>
              )}
            </fieldset>
          </div>
        );
      }}
    </CrudDialog>
  );
}
