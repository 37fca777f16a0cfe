"use client";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { errorMessage } from "@/app/_components/errors";
import { link } from "@/app/_components/styles";
import { useTRPC } from "@/app/_lib/trpc";

export function ConfirmEmail({ secret }: { secret: string }) {
  const trpc = useTRPC();
  const confirm = useMutation(trpc.account.confirmEmail.mutationOptions());
  if (confirm.data) {
    return (
      <Alert tone="success" title="Address confirmed">
        {confirm.data.email} is confirmed.{" "}
        <Link href="/" className={link}>
          Continue
        </Link>
      </Alert>
    );
  }
  return (
    <div className="space-y-4">
      {confirm.error && <Alert tone="error">{errorMessage(confirm.error)}</Alert>}
      <Button className="w-full" onClick={() => confirm.mutate({ secret })} pending={confirm.isPending}>
        Confirm my address
      </Button>
    </div>
  );
}
