"use client";
// Webhook endpoints of the workspace: the list (DAG, auth, mode, enabled, last delivery), creating
// one (its secret shown once), and the chosen endpoint in full (endpoints.tsx). Viewers see the
// endpoints and their deliveries; Editors manage them; Operators replay deliveries.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { Button } from "@/app/_components/button";
import { EmptyState } from "@/app/_components/empty-state";
import { LoadMore } from "@/app/_components/load-more";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader } from "@/app/_components/page-header";
import { useWorkspace } from "@/app/_components/shell";
import { buttonClass, link } from "@/app/_components/styles";
import { Cell, Rows, Table } from "@/app/_components/table";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";
import { MAX_PAGE_SIZE } from "@/server/pagination";
import { LastDelivery } from "./deliveries";
import { EndpointDialog } from "./endpoint-form";
import { type Endpoint, EndpointDetail, RevealedSecret } from "./endpoints";

export default function WebhooksPage() {
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const endpoints = usePages((cursor) =>
    trpc.webhooks.list.queryOptions({ workspace: workspace.slug, cursor }),
  );
  // The DAGs an endpoint may start, for the dialog's picker.
  const dags = useQuery({
    ...trpc.dags.list.queryOptions({ workspace: workspace.slug, limit: MAX_PAGE_SIZE }),
    select: (page) => page.items,
  });
  const [creating, setCreating] = useState(false);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [revealed, setRevealed] = useState<{
    endpoint: Endpoint;
    secret: string | undefined;
    rotated: boolean;
  } | null>(null);
  const write = workspace.can("dags:write");
  const dagIds = dags.data?.map((dag) => dag.dagId) ?? [];
  const selected = endpoints.data?.find((endpoint) => endpoint.id === selectedId);

  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Other systems (GitHub, Stripe, CI, your services) start runs by calling an endpoint's URL. Each endpoint belongs to one DAG and has its own secret and settings."
        actions={
          write && (
            <Button
              disabled={dags.data !== undefined && dagIds.length === 0}
              disabledReason="Create a DAG first: an endpoint starts runs of a DAG"
              onClick={() => setCreating(true)}
            >
              New endpoint
            </Button>
          )
        }
      />
      {revealed && (
        <RevealedSecret
          key={`${revealed.endpoint.id}:${revealed.secret ?? "pasted"}`}
          endpoint={revealed.endpoint}
          secret={revealed.secret}
          rotated={revealed.rotated}
          onDone={() => {
            setSelectedId(revealed.endpoint.id);
            setRevealed(null);
          }}
        />
      )}
      <Loaded query={endpoints} label="webhook endpoints">
        {(list) =>
          list.length === 0 ? (
            <EmptyState
              title="No webhook endpoints yet"
              action={
                write && dags.data !== undefined && dagIds.length === 0 ? (
                  <Link href={`/w/${workspace.slug}/dags/new`} className={buttonClass()}>
                    Create a DAG
                  </Link>
                ) : undefined
              }
            >
              {!write
                ? "Members with the Editor role or above can create endpoints."
                : dags.data !== undefined && dagIds.length === 0
                  ? "An endpoint starts runs of a DAG: create a DAG first."
                  : "Create an endpoint with New endpoint, then give its URL and secret to the system that should start runs."}
            </EmptyState>
          ) : (
            <Table
              caption="Webhook endpoints"
              columns={["Name", "DAG", "Authentication", "Answer", "State", "Last delivery", "Actions"]}
            >
              <Rows>
                {list.map((endpoint) => (
                  <tr key={endpoint.id}>
                    <Cell className="font-medium text-slate-900">{endpoint.name}</Cell>
                    <Cell>
                      <Link
                        href={`/w/${workspace.slug}/dags/${endpoint.dagId}`}
                        className={`font-mono text-xs ${link}`}
                      >
                        {endpoint.dagId}
                      </Link>
                    </Cell>
                    <Cell className="text-xs">{endpoint.authMode}</Cell>
                    <Cell className="text-xs">
                      {endpoint.mode === "sync" ? `sync, ${endpoint.waitSeconds} s` : "async"}
                    </Cell>
                    <Cell className="text-xs">
                      {endpoint.enabled ? (
                        <span className="font-medium text-emerald-700">Enabled</span>
                      ) : (
                        <span className="text-slate-500">Disabled</span>
                      )}
                    </Cell>
                    <Cell>
                      <LastDelivery webhookId={endpoint.id} />
                    </Cell>
                    <Cell className="text-right">
                      <Button
                        variant="ghost"
                        size="sm"
                        aria-expanded={endpoint.id === selectedId}
                        onClick={() => setSelectedId(endpoint.id === selectedId ? null : endpoint.id)}
                      >
                        {endpoint.id === selectedId ? "Close" : "Open"}
                        <span className="sr-only"> endpoint {endpoint.name}</span>
                      </Button>
                    </Cell>
                  </tr>
                ))}
              </Rows>
            </Table>
          )
        }
      </Loaded>
      <LoadMore pages={endpoints} noun="endpoints" />
      {selected && (
        <div className="mt-6">
          <EndpointDetail
            key={selected.id}
            endpoint={selected}
            onRevealed={(endpoint, secret) => setRevealed({ endpoint, secret, rotated: true })}
            onDeleted={() => setSelectedId(null)}
          />
        </div>
      )}
      {creating && (
        <EndpointDialog
          dagIds={dagIds}
          onClose={() => setCreating(false)}
          onCreated={(created) => {
            setCreating(false);
            // The endpoint opens once its secret is put away, so the secret shows alone.
            setSelectedId(null);
            setRevealed({ endpoint: created, secret: created.secret, rotated: false });
          }}
        />
      )}
    </>
  );
}
