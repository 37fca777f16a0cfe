"use client";
// Worker pools: the groups of worker processes tasks run on, each with its live workers, slots and
// load, the workspaces waiting for it and who is assigned to it; and every registered worker.
// Assigning a workspace to a pool is done on the workspace's page.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader, Section } from "@/app/_components/page-header";
import { link } from "@/app/_components/styles";
import { Cell, Rows, Table } from "@/app/_components/table";
import { Time } from "@/app/_components/time";
import { useTRPC } from "@/app/_lib/trpc";

export default function WorkerPoolsPage() {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.platform.workerPools.queryOptions(), refetchInterval: 5_000 });
  return (
    <>
      <PageHeader
        title="Worker pools"
        description={
          <>
            Workers serve the pools named in their <code className="font-mono">BATON_WORKER_POOLS</code> (
            <code className="font-mono">shared</code> unless set). A workspace's tasks run in{" "}
            <code className="font-mono">shared</code> unless its page assigns it, or one of its pools, another
            pool. While workspaces wait for a pool, each gets a share of its slots by its plan's weight.
          </>
        }
      />
      <Loaded query={query} label="worker pools">
        {({ pools, workers }) => (
          <>
            <Section title="Pools">
              <Table
                caption="Worker pools"
                columns={["Pool", "Live workers", "Slots in use", "Waiting workspaces", "Assigned", "State"]}
              >
                <Rows>
                  {pools.map((pool) => (
                    <tr key={pool.name}>
                      <Cell className="font-mono text-slate-900">{pool.name}</Cell>
                      <Cell>{pool.workers}</Cell>
                      <Cell>
                        {pool.busy} of {pool.slots}
                      </Cell>
                      <Cell>{pool.waiting}</Cell>
                      <Cell className="text-xs">
                        {pool.name === "shared" &&
                        pool.workspaces.length === 0 &&
                        pool.namedPools.length === 0
                          ? "every workspace not assigned elsewhere"
                          : [
                              ...pool.workspaces.map((slug) => (
                                <Link
                                  key={slug}
                                  href={`/admin/workspaces/${slug}`}
                                  className={`${link} mr-2`}
                                >
                                  {slug}
                                </Link>
                              )),
                              ...pool.namedPools.map((p) => (
                                <Link
                                  key={`${p.workspace}/${p.pool}`}
                                  href={`/admin/workspaces/${p.workspace}`}
                                  className={`${link} mr-2`}
                                >
                                  {p.workspace}/{p.pool}
                                </Link>
                              )),
                            ]}
                      </Cell>
                      <Cell>
                        {pool.workers === 0 ? (
                          <span className="font-medium text-red-700">No live worker: its tasks wait</span>
                        ) : pool.waiting > 0 ? (
                          <span className="font-medium text-amber-700">Full: workspaces wait</span>
                        ) : (
                          "Serving"
                        )}
                      </Cell>
                    </tr>
                  ))}
                </Rows>
              </Table>
            </Section>
            <Section
              title="Workers"
              description="Registered worker processes; a worker silent past its grace is gone, and leaves the list after an hour."
            >
              {workers.length === 0 ? (
                <p className="text-sm text-slate-600">No worker has registered: no task runs.</p>
              ) : (
                <Table
                  caption="Workers"
                  columns={["Worker", "Pools", "Slots", "Started", "Last heartbeat", "Late by", "State"]}
                >
                  <Rows>
                    {workers.map((worker) => (
                      <tr key={worker.id}>
                        <Cell className="font-mono text-xs text-slate-900">{worker.name}</Cell>
                        <Cell className="font-mono text-xs">{worker.pools.join(", ")}</Cell>
                        <Cell>{worker.slots}</Cell>
                        <Cell>
                          <Time value={worker.startedAt} />
                        </Cell>
                        <Cell>
                          <Time value={worker.heartbeatAt} />
                        </Cell>
                        <Cell>{worker.lagMs} ms</Cell>
                        <Cell>
                          {worker.live ? "Live" : <span className="font-medium text-red-700">Gone</span>}
                        </Cell>
                      </tr>
                    ))}
                  </Rows>
                </Table>
              )}
            </Section>
          </>
        )}
      </Loaded>
    </>
  );
}
