"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { CopyField } from "@/app/_components/copy-field";
import { formErrors } from "@/app/_components/errors";
import { CheckboxField, Field, SelectField } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { PageHeader, Section } from "@/app/_components/page-header";
import { roleLabel } from "@/app/_components/role-badge";
import { RequirePermission, useWorkspace } from "@/app/_components/shell";
import { WorkspaceNameForm } from "@/app/_components/workspace-name-form";
import { useTRPC } from "@/app/_lib/trpc";

export default function SettingsPage() {
  const workspace = useWorkspace();
  return (
    <>
      <PageHeader title="Settings" description={`Settings of ${workspace.name} (/w/${workspace.slug}).`} />
      <RequirePermission permission="workspace:update">
        <RenameSection />
        <TwoFactorSection />
        <SsoSection />
        {workspace.can("workspace:delete") && <DangerZone />}
      </RequirePermission>
    </>
  );
}

function RenameSection() {
  const { slug, name } = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const rename = useMutation(
    trpc.workspace.rename.mutationOptions({
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.workspace.get.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.account.workspaces.queryKey() }),
        ]),
    }),
  );
  return (
    <Section title="Name" description="The name people see. The workspace’s URL stays the same.">
      <WorkspaceNameForm
        defaultValue={name}
        submitLabel="Save"
        pendingLabel="Saving…"
        pending={rename.isPending}
        error={rename.error}
        onSubmit={(name) => rename.mutate({ workspace: slug, name })}
      />
      {rename.isSuccess && (
        <Alert tone="success" className="mt-4">
          Saved. The workspace is now called {rename.data.name}.
        </Alert>
      )}
    </Section>
  );
}

function TwoFactorSection() {
  const { slug, requireTwoFactor } = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const change = useMutation(
    trpc.workspace.setTwoFactorRule.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.workspace.get.queryKey() }),
    }),
  );
  return (
    <Section
      title="Two-factor sign-in"
      description="Members without an authenticator app or a passkey are asked to set one up before they enter. API tokens keep working."
    >
      {change.error && (
        <Alert tone="error" className="mb-3">
          {formErrors(change.error, ["required"]).message}
        </Alert>
      )}
      <CheckboxField
        label="Members must use two factors"
        checked={requireTwoFactor}
        disabled={change.isPending}
        onChange={(event) => change.mutate({ workspace: slug, required: event.currentTarget.checked })}
      />
    </Section>
  );
}

const ssoFields = [
  "issuer",
  "clientId",
  "clientSecret",
  "allowedDomains",
  "jitRole",
  "requireSso",
  "groupsClaim",
] as const;
const jitRoles = ["ADMIN", "EDITOR", "OPERATOR", "VIEWER"] as const;

