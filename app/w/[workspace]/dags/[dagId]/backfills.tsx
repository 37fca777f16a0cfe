"use client";
// Backfills of a DAG: the dialog that starts one (a range of logical dates in the schedule's time
// zone, params, a note) and the list with each one's progress and a Cancel button. The backfill
// creates its runs a batch at a time on the worker, so the list polls while one is running.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { Dialog, DialogActions } from "@/app/_components/dialog";
import { EmptyState } from "@/app/_components/empty-state";
import { formErrors } from "@/app/_components/errors";
import { Field } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { Loaded } from "@/app/_components/loaded";
import { useWorkspace } from "@/app/_components/shell";
import { stateLook } from "@/app/_components/state-badge";
import { Cell, Rows, Table } from "@/app/_components/table";
import { useTRPC } from "@/app/_lib/trpc";
import type { ParamSpec } from "@/server/dags/definition";
import { formatInZone, zonedMidnightValue, zonedWallTime } from "../_components/zoned-time";
import { initialParamTexts, ParamsFields, readParams } from "./params-form";

type Backfill = { id: string; total: number };

export function BackfillDialog({
  dagId,
  timezone,
  params,
  open,
  onClose,
  onCreated,
}: {
  dagId: string;
  /** The schedule's time zone: logical dates are typed in it. */
  timezone: string;
  params: Record<string, ParamSpec>;
  open: boolean;
  onClose: () => void;
  onCreated: (backfill: Backfill) => void;
}) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const names = Object.keys(params);
  const [texts, setTexts] = useState(() => initialParamTexts(params));
  const [local, setLocal] = useState<Record<string, string>>({});
  const create = useMutation(
    trpc.backfills.create.mutationOptions({
      onSuccess: async (backfill) => {
        await queryClient.invalidateQueries({ queryKey: trpc.backfills.pathKey() });
        onCreated(backfill);
      },
    }),
  );
  const paramPaths = names.map((name) => `params.${name}`);
  const server = formErrors(create.error, ["from", "to", ...paramPaths]);

  function submit(values: Record<string, string>) {
    const errors: Record<string, string> = {};
    if (!values.from) errors.from = "Enter the first logical date";
    if (!values.to) errors.to = "Enter the last logical date";
    const read = readParams(params, texts);
    for (const [name, message] of Object.entries(read.errors)) errors[`params.${name}`] = message;
    setLocal(errors);
    if (Object.keys(errors).length > 0) return;
    create.mutate({
      workspace: slug,
      dagId,
      from: zonedWallTime(values.from!, timezone).toISOString(),
      to: zonedWallTime(values.to!, timezone).toISOString(),
      params: read.values,
      ...(values.note ? { note: values.note } : {}),
    });
  }

  const zoneHint = `In ${timezone}, the schedule's time zone.`;
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={`Backfill ${dagId}`}
      description="One run for each logical date of the schedule in the range, both ends included. Dates that already have a run are not run again; at most the DAG's max active runs run at once."
    >
      <Form onValues={submit}>
        {server.message && <Alert tone="error">{server.message}</Alert>}
        <div className="grid gap-4 sm:grid-cols-2">
          <Field
            label="From (logical date)"
            name="from"
            type="datetime-local"
            required
            defaultValue={zonedMidnightValue(timezone, 7)}
            hint={zoneHint}
            error={local.from ?? server.fields.from}
          />
          <Field
            label="To (logical date)"
            name="to"
            type="datetime-local"
            required
            defaultValue={zonedMidnightValue(timezone, 1)}
            hint={zoneHint}
            error={local.to ?? server.fields.to}
          />
        </div>
        <ParamsFields
          params={params}
          texts={texts}
          errors={Object.fromEntries(
            names.map((name) => [name, local[`params.${name}`] ?? server.fields[`params.${name}`]]),
          )}
          onChange={setTexts}
        />
        <Field
          label="Note"
          name="note"
          maxLength={2000}
          autoComplete="off"
          hint="Shown with each run of the backfill."
        />
        <DialogActions onCancel={onClose}>
          <Button type="submit" pending={create.isPending} pendingLabel="Starting…">
            Start backfill
          </Button>
        </DialogActions>
      </Form>
    </Dialog>
  );
}

type RunCounts = { queued: number; running: number; success: number; failed: number; cancelled: number };

/**
 * A backfill's state with its runs' outcome: "Done" only when every run it made succeeded; one
 * whose runs failed says how many, and one whose runs are still going says so.
 */
function backfillLook(state: "running" | "done" | "cancelled", runs: RunCounts | undefined) {
  if (state === "running") return { look: "running", label: "Creating runs" };
  if (runs?.failed)
    return { look: "failed", label: `${runs.failed} run${runs.failed === 1 ? "" : "s"} failed` };
  if (state === "cancelled") return { look: "cancelled", label: "Cancelled" };
  if (!runs) return { look: "none", label: "Done" };
  if (runs.queued + runs.running > 0) return { look: "running", label: "Runs in progress" };
  return { look: "success", label: "Done" };
}

function runSummary(runs: RunCounts) {
  const parts = [
    [runs.success, "succeeded"],
    [runs.failed, "failed"],
    [runs.cancelled, "cancelled"],
    [runs.running, "running"],
    [runs.queued, "queued"],
  ] as const;
  return parts
    .filter(([count]) => count > 0)
    .map(([count, word]) => `${count} ${word}`)
    .join(", ");
}

