"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";

export function FinishSignUp({ secret, callbackUrl }: { secret: string; callbackUrl?: string }) {
  const router = useRouter();
  const finish = useMutation({
    mutationFn: async () => {
      const result = await signIn("signup-link", { redirect: false, secret });
      if (!result?.ok || result.error)
        throw new Error(result?.error ?? "Signing up did not work. Try again.");
    },
    onSuccess: () => {
      router.replace(callbackUrl ?? "/");
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
        pendingLabel="Creating your account…"
      >
        Create my account
      </Button>
    </div>
  );
}