/** The workspace's own OpenID Connect provider (docs/permissions.md, "Single sign-on"). */
function SsoSection() {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.sso.get.queryOptions({ workspace: slug }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.sso.pathKey() });
  const save = useMutation(trpc.sso.configure.mutationOptions({ onSuccess: refresh }));
  const test = useMutation(trpc.sso.test.mutationOptions());
  const remove = useMutation(trpc.sso.remove.mutationOptions({ onSuccess: refresh }));
  const errors = formErrors(save.error, ssoFields);
  const current = settings.data ?? null;
  if (settings.isPending) return null;
  return (
    <Section
      title="Single sign-on"
      description="Your own identity provider (OpenID Connect): members sign in through it, new people join with the role you choose, and its groups claim keeps groups with an SSO group in step."
    >
      <Form
        key={current?.updatedAt.toString() ?? "new"}
        className="grid gap-4 sm:grid-cols-2"
        onValues={(values) =>
          save.mutate({
            workspace: slug,
            issuer: values.issuer ?? "",
            clientId: values.clientId ?? "",
            ...(values.clientSecret ? { clientSecret: values.clientSecret } : {}),
            allowedDomains: (values.allowedDomains ?? "").split(/[\s,]+/).filter(Boolean),
            jitRole: (values.jitRole || null) as (typeof jitRoles)[number] | null,
            requireSso: values.requireSso === "on",
            groupsClaim: values.groupsClaim || "groups",
          })
        }
      >
        {errors.message && (
          <Alert tone="error" className="sm:col-span-2">
            {errors.message}
          </Alert>
        )}
        <Field
          label="Issuer URL"
          name="issuer"
          defaultValue={current?.issuer ?? ""}
          placeholder="https://acme.okta.com"
          error={errors.fields.issuer}
        />
        <Field
          label="Client id"
          name="clientId"
          defaultValue={current?.clientId ?? ""}
          error={errors.fields.clientId}
        />
        <Field
          label="Client secret"
          name="clientSecret"
          type="password"
          autoComplete="off"
          placeholder={current ? "Unchanged" : ""}
          error={errors.fields.clientSecret}
        />
        <Field
          label="Allowed e-mail domains"
          name="allowedDomains"
          defaultValue={current?.allowedDomains.join(", ") ?? ""}
          placeholder="acme.com, acme.co.uk"
          hint="Empty: any address the provider vouches for"
          error={errors.fields.allowedDomains}
        />
        <SelectField
          label="New people join as"
          name="jitRole"
          defaultValue={current?.jitRole ?? ""}
          error={errors.fields.jitRole}
        >
          <option value="">Nobody: members only</option>
          {jitRoles.map((role) => (
            <option key={role} value={role}>
              {roleLabel(role)}
            </option>
          ))}
        </SelectField>
        <Field
          label="Groups claim"
          name="groupsClaim"
          defaultValue={current?.groupsClaim ?? "groups"}
          error={errors.fields.groupsClaim}
        />
        <CheckboxField
          label="Members must sign in through it (API tokens keep working)"
          name="requireSso"
          defaultChecked={current?.requireSso ?? false}
          error={errors.fields.requireSso}
          className="sm:col-span-2"
        />
        <div className="flex flex-wrap gap-2 sm:col-span-2">
          <Button type="submit" pending={save.isPending} pendingLabel="Saving…">
            {current ? "Save" : "Set up single sign-on"}
          </Button>
          {current && (
            <>
              <Button
                variant="secondary"
                pending={test.isPending}
                pendingLabel="Testing…"
                onClick={() => test.mutate({ workspace: slug })}
              >
                Test
              </Button>
              <Button
                variant="ghost"
                pending={remove.isPending}
                pendingLabel="Turning off…"
                onClick={() => remove.mutate({ workspace: slug })}
              >
                Turn off
              </Button>
            </>
          )}
        </div>
      </Form>
      {test.data && (
        <Alert tone={test.data.ok ? "success" : "error"} className="mt-4">
          {test.data.message}
        </Alert>
      )}
      {current && (
        <div className="mt-4 space-y-2">
          <CopyField label="Redirect URI (register it at the provider)" value={current.redirectUri} />
          <CopyField label="Sign-in address" value={current.signInUrl} />
        </div>
      )}
    </Section>
  );
}

function DangerZone() {
  const { slug, name } = useWorkspace();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const remove = useMutation(
    trpc.workspace.delete.mutationOptions({
      onSuccess: () => {
        queryClient.removeQueries({ queryKey: trpc.account.workspaces.queryKey() });
        router.replace("/");
      },
    }),
  );
  const errors = formErrors(remove.error, ["confirm"]);
  return (
    <Section
      title="Danger zone"
      tone="danger"
      description={`Deleting ${name} removes its DAGs, runs, members, tokens and audit log for good. This cannot be undone.`}
    >
      <Form onValues={(values) => remove.mutate({ workspace: slug, confirm: values.confirm ?? "" })}>
        {errors.message && <Alert tone="error">{errors.message}</Alert>}
        <Field
          label={`Type “${slug}” to confirm`}
          name="confirm"
          autoComplete="off"
          spellCheck={false}
          error={errors.fields.confirm}
          className="max-w-sm"
        />
        <Button
          type="submit"
          variant="danger"
          pending={remove.isPending || remove.isSuccess}
          pendingLabel="Deleting…"
        >
          Delete workspace
        </Button>
      </Form>
    </Section>
  );
}
