"use client";
// The last step of a sign-in that arrives by link (a sign-up link, an SSO ticket): one button that
// hands what the link carried to a next-auth provider, then goes where the person was heading.
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";

export function FinishSignIn({
  provider,
  credentials,
  callbackUrl,
  label,
  pendingLabel,
  failure,
}: {
  provider: string;
  credentials: Record<string, string>;
  callbackUrl: string;
  label: string;
  pendingLabel: string;
  /** What to say when the provider gives no reason. */
  failure: string;
}) {
  const router = useRouter();
  const finish = useMutation({
    mutationFn: async () => {
      const result = await signIn(provider, { redirect: false, ...credentials });
      if (!result?.ok || result.error) throw new Error(result?.error ?? failure);
    },
    onSuccess: () => {
      router.replace(callbackUrl);
      router.refresh();
    },
  });
  return (
    <div className="space-y-4">
      {finish.error && <Alert tone="error">{finish.error.message}</Alert>}
      <Button
        className="w-full"
        onClick={() => finish.mutate()}
        pending={finish.isPending || finish.isSuccess}
        pendingLabel={pendingLabel}
      >
        {label}
      </Button>
    </div>
  );
}