/** The backfill's state and, from its progress, how its runs ended (polled while they run). */
function BackfillState({ backfill }: { backfill: { id: string; state: "running" | "done" | "cancelled" } }) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const progress = useQuery({
    ...trpc.backfills.get.queryOptions({ workspace: slug, backfillId: backfill.id }),
    refetchInterval: (query) => {
      const runs = query.state.data?.runs;
      return backfill.state === "running" || !runs || runs.queued + runs.running > 0 ? 3000 : false;
    },
  });
  const runs = progress.data?.runs;
  const { look, label } = backfillLook(backfill.state, runs);
  const { badge, fill } = stateLook(look);
  const summary = runs && runSummary(runs);
  return (
    <>
      <span
        className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset ${badge}`}
      >
        <span aria-hidden="true" className={`size-2 rounded-full ${fill}`} />
        {label}
      </span>
      {summary && <span className="mt-1 block text-xs text-slate-600">Runs: {summary}</span>}
    </>
  );
}

/** Logical dates handled (runs created, or found already there) out of the range's total. */
function Progress({ done, total }: { done: number; total: number }) {
  const percent = total > 0 ? Math.round((done / total) * 100) : 100;
  return (
    <div className="flex min-w-40 items-center gap-2">
      <div
        role="progressbar"
        aria-label="Logical dates handled"
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={done}
        className="h-2 flex-1 overflow-hidden rounded-full bg-slate-200"
      >
        <div className="h-full rounded-full bg-indigo-600" style={{ width: `${percent}%` }} />
      </div>
      <span className="text-xs whitespace-nowrap tabular-nums">
        {done}/{total}
      </span>
    </div>
  );
}

export function BackfillList({
  dagId,
  timezone,
  scheduled,
}: {
  dagId: string;
  timezone: string;
  /** Whether the DAG has a schedule (without one there is nothing to backfill). */
  scheduled: boolean;
}) {
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const backfills = useQuery({
    ...trpc.backfills.list.queryOptions({ workspace: workspace.slug, dagId, limit: 20 }),
    select: (page) => page.items,
    refetchInterval: (query) => (query.state.data?.items.some((b) => b.state === "running") ? 2000 : 15_000),
  });
  const cancel = useMutation(
    trpc.backfills.cancel.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.backfills.pathKey() }),
    }),
  );
  const operate = workspace.can("runs:operate");
  // The runs a backfill creates show up in the page's grid and run list as they are made.
  const made = backfills.data?.reduce((sum, b) => sum + b.created, 0);
  useEffect(() => {
    if (made) void queryClient.invalidateQueries({ queryKey: trpc.runs.pathKey() });
  }, [made, queryClient, trpc]);

  return (
    <Loaded query={backfills} label="backfills">
      {(list) =>
        list.length === 0 ? (
          <EmptyState title="No backfills">
            {!scheduled
              ? "This DAG has no schedule, so it has no logical dates to backfill. Add a schedule in the editor, or trigger runs by hand."
              : operate
                ? "Use Backfill to run the DAG for past logical dates, for example after fixing a bug or adding a task."
                : "Members with the Operator role or above can backfill past logical dates."}
          </EmptyState>
        ) : (
          <Table
            caption="Backfills"
            columns={[
              "Logical dates",
              "State",
              "Progress",
              "Started by",
              "Note",
              ...(operate ? ["Actions"] : []),
            ]}
          >
            <Rows>
              {list.map((backfill) => (
                <tr key={backfill.id}>
                  <Cell className="text-xs">
                    <span className="block whitespace-nowrap">{formatInZone(backfill.from, timezone)} –</span>
                    <span className="block whitespace-nowrap">{formatInZone(backfill.to, timezone)}</span>
                    <span className="block text-slate-500">{timezone}</span>
                  </Cell>
                  <Cell>
                    <BackfillState backfill={backfill} />
                    {backfill.error && (
                      <span className="mt-1 block text-xs text-amber-800">{backfill.error}</span>
                    )}
                  </Cell>
                  <Cell>
                    <Progress done={backfill.created} total={backfill.total} />
                    {backfill.existing > 0 && (
                      <span className="text-xs text-slate-500">{backfill.existing} already had a run</span>
                    )}
                  </Cell>
                  <Cell className="text-xs">{backfill.createdByLabel}</Cell>
                  <Cell className="max-w-64 truncate text-xs" title={backfill.note}>
                    {backfill.note}
                  </Cell>
                  {operate && (
                    <Cell className="text-right">
                      {backfill.state === "running" && (
                        <ConfirmButton
                          variant="ghost"
                          size="sm"
                          title="Cancel this backfill?"
                          description="No more runs are created and its queued runs are cancelled; running ones finish."
                          preview={`${backfill.created} of ${backfill.total} runs created so far; ${Math.max(0, backfill.total - backfill.created - backfill.existing)} will not be.`}
                          confirmLabel="Cancel backfill"
                          pendingLabel="Cancelling…"
                          onConfirm={() =>
                            cancel.mutateAsync({ workspace: workspace.slug, backfillId: backfill.id })
                          }
                        >
                          Cancel<span className="sr-only"> backfill</span>
                        </ConfirmButton>
                      )}
                    </Cell>
                  )}
                </tr>
              ))}
            </Rows>
          </Table>
        )
      }
    </Loaded>
  );
}
