"use client";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { Field } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { OAuthButtons } from "@/app/_components/oauth-buttons";
import { signInWithPassword } from "@/app/_components/sign-in";
import { link } from "@/app/_components/styles";

export function SignInForm({ callbackUrl, notice }: { callbackUrl?: string; notice?: string }) {
  const router = useRouter();
  const signIn = useMutation({
    mutationFn: ({ email, password }: { email: string; password: string }) =>
      signInWithPassword(email, password),
    onSuccess: () => {
      router.replace(callbackUrl ?? "/");
      router.refresh();
    },
  });
  const message = signIn.error?.message ?? (signIn.isIdle ? notice : undefined);
  return (
    <>
      <Form onValues={({ email = "", password = "" }) => signIn.mutate({ email, password })}>
        {message && <Alert tone="error">{message}</Alert>}
        <Field label="E-mail" name="email" type="email" autoComplete="email" required autoFocus />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required />
        <p className="-mt-2 text-right text-sm">
          <Link href="/forgot-password" className={link}>
            Forgot your password?
          </Link>
        </p>
        <Button
          type="submit"
          className="w-full"
          pending={signIn.isPending || signIn.isSuccess}
          pendingLabel="Signing in…"
        >
          Sign in
        </Button>
      </Form>
      <OAuthButtons callbackUrl={callbackUrl ?? "/"} />
    </>
  );
}
