"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";

export function FinishSso({ ticket, callbackUrl }: { ticket: string; callbackUrl: string }) {
  const router = useRouter();
  const finish = useMutation({
    mutationFn: async () => {
      const result = await signIn("sso", { redirect: false, ticket });
      if (!result?.ok || result.error)
        throw new Error(result?.error ?? "Signing in did not work. Start again.");
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
        pendingLabel="Signing in…"
      >
        Continue to Baton
      </Button>
    </div>
  );
}
