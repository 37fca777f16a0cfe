"use client";
import { startAuthentication } from "@simplewebauthn/browser";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { Field } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { OAuthButtons } from "@/app/_components/oauth-buttons";
import { signInWithPassword } from "@/app/_components/sign-in";
import { link } from "@/app/_components/styles";
import { useTRPCClient } from "@/app/_lib/trpc";

/** Password-less: the browser offers the passkeys it holds for this site; no e-mail needed. */
function PasskeySignIn({ callbackUrl }: { callbackUrl?: string }) {
  const client = useTRPCClient();
  const router = useRouter();
  const signInWithPasskey = useMutation({
    mutationFn: async () => {
      const { challengeId, options } = await client.twoFactor.passkeySignInOptions.mutate();
      const response = await startAuthentication({ optionsJSON: options });
      const result = await signIn("passkey", {
        redirect: false,
        challengeId,
        response: JSON.stringify(response),
      });
      if (!result?.ok || result.error)
        throw new Error(result?.error ?? "Signing in with a passkey did not work.");
    },
    onSuccess: () => {
      router.replace(callbackUrl ?? "/");
      router.refresh();
    },
  });
  return (
    <div className="mt-4 space-y-3">
      {signInWithPasskey.error && <Alert tone="error">{signInWithPasskey.error.message}</Alert>}
      <Button
        variant="secondary"
        className="w-full"
        onClick={() => signInWithPasskey.mutate()}
        pending={signInWithPasskey.isPending || signInWithPasskey.isSuccess}
        pendingLabel="Waiting for your passkey…"
      >
        Continue with a passkey
      </Button>
    </div>
  );
}

/** A workspace's own identity provider: the browser goes to app/api/sso/<workspace>. */
function SsoSignIn() {
  return (
    <form
      className="mt-4 flex gap-2"
      onSubmit={(event) => {
        event.preventDefault();
        const slug = String(new FormData(event.currentTarget).get("workspace") ?? "")
          .trim()
          .toLowerCase();
        if (/^[a-z0-9][a-z0-9-]*$/.test(slug)) window.location.assign(`/api/sso/${slug}`);
      }}
    >
      <label className="sr-only" htmlFor="sso-workspace">
        Workspace
      </label>
      <input
        id="sso-workspace"
        name="workspace"
        placeholder="your-workspace"
        pattern="[a-z0-9][a-z0-9\-]*"
        title="The workspace's address: lowercase letters, digits and dashes"
        required
        className="min-w-0 flex-1 rounded-md border border-slate-300 px-3 py-2 text-sm"
      />
      <Button type="submit" variant="secondary">
        Single sign-on
      </Button>
    </form>
  );
}

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
      <PasskeySignIn callbackUrl={callbackUrl} />
      <SsoSignIn />
      <OAuthButtons callbackUrl={callbackUrl ?? "/"} />
    </>
  );
}
