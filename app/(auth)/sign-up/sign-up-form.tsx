"use client";
import { useMutation } from "@tanstack/react-query";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { withCallback } from "@/app/_components/callback-url";
import { formErrors } from "@/app/_components/errors";
import { Field } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { NewPasswordField } from "@/app/_components/new-password-field";
import { OAuthButtons } from "@/app/_components/oauth-buttons";
import { buttonClass } from "@/app/_components/styles";
import { useTRPCClient } from "@/app/_lib/trpc";

interface SignUpInput {
  name: string;
  email: string;
  password: string;
}

export function SignUpForm({
  callbackUrl,
  email: invitedEmail,
}: {
  callbackUrl?: string | undefined;
  /** The invited address, when signing up to accept an invitation. */
  email?: string | undefined;
}) {
  const client = useTRPCClient();
  const signUp = useMutation({
    mutationFn: (input: SignUpInput) => client.account.signUp.mutate(input),
  });
  const errors = formErrors(signUp.error, ["name", "email", "password"]);
  if (signUp.data) {
    const { email, emailed, link } = signUp.data;
    return emailed || !link ? (
      <Alert tone="success" title="Check your e-mail">
        We sent a link to {email}. Open it to finish creating your account (it works for a day).
      </Alert>
    ) : (
      <div className="space-y-4">
        <Alert tone="info" title="One more step">
          This installation sends no e-mail, so here is the link that would have gone to {email}.
        </Alert>
        <a className={buttonClass("primary")} href={withCallback(new URL(link).pathname, callbackUrl)}>
          Finish signing up
        </a>
      </div>
    );
  }
  return (
    <>
      <Form onValues={({ name = "", email = "", password = "" }) => signUp.mutate({ name, email, password })}>
        {errors.message && <Alert tone="error">{errors.message}</Alert>}
        <Field
          label="Name"
          name="name"
          autoComplete="name"
          required
          maxLength={80}
          autoFocus
          error={errors.fields.name}
        />
        <Field
          label="E-mail"
          name="email"
          type="email"
          autoComplete="email"
          defaultValue={invitedEmail}
          required
          error={errors.fields.email}
        />
        <NewPasswordField label="Password" name="password" error={errors.fields.password} />
        <Button type="submit" className="w-full" pending={signUp.isPending} pendingLabel="Signing up…">
          Sign up
        </Button>
      </Form>
      <OAuthButtons callbackUrl={callbackUrl ?? "/"} />
    </>
  );
}
