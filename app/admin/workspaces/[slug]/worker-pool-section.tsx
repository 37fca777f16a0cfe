"use client";
// Where a workspace's tasks run: its worker pool (`shared` unless assigned one of its own) and its
// named pools' own assignments, each changed in place. Queued tasks follow at once.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { formErrors } from "@/app/_components/errors";
import { Field } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { Section } from "@/app/_components/page-header";
import { useTRPC } from "@/app/_lib/trpc";

interface Assignable {
  slug: string;
  workerPool: string | null;
  namedPools: Array<{ name: string; slots: number; workerPool: string | null }>;
}

export function WorkerPoolSection({ workspace }: { workspace: Assignable }) {
  return (
    <Section
      title="Worker pool"
      description={
        <>
          The workers this workspace's tasks run on: <code className="font-mono">shared</code> unless it has a
          pool of its own (<code className="font-mono">dedicated:{workspace.slug}</code>, say), served by
          workers started with <code className="font-mono">BATON_WORKER_POOLS</code>. One of its pools can go
          elsewhere too (a GPU pool). A pool without a live worker runs nothing: its tasks wait.
        </>
      }
    >
      <Assignment slug={workspace.slug} current={workspace.workerPool} label="Worker pool of the workspace" />
      {workspace.namedPools.length > 0 && (
        <div className="mt-6 space-y-4">
          <h3 className="text-sm font-semibold text-slate-900">Its pools</h3>
          {workspace.namedPools.map((pool) => (
            <Assignment
              key={pool.name}
              slug={workspace.slug}
              pool={pool.name}
              current={pool.workerPool}
              label={`Worker pool of pool ${pool.name}`}
            />
          ))}
        </div>
      )}
    </Section>
  );
}

function Assignment({
  slug,
  pool,
  current,
  label,
}: {
  slug: string;
  pool?: string;
  current: string | null;
  label: string;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const assign = useMutation(
    trpc.platform.assignWorkerPool.mutationOptions({
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.platform.workspace.queryKey({ workspace: slug }) }),
          queryClient.invalidateQueries({ queryKey: trpc.platform.workerPools.queryKey() }),
        ]),
    }),
  );
  const errors = formErrors(assign.error, ["workerPool", "pool"]);
  return (
    <Form
      className="flex flex-wrap items-end gap-3"
      onValues={(values) => {
        const workerPool = values.workerPool?.trim() ?? "";
        assign.mutate({ workspace: slug, ...(pool ? { pool } : {}), workerPool: workerPool || null });
      }}
    >
      <Field
        label={label}
        name="workerPool"
        defaultValue={current ?? ""}
        key={current ?? ""}
        placeholder={pool ? "the workspace's" : "shared"}
        autoComplete="off"
        spellCheck={false}
        className="w-72 [&_input]:font-mono"
        hint={pool ? "Empty: runs with the rest of the workspace." : "Empty: shared."}
        error={errors.fields.workerPool ?? errors.fields.pool}
      />
      <Button type="submit" variant="secondary" pending={assign.isPending} pendingLabel="Assigning…">
        Assign
      </Button>
      {errors.message && (
        <Alert tone="error" className="w-full">
          {errors.message}
        </Alert>
      )}
    </Form>
  );
}
