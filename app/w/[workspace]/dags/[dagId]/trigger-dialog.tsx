"use client";
// Triggering a run by hand: the params form (params-form.tsx) and a note.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { Dialog, DialogActions } from "@/app/_components/dialog";
import { formErrors } from "@/app/_components/errors";
import { Field } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { useWorkspace } from "@/app/_components/shell";
import { useTRPC } from "@/app/_lib/trpc";
import type { ParamSpec } from "@/server/dags/definition";
import { initialParamTexts, ParamsFields, readParams } from "./params-form";

export function TriggerDialog({
  dagId,
  params,
  open,
  onClose,
}: {
  dagId: string;
  params: Record<string, ParamSpec>;
  open: boolean;
  onClose: () => void;
}) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const names = Object.keys(params);
  const [texts, setTexts] = useState(() => initialParamTexts(params));
  const [local, setLocal] = useState<Record<string, string>>({});
  const trigger = useMutation(
    trpc.runs.trigger.mutationOptions({
      onSuccess: async ({ id }) => {
        await queryClient.invalidateQueries({ queryKey: trpc.runs.pathKey() });
        router.push(`/w/${slug}/runs/${id}`);
      },
    }),
  );
  const server = formErrors(
    trigger.error,
    names.map((name) => `params.${name}`),
  );

  function submit(note: string) {
    const read = readParams(params, texts);
    setLocal(read.errors);
    if (!read.ok) return;
    trigger.mutate({ workspace: slug, dagId, params: read.values, ...(note ? { note } : {}) });
  }

  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={`Trigger ${dagId}`}
      description="Starts a run of the current version now."
    >
      <Form onValues={(form) => submit(form.note ?? "")}>
        {server.message && <Alert tone="error">{server.message}</Alert>}
        <ParamsFields
          params={params}
          texts={texts}
          errors={Object.fromEntries(
            names.map((name) => [name, local[name] ?? server.fields[`params.${name}`]]),
          )}
          onChange={setTexts}
        />
        <Field
          label="Note"
          name="note"
          maxLength={2000}
          autoComplete="off"
          hint="Shown with the run, for the team."
        />
        <DialogActions onCancel={onClose}>
          <Button type="submit" pending={trigger.isPending || trigger.isSuccess} pendingLabel="Starting…">
            Trigger run
          </Button>
        </DialogActions>
      </Form>
    </Dialog>
  );
}
