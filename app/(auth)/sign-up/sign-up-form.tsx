"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { formErrors } from "@/app/_components/errors";
import { Field } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { OAuthButtons } from "@/app/_components/oauth-buttons";
import { signInWithPassword } from "@/app/_components/sign-in";
import { useTRPCClient } from "@/app/_lib/trpc";

interface SignUpInput {
  name: string;
  email: string;
  password: string;
}

export function SignUpForm({ callbackUrl }: { callbackUrl?: string }) {
  const client = useTRPCClient();
  const router = useRouter();
  const signUp = useMutation({
    mutationFn: async (input: SignUpInput) => {
      const account = await client.account.signUp.mutate(input);
      try {
        await signInWithPassword(input.email, input.password);
      } catch (error) {
        throw new Error(
          `Your account was created, but signing in failed (${(error as Error).message}). Sign in instead.`,
        );
      }
      return account;
    },
    onSuccess: (account) => {
      router.replace(callbackUrl ?? `/w/${account.workspace}`);
      router.refresh();
    },
  });
  const errors = formErrors(signUp.error, ["name", "email", "password"]);
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
          required
          error={errors.fields.email}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          hint="At least 10 characters."
          error={errors.fields.password}
        />
        <Button
          type="submit"
          className="w-full"
          pending={signUp.isPending || signUp.isSuccess}
          pendingLabel="Creating your account…"
        >
          Sign up
        </Button>
      </Form>
      <OAuthButtons callbackUrl={callbackUrl ?? "/"} />
    </>
  );
}
