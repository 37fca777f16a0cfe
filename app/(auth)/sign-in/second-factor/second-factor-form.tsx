"use client";
import { startAuthentication } from "@simplewebauthn/browser";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { signOut } from "next-auth/react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { errorMessage, formErrors } from "@/app/_components/errors";
import { Field } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { useTRPC, useTRPCClient } from "@/app/_lib/trpc";

export function SecondFactorForm({ callbackUrl }: { callbackUrl?: string }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const router = useRouter();
  const factors = useQuery(trpc.twoFactor.pendingFactors.queryOptions());
  const done = () => {
    router.replace(callbackUrl ?? "/");
    router.refresh();
  };
  const giveCode = useMutation(trpc.twoFactor.giveCode.mutationOptions({ onSuccess: done }));
  const givePasskey = useMutation({
    mutationFn: async () => {
      const { challengeId, options } = await client.twoFactor.pendingPasskeyOptions.mutate();
      const response = await startAuthentication({ optionsJSON: options });
      await client.twoFactor.givePasskey.mutate({ challengeId, response });
    },
    onSuccess: done,
  });
  const errors = formErrors(giveCode.error, ["code"]);
  return (
    <div className="space-y-6">
      {factors.data && factors.data.passkeys > 0 && (
        <div className="space-y-3">
          {givePasskey.error && <Alert tone="error">{errorMessage(givePasskey.error)}</Alert>}
          <Button className="w-full" onClick={() => givePasskey.mutate()} pending={givePasskey.isPending}>
            Use a passkey
          </Button>
        </div>
      )}
      <Form onValues={({ code = "" }) => giveCode.mutate({ code })}>
        {errors.message && <Alert tone="error">{errors.message}</Alert>}
        <Field
          label="Code from your authenticator app, or a recovery code"
          name="code"
          autoComplete="one-time-code"
          inputMode="text"
          required
          autoFocus
          error={errors.fields.code}
        />
        <Button
          type="submit"
          variant={factors.data && factors.data.passkeys > 0 ? "secondary" : "primary"}
          className="w-full"
          pending={giveCode.isPending || giveCode.isSuccess}
          pendingLabel="Checking…"
        >
          Continue
        </Button>
      </Form>
      <p className="text-center text-sm">
        <button
          type="button"
          className="text-slate-600 underline"
          onClick={() => signOut({ callbackUrl: "/sign-in" })}
        >
          Cancel and sign out
        </button>
      </p>
    </div>
  );
}
