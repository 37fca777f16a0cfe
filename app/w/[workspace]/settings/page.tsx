"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { formErrors } from "@/app/_components/errors";
import { CheckboxField, Field } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { PageHeader, Section } from "@/app/_components/page-header";
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
