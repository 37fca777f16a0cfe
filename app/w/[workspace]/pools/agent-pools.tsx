"use client";
// Agent pools on the Pools page: each pool's agents (online or not, last seen, version, labels,
// slots, the tasks each runs), the command that starts one, revoking an agent, and the pool's join
// token (shown once when made: at creation or when replaced). docs/agents.md.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { Alert } from "@/app/_components/alert";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { CopyField } from "@/app/_components/copy-field";
import { useWorkspace } from "@/app/_components/shell";
import { link } from "@/app/_components/styles";
import { Cell, Rows, Table } from "@/app/_components/table";
import { Time } from "@/app/_components/time";
import { useTRPC } from "@/app/_lib/trpc";

/** The command that starts an agent of the pool on a machine. */
export function agentCommand(joinToken: string) {
  const origin = typeof window === "undefined" ? "https://baton.example.com" : window.location.origin;
  return `npx baton agent --url ${origin} --token ${joinToken} --concurrency 4`;
}

/** A join token just made: shown this once, with the command using it. */
export function JoinTokenNotice({ pool, joinToken }: { pool: string; joinToken: string }) {
  return (
    <div className="mt-4 space-y-3 rounded-md border border-slate-200 bg-white p-4">
      <Alert tone="warning" title={`Copy the join token of pool ${pool} now`}>
        It will not be shown again. Anyone holding it can register agents in this pool (and nothing else).
      </Alert>
      <CopyField label="Join token" value={joinToken} />
      <CopyField
        label="Start an agent on your machine"
        value={agentCommand(joinToken)}
        copyLabel="Copy command"
      />
    </div>
  );
}

export function AgentPools({ pools }: { pools: string[] }) {
  if (pools.length === 0) return null;
  return (
    <div className="mt-8">
      <h2 className="text-sm font-semibold text-slate-900">Agents</h2>
      <p className="mt-1 mb-3 text-sm text-slate-600">
        Agent pools run their tasks (<code className="font-mono">shell</code>,{" "}
        <code className="font-mono">python_script</code>) on your own machines: start an agent there with the
        pool's join token. Agents connect out over HTTPS; nothing connects to them.
      </p>
      <div className="space-y-6">
        {pools.map((pool) => (
          <AgentPool key={pool} pool={pool} />
        ))}
      </div>
    </div>
  );
}

function AgentPool({ pool }: { pool: string }) {
  const workspace = useWorkspace();
  const { slug } = workspace;
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Agents come and go, and their tasks with them: refreshed every few seconds.
  const agents = useQuery({
    ...trpc.pools.agents.queryOptions({ workspace: slug, name: pool }),
    refetchInterval: 3_000,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.pools.agents.pathKey() });
  const [joinToken, setJoinToken] = useState<string>();
  const rotate = useMutation(
    trpc.pools.rotateJoinToken.mutationOptions({
      onSuccess: (answer) => {
        setJoinToken(answer.joinToken);
        return refresh();
      },
    }),
  );
  const revokeJoin = useMutation(trpc.pools.revokeJoinToken.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.pools.revokeAgent.mutationOptions({ onSuccess: refresh }));
  const canManage = workspace.can("workspace:update");
  const list = agents.data?.agents ?? [];
  const online = list.filter((a) => a.online).length;
  return (
    <section aria-labelledby={`agents-${pool}`} className="rounded-md border border-slate-200 p-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h3 id={`agents-${pool}`} className="text-sm font-semibold text-slate-900">
          Pool <span className="font-mono">{pool}</span>: {online} agent{online === 1 ? "" : "s"} online
        </h3>
        {canManage && (
          <div className="flex gap-2">
            <ConfirmButton
              size="sm"
              title={`A new join token for pool ${pool}?`}
              description="The current join token stops registering agents. Agents already registered keep running."
              confirmLabel="Make a new token"
              pendingLabel="Making…"
              onConfirm={() => rotate.mutateAsync({ workspace: slug, name: pool })}
            >
              New join token
            </ConfirmButton>
            <ConfirmButton
              size="sm"
              variant="ghost"
              disabled={agents.data ? !agents.data.joinTokenActive : false}
              disabledReason="No join token: make a new one to add agents"
              title={`Revoke the join token of pool ${pool}?`}
              description="No new agent can join until you make a new token. Agents already registered keep running."
              confirmLabel="Revoke join token"
              pendingLabel="Revoking…"
              onConfirm={() => revokeJoin.mutateAsync({ workspace: slug, name: pool })}
            >
              Revoke join token
            </ConfirmButton>
          </div>
        )}
      </div>
      {joinToken && <JoinTokenNotice pool={pool} joinToken={joinToken} />}
      {agents.data && online === 0 && (
        <p className="mt-3 text-sm text-slate-600">
          No agent online: this pool's tasks wait. Start one with{" "}
          <code className="font-mono text-xs">{agentCommand("<join token>")}</code>
          {agents.data.joinTokenActive ? "" : " (make a new join token first)"}.
        </p>
      )}
      {list.length > 0 && (
        <div className="mt-3">
          <Table
            caption={`Agents of pool ${pool}`}
            columns={[
              "Agent",
              "State",
              "Last seen",
              "Version",
              "Labels",
              "Slots",
              "Running tasks",
              "Actions",
            ]}
          >
            <Rows>
              {list.map((agent) => (
                <tr key={agent.id}>
                  <Cell className="text-slate-900">
                    {agent.name}
                    <p className="font-mono text-xs text-slate-500">{agent.id.slice(0, 8)}</p>
                  </Cell>
                  <Cell>
                    {agent.revokedAt ? (
                      <span className="font-medium text-red-700">Revoked</span>
                    ) : agent.online ? (
                      <span className="font-medium text-emerald-700">Online</span>
                    ) : agent.stoppedAt ? (
                      "Stopped"
                    ) : (
                      <span className="font-medium text-amber-700">Offline</span>
                    )}
                  </Cell>
                  <Cell>
                    <Time value={agent.lastSeenAt} />
                  </Cell>
                  <Cell className="font-mono text-xs">{agent.version}</Cell>
                  <Cell className="font-mono text-xs">{agent.labels.join(", ") || "—"}</Cell>
                  <Cell>{agent.concurrency}</Cell>
                  <Cell>
                    {agent.running.length === 0
                      ? "—"
                      : agent.running.map((task) => (
                          <div key={task.attemptId}>
                            <Link
                              href={`/w/${slug}/runs/${task.runId}`}
                              className={`font-mono text-xs ${link}`}
                            >
                              {task.taskId}
                            </Link>
                          </div>
                        ))}
                  </Cell>
                  <Cell className="text-right">
                    {canManage && !agent.revokedAt && (
                      <ConfirmButton
                        variant="ghost"
                        size="sm"
                        title={`Revoke agent ${agent.name}?`}
                        description="It stops within seconds, killing what it runs; its running tasks are retried per their retries. It cannot come back with its token."
                        confirmLabel="Revoke agent"
                        pendingLabel="Revoking…"
                        onConfirm={() =>
                          revoke.mutateAsync({ workspace: slug, name: pool, agentId: agent.id })
                        }
                      >
                        Revoke<span className="sr-only"> agent {agent.name}</span>
                      </ConfirmButton>
                    )}
                  </Cell>
                </tr>
              ))}
            </Rows>
          </Table>
        </div>
      )}
    </section>
  );
}
