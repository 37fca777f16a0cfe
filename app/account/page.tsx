"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { EmptyState } from "@/app/_components/empty-state";
import { errorMessage, formErrors } from "@/app/_components/errors";
import { Field } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { Loaded } from "@/app/_components/loaded";
import { NewPasswordField } from "@/app/_components/new-password-field";
import { PageHeader, Section } from "@/app/_components/page-header";
import { link } from "@/app/_components/styles";
import { Cell, Rows, Table } from "@/app/_components/table";
import { Time } from "@/app/_components/time";
import { useTRPC } from "@/app/_lib/trpc";
import { TwoFactor } from "./two-factor";

const eventLabels: Record<string, string> = {
  "auth.signin": "Signed in",
  "auth.signin_failed": "Failed sign-in",
  "auth.password_change": "Password changed",
  "auth.signout_everywhere": "Signed out everywhere",
  "auth.signup": "Account created",
  "auth.password_reset": "Password reset",
  "auth.password_reset_requested": "Password reset asked for",
  "auth.password_reset_link": "Reset link made by the administrator",
  "auth.email_verified": "Address confirmed",
  "auth.email_change": "Address changed",
  "auth.totp_enabled": "Authenticator app set up",
  "auth.totp_disabled": "Authenticator app removed",
  "auth.recovery_codes_renewed": "New recovery codes",
  "auth.second_factor": "Second factor given",
  "auth.second_factor_failed": "Wrong second-factor code",
  "auth.passkey_added": "Passkey added",
  "auth.passkey_removed": "Passkey removed",
};

export default function AccountPage() {
  return (
    <>
      <PageHeader
        title="Your account"
        description="Your password, where you are signed in, and recent sign-in activity."
      />
      <EmailAddress />
      <ChangePassword />
      <TwoFactor />
      <Sessions />
      <RecentEvents />
      <DeleteAccount />
    </>
  );
}

/** The account's password, asked again before a change that matters. */
function CurrentPassword({ error }: { error?: string }) {
  return (
    <Field
      label="Your password"
      name="password"
      type="password"
      autoComplete="current-password"
      required
      error={error}
    />
  );
}

function LinkOrMail({ result }: { result: { email: string; emailed: boolean; link?: string } }) {
  return result.link ? (
    <Alert tone="info" title="Open this link to confirm">
      This installation sends no e-mail, so here is the link for {result.email}:{" "}
      <a className={link} href={new URL(result.link).pathname}>
        confirm {result.email}
      </a>
    </Alert>
  ) : (
    <Alert tone="success">We sent a confirmation link to {result.email}.</Alert>
  );
}

function EmailAddress() {
  const trpc = useTRPC();
  const status = useQuery(trpc.account.status.queryOptions());
  const send = useMutation(trpc.account.sendConfirmation.mutationOptions());
  const change = useMutation(trpc.account.changeEmail.mutationOptions());
  const errors = formErrors(change.error, ["newEmail", "password"]);
  return (
    <Section title="E-mail address" description="Where sign-in links and notices go.">
      <Loaded query={status} label="your address">
        {(account) => (
          <div className="space-y-4">
            <p className="text-sm text-slate-900">
              {account.email}{" "}
              {account.emailVerified ? (
                <span className="text-emerald-700">(confirmed)</span>
              ) : (
                <span className="font-medium text-amber-700">
                  (not confirmed: until it is, you cannot join workspaces)
                </span>
              )}
            </p>
            {!account.emailVerified && (
              <Button variant="secondary" pending={send.isPending} onClick={() => send.mutate()}>
                Send a confirmation link
              </Button>
            )}
            {send.error && <Alert tone="error">{errorMessage(send.error)}</Alert>}
            {send.data && <LinkOrMail result={send.data} />}
            <Form
              onValues={({ newEmail = "", password = "" }) => change.mutate({ newEmail, password })}
              className="max-w-sm space-y-4"
            >
              {errors.message && <Alert tone="error">{errors.message}</Alert>}
              {change.data && <LinkOrMail result={change.data} />}
              <Field
                label="New address"
                name="newEmail"
                type="email"
                required
                error={errors.fields.newEmail}
              />
              {account.hasPassword && <CurrentPassword error={errors.fields.password} />}
              <Button type="submit" variant="secondary" pending={change.isPending}>
                Change address
              </Button>
              <p className="text-xs text-slate-500">The new address replaces the old once you confirm it.</p>
            </Form>
          </div>
        )}
      </Loaded>
    </Section>
  );
}

function DeleteAccount() {
  const trpc = useTRPC();
  const status = useQuery(trpc.account.status.queryOptions());
  const remove = useMutation(
    trpc.account.delete.mutationOptions({ onSuccess: () => signOut({ callbackUrl: "/sign-in" }) }),
  );
  const errors = formErrors(remove.error, ["confirm", "password"]);
  return (
    <Section
      title="Delete your account"
      description="Your sessions, memberships and API tokens end; audit entries keep what you did, as “deleted user”."
    >
      <Loaded query={status} label="your account">
        {(account) =>
          account.lastOwnerOf.length > 0 ? (
            <Alert tone="warning" title="Hand over your workspaces first">
              You are the last owner of{" "}
              {account.lastOwnerOf.map((w, i) => (
                <span key={w.id}>
                  {i > 0 && ", "}
                  <a className={link} href={`/w/${w.slug}/members`}>
                    {w.name}
                  </a>
                </span>
              ))}
              . Make someone else an owner there, or delete the workspace, before deleting your account.
            </Alert>
          ) : (
            <Form
              onValues={({ confirm = "", password }) => remove.mutate({ confirm, password })}
              className="max-w-sm space-y-4"
            >
              {errors.message && <Alert tone="error">{errors.message}</Alert>}
              <Field
                label={`Type ${account.email} to confirm`}
                name="confirm"
                required
                error={errors.fields.confirm}
              />
              {account.hasPassword && <CurrentPassword error={errors.fields.password} />}
              <Button type="submit" variant="danger" pending={remove.isPending || remove.isSuccess}>
                Delete my account
              </Button>
            </Form>
          )
        }
      </Loaded>
    </Section>
  );
}

