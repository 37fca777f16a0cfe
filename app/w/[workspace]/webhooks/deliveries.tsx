"use client";
// An endpoint's delivery log, newest first: when, the outcome and why, the run it started; a row
// opens to the delivery's headers (credentials redacted by the server) and body; Replay runs a
// logged delivery again through the endpoint's current mapping, as a new run.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { Fragment, useState } from "react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { EmptyState } from "@/app/_components/empty-state";
import { errorMessage } from "@/app/_components/errors";
import { Loaded } from "@/app/_components/loaded";
import { useWorkspace } from "@/app/_components/shell";
import { link } from "@/app/_components/styles";
import { Cell, Rows, Table } from "@/app/_components/table";
import { Time } from "@/app/_components/time";
import { useTRPC } from "@/app/_lib/trpc";

/** How often the log is read again while it is on screen, so new deliveries show up. */
const POLL_MS = 3000;

const okResults = new Set(["accepted", "completed", "duplicate", "challenge"]);

/** A delivery's result; `pending`: accepted, its run being created (amber, for a moment). */
export function ResultBadge({ result, statusCode }: { result: string; statusCode: number }) {
  const tone =
    result === "pending"
      ? ["bg-amber-50 text-amber-800 ring-amber-300", "bg-amber-500"]
      : okResults.has(result)
        ? ["bg-emerald-50 text-emerald-800 ring-emerald-300", "bg-emerald-600"]
        : ["bg-red-50 text-red-800 ring-red-300", "bg-red-600"];
  return (
    <span
      className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset ${tone[0]}`}
    >
      <span aria-hidden="true" className={`size-2 rounded-full ${tone[1]}`} />
      {result.replace(/_/g, " ")} · {statusCode}
    </span>
  );
}

const pre =
  "max-h-72 overflow-auto rounded-md bg-slate-50 p-2.5 font-mono text-xs whitespace-pre-wrap text-slate-800 ring-1 ring-slate-200";

/** A body as logged: pretty JSON when it is JSON. */
function prettyBody(body: string) {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function DeliveryDetails({ webhookId, deliveryId }: { webhookId: string; deliveryId: string }) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const delivery = useQuery(trpc.webhooks.delivery.queryOptions({ workspace: slug, webhookId, deliveryId }));
  return (
    <Loaded query={delivery} label="the delivery">
      {(data) => (
        <div className="grid gap-4 lg:grid-cols-2">
          <div>
            <h4 className="mb-1 text-xs font-semibold tracking-wide text-slate-500 uppercase">Headers</h4>
            <dl className={`${pre} grid grid-cols-[max-content_1fr] gap-x-3`}>
              {Object.entries(data.headers).map(([name, value]) => (
                <Fragment key={name}>
                  <dt className="text-slate-500">{name}</dt>
                  <dd className="break-all">{value}</dd>
                </Fragment>
              ))}
            </dl>
          </div>
          <div>
            <h4 className="mb-1 text-xs font-semibold tracking-wide text-slate-500 uppercase">
              Body ({data.bodyBytes} bytes{data.bodyTruncated ? ", cut in the log" : ""})
            </h4>
            <pre className={pre}>{data.body ? prettyBody(data.body) : "(empty)"}</pre>
          </div>
        </div>
      )}
    </Loaded>
  );
}

export function DeliveryLog({ webhookId }: { webhookId: string }) {
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState<string | null>(null);
  const deliveries = useQuery({
    ...trpc.webhooks.deliveries.queryOptions({ workspace: workspace.slug, webhookId, limit: 50 }),
    refetchInterval: POLL_MS,
  });
  const replay = useMutation(
    trpc.webhooks.replay.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.deliveries.pathKey() }),
    }),
  );
  const operate = workspace.can("runs:operate");

  return (
    <Loaded query={deliveries} label="deliveries">
      {({ items: list }) =>
        list.length === 0 ? (
          <EmptyState title="No deliveries yet">
            Send one with the curl example above, or paste the URL and secret into the sender's webhook
            settings. Every delivery, accepted or refused, is logged here for 30 days.
          </EmptyState>
        ) : (
          <>
            {replay.error && (
              <Alert tone="error" className="mb-3">
                {errorMessage(replay.error)}
              </Alert>
            )}
            {replay.data && (
              <Alert tone="success" className="mb-3">
                Replayed as a new run:{" "}
                <Link href={`/w/${workspace.slug}/runs/${replay.data.runId}`} className={link}>
                  {replay.data.runId.slice(0, 8)}
                </Link>
              </Alert>
            )}
            <Table caption="Deliveries" columns={["Received", "Result", "Run", "Message", "Actions"]}>
              <Rows>
                {list.map((delivery) => (
                  <Fragment key={delivery.id}>
                    <tr>
                      <Cell>
                        <Time value={delivery.receivedAt} />
                        {delivery.replayOf && <span className="block text-xs text-slate-500">replay</span>}
                      </Cell>
                      <Cell>
                        <ResultBadge result={delivery.result} statusCode={delivery.statusCode} />
                      </Cell>
                      <Cell>
                        {delivery.runId ? (
                          <Link
                            href={`/w/${workspace.slug}/runs/${delivery.runId}`}
                            className={`font-mono text-xs ${link}`}
                          >
                            {delivery.runId.slice(0, 8)}
                          </Link>
                        ) : (
                          <span className="text-slate-400">—</span>
                        )}
                      </Cell>
                      <Cell className="max-w-80 text-xs break-words">
                        {delivery.message}
                        {delivery.idempotencyKey && (
                          <span className="block text-slate-500">key {delivery.idempotencyKey}</span>
                        )}
                      </Cell>
                      <Cell className="text-right whitespace-nowrap">
                        <Button
                          variant="ghost"
                          size="sm"
                          aria-expanded={open === delivery.id}
                          onClick={() => setOpen(open === delivery.id ? null : delivery.id)}
                        >
                          {open === delivery.id ? "Hide" : "Details"}
                          <span className="sr-only"> of the delivery</span>
                        </Button>
                        {operate && (
                          <Button
                            variant="ghost"
                            size="sm"
                            disabled={delivery.bodyTruncated}
                            disabledReason="Only part of the body was kept: it cannot be replayed"
                            title="Run this delivery again, as a new run"
                            pending={replay.isPending && replay.variables.deliveryId === delivery.id}
                            pendingLabel="Replaying…"
                            onClick={() =>
                              replay.mutate({ workspace: workspace.slug, webhookId, deliveryId: delivery.id })
                            }
                          >
                            Replay<span className="sr-only"> the delivery</span>
                          </Button>
                        )}
                      </Cell>
                    </tr>
                    {open === delivery.id && (
                      <tr>
                        <td colSpan={5} className="bg-slate-50/60 px-4 py-3">
                          <DeliveryDetails webhookId={webhookId} deliveryId={delivery.id} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </Rows>
            </Table>
          </>
        )
      }
    </Loaded>
  );
}

/** The last delivery of an endpoint, for the list of endpoints. */
export function LastDelivery({ webhookId }: { webhookId: string }) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const last = useQuery({
    ...trpc.webhooks.deliveries.queryOptions({ workspace: slug, webhookId, limit: 1 }),
    refetchInterval: 15_000,
  });
  const delivery = last.data?.items[0];
  if (!last.data) return <span className="text-slate-400">…</span>;
  if (!delivery) return <span className="text-slate-400">Never</span>;
  return (
    <span className="flex flex-col items-start gap-1">
      <ResultBadge result={delivery.result} statusCode={delivery.statusCode} />
      <span className="text-xs">
        <Time value={delivery.receivedAt} />
      </span>
    </span>
  );
}
