"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { formErrors } from "@/app/_components/errors";
import { Form } from "@/app/_components/form";
import { NewPasswordField } from "@/app/_components/new-password-field";
import { signInWithPassword } from "@/app/_components/sign-in";
import { useTRPCClient } from "@/app/_lib/trpc";

export function ResetPasswordForm({ secret, email }: { secret: string; email: string }) {
  const client = useTRPCClient();
  const router = useRouter();
  const reset = useMutation({
    mutationFn: async (password: string) => {
      await client.account.resetPassword.mutate({ secret, password });
      await signInWithPassword(email, password);
    },
    onSuccess: () => {
      router.replace("/");
      router.refresh();
    },
  });
  const errors = formErrors(reset.error, ["password"]);
  return (
    <Form onValues={({ password = "" }) => reset.mutate(password)}>
      {errors.message && <Alert tone="error">{errors.message}</Alert>}
      <NewPasswordField label="New password" name="password" error={errors.fields.password} />
      <Button
        type="submit"
        className="w-full"
        pending={reset.isPending || reset.isSuccess}
        pendingLabel="Saving…"
      >
        Set password and sign in
      </Button>
    </Form>
  );
}