function ChangePassword() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const change = useMutation(
    trpc.account.changePassword.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.account.events.queryKey() }),
    }),
  );
  const errors = formErrors(change.error, ["current", "next"]);
  return (
    <Section title="Change password">
      <Form
        onValues={({ current = "", next = "" }, form) =>
          change.mutate({ current, next }, { onSuccess: () => form.reset() })
        }
        className="max-w-sm space-y-4"
      >
        {errors.message && <Alert tone="error">{errors.message}</Alert>}
        {change.isSuccess && (
          <Alert tone="success">
            Password changed.
            {change.data.sessionsEnded > 0 &&
              ` ${change.data.sessionsEnded === 1 ? "Your other session was" : `Your ${change.data.sessionsEnded} other sessions were`} signed out.`}
          </Alert>
        )}
        <Field
          label="Current password"
          name="current"
          type="password"
          autoComplete="current-password"
          required
          error={errors.fields.current}
        />
        <NewPasswordField label="New password" name="next" error={errors.fields.next} />
        <Button type="submit" pending={change.isPending}>
          Change password
        </Button>
      </Form>
    </Section>
  );
}

function Sessions() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const sessions = useQuery(trpc.account.sessions.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.account.sessions.queryKey() });
  const end = useMutation(trpc.account.endSession.mutationOptions({ onSuccess: refresh }));
  const everywhere = useMutation(
    trpc.account.signOutEverywhere.mutationOptions({ onSuccess: () => signOut({ callbackUrl: "/sign-in" }) }),
  );
  return (
    <Section
      title="Where you are signed in"
      description="Each browser you signed in with. Signing one out ends it at once, wherever its cookie is."
    >
      {(end.error ?? everywhere.error) && (
        <Alert tone="error" className="mb-3">
          {errorMessage(end.error ?? everywhere.error)}
        </Alert>
      )}
      <Loaded query={sessions} label="sessions">
        {(list) => (
          <Table caption="Your sessions" columns={["Device", "IP", "Signed in", "Last seen", "Actions"]}>
            <Rows>
              {list.map((session) => (
                <tr key={session.id}>
                  <Cell className="font-medium text-slate-900">
                    {session.device}
                    {session.current && <span className="ml-2 text-xs text-emerald-700">this browser</span>}
                  </Cell>
                  <Cell className="font-mono text-xs">{session.ip ?? "—"}</Cell>
                  <Cell>
                    <Time value={session.createdAt} />
                  </Cell>
                  <Cell>
                    <Time value={session.lastSeenAt} />
                  </Cell>
                  <Cell className="text-right">
                    {!session.current && (
                      <Button
                        variant="ghost"
                        size="sm"
                        pending={end.isPending && end.variables.sessionId === session.id}
                        pendingLabel="Signing out…"
                        onClick={() => end.mutate({ sessionId: session.id })}
                      >
                        Sign out<span className="sr-only"> {session.device}</span>
                      </Button>
                    )}
                  </Cell>
                </tr>
              ))}
            </Rows>
          </Table>
        )}
      </Loaded>
      <ConfirmButton
        className="mt-4"
        title="Sign out everywhere?"
        description="Every browser signed in to your account is signed out at once, this one included. API tokens keep working."
        confirmLabel="Sign out everywhere"
        pendingLabel="Signing out…"
        disabled={everywhere.isSuccess}
        onConfirm={() => everywhere.mutateAsync()}
      >
        Sign out everywhere
      </ConfirmButton>
    </Section>
  );
}

function RecentEvents() {
  const trpc = useTRPC();
  const events = useQuery(trpc.account.events.queryOptions());
  return (
    <section aria-labelledby="events-heading">
      <h2 id="events-heading" className="mb-3 text-base font-semibold text-slate-900">
        Recent activity
      </h2>
      <Loaded query={events} label="account activity">
        {(list) =>
          list.length === 0 ? (
            <EmptyState title="No activity yet">
              Sign-ins and password changes will be listed here.
            </EmptyState>
          ) : (
            <Table caption="Recent account activity" columns={["Time", "Event", "IP"]}>
              <Rows>
                {list.map((event) => (
                  <tr key={event.id.toString()}>
                    <Cell>
                      <Time value={event.createdAt} />
                    </Cell>
                    <Cell
                      className={
                        event.action === "auth.signin_failed" ? "font-medium text-red-700" : "text-slate-900"
                      }
                    >
                      {eventLabels[event.action] ?? event.action}
                    </Cell>
                    <Cell className="font-mono text-xs">{event.ip}</Cell>
                  </tr>
                ))}
              </Rows>
            </Table>
          )
        }
      </Loaded>
    </section>
  );
}
