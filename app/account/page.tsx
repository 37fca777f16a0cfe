"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { EmptyState } from "@/app/_components/empty-state";
import { formErrors } from "@/app/_components/errors";
import { Field } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader, Section } from "@/app/_components/page-header";
import { Cell, Rows, Table } from "@/app/_components/table";
import { Time } from "@/app/_components/time";
import { useTRPC } from "@/app/_lib/trpc";

const eventLabels: Record<string, string> = {
  "auth.signin": "Signed in",
  "auth.signin_failed": "Failed sign-in",
  "auth.password_change": "Password changed",
};

export default function AccountPage() {
  return (
    <>
      <PageHeader title="Your account" description="Your password and recent sign-in activity." />
      <ChangePassword />
      <RecentEvents />
    </>
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
        {change.isSuccess && <Alert tone="success">Password changed.</Alert>}
        <Field
          label="Current password"
          name="current"
          type="password"
          autoComplete="current-password"
          required
          error={errors.fields.current}
        />
        <Field
          label="New password"
          name="next"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          hint="At least 10 characters."
          error={errors.fields.next}
        />
        <Button type="submit" pending={change.isPending}>
          Change password
        </Button>
      </Form>
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
