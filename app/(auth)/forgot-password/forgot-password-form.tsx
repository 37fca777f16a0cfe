"use client";
import { useMutation } from "@tanstack/react-query";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { formErrors } from "@/app/_components/errors";
import { Field } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { useTRPC } from "@/app/_lib/trpc";

export function ForgotPasswordForm() {
  const trpc = useTRPC();
  const request = useMutation(trpc.account.requestPasswordReset.mutationOptions());
  const errors = formErrors(request.error, ["email"]);
  if (request.data) {
    const { email, emailed } = request.data;
    return emailed ? (
      <Alert tone="success" title="Check your e-mail">
        If {email} has an account, a link to choose a new password is on its way.
      </Alert>
    ) : (
      <Alert tone="info" title="Ask your administrator">
        This installation sends no e-mail. Its administrator can make you a link with{" "}
        <code className="font-mono text-xs">npx baton user reset-link {email}</code>.
      </Alert>
    );
  }
  return (
    <Form onValues={({ email = "" }) => request.mutate({ email })}>
      {errors.message && <Alert tone="error">{errors.message}</Alert>}
      <Field
        label="E-mail"
        name="email"
        type="email"
        autoComplete="email"
        required
        autoFocus
        error={errors.fields.email}
      />
      <Button type="submit" className="w-full" pending={request.isPending} pendingLabel="Sending…">
        Send me a link
      </Button>
    </Form>
  );
}
