"use client";
// Pools: named limits on how many of the workspace's tasks run at once, shared by every DAG whose
// tasks name the pool. Everyone sees them; admins (workspace:update) create, resize and delete.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { z } from "zod";
import { CrudDialog } from "@/app/_components/crud-dialog";
import { PageHeader } from "@/app/_components/page-header";
import { RequirePermission, useWorkspace } from "@/app/_components/shell";
import { Cell, Rows, Table } from "@/app/_components/table";
import { FormCheckbox, FormField } from "@/app/_components/zod-form";
import { useTRPC } from "@/app/_lib/trpc";
import { MAX_PAGE_SIZE } from "@/server/pagination";
import { ConfigList } from "../_config/config-list";
import { AgentPools, JoinTokenNotice } from "./agent-pools";

interface Pool {
  name: string;
  slots: number;
  admitted: number;
  queued: number;
  description: string;
  workerPool: string;
  agents: boolean;
}

interface WorkerPool {
  name: string;
  workers: number;
  slots: number;
  running: number;
  waiting: boolean;
}

export default function PoolsPage() {
  return (
    <>
      <PageHeader
        title="Pools"
        description={
          <>
            A pool lets at most its <em>slots</em> tasks run at once, across every DAG whose tasks name it (
            <code className="font-mono">pool</code> in the DAG document,{" "}
            <code className="font-mono">default</code> unless set). A pool name with no pool here has no limit
            of its own.
          </>
        }
      />
      <RequirePermission permission="workspace:read">
        <PoolList />
      </RequirePermission>
    </>
  );
}

function PoolList() {
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Slots in use and queued tasks change as runs go; a light refresh keeps them honest.
  const list = useQuery({
    // Pools are few (the plan's maxPools): one page holds them.
    ...trpc.pools.list.queryOptions({ workspace: workspace.slug, limit: MAX_PAGE_SIZE }),
    refetchInterval: 5_000,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.pools.pathKey() });
  const remove = useMutation(trpc.pools.delete.mutationOptions({ onSuccess: refresh }));
  const quota = list.data?.quota;
  // An agent pool's join token, shown once after creating it.
  const [created, setCreated] = useState<{ pool: string; joinToken: string }>();
  return (
    <>
      {quota && list.data && (
        <p className="mb-4 text-sm text-slate-600">
          {list.data.items.length} of {quota.maxPools} pools allowed by this workspace's plan, each with at
          most {quota.maxPoolSlots} slots.
        </p>
      )}
      <ConfigList<Pool>
        noun="pool"
        items={{ data: list.data?.items, error: list.error }}
        nameOf={(pool) => pool.name}
        writePermission="workspace:update"
        readerHint="Admins can add some."
        deleteWarning="Its waiting tasks then run with no pool limit. A pool whose tasks are running cannot be deleted; set its slots to 0 and wait for them."
        columns={[
          { header: "Name", cell: (pool) => pool.name, className: "font-mono text-slate-900" },
          { header: "Slots", cell: (pool) => pool.slots },
          {
            header: "In use",
            cell: (pool) => (
              <span className={pool.admitted >= pool.slots ? "font-medium text-amber-700" : undefined}>
                {pool.admitted} of {pool.slots}
              </span>
            ),
          },
          { header: "Queued tasks", cell: (pool) => pool.queued },
          {
            header: "Runs on",
            cell: (pool) => (pool.agents ? "your agents" : pool.workerPool),
            className: "font-mono text-xs",
          },
          { header: "Description", cell: (pool) => pool.description, className: "max-w-64 text-xs" },
        ]}
        emptyHint="Add one to cap tasks that share something scarce: a database's connections, an API's rate limit."
        onDelete={(pool) => remove.mutateAsync({ workspace: workspace.slug, name: pool.name })}
        dialog={(pool, close) => (
          <PoolDialog
            pool={pool}
            maxSlots={quota?.maxPoolSlots}
            onClose={close}
            onSaved={refresh}
            onJoinToken={(pool, joinToken) => setCreated({ pool, joinToken })}
          />
        )}
      />
      {created && <JoinTokenNotice pool={created.pool} joinToken={created.joinToken} />}
      {list.data && <AgentPools pools={list.data.items.filter((p) => p.agents).map((p) => p.name)} />}
      {list.data && list.data.unlimited.length > 0 && <UnlimitedPools pools={list.data.unlimited} />}
      {/* Agent pools' own worker pools are listed with their agents above. */}
      {list.data && <WorkerPools pools={list.data.workerPools.filter((p) => !p.name.startsWith("agent:"))} />}
    </>
  );
}

/**
 * The worker pools the workspace's tasks run in: `shared` unless the platform's administrators
 * gave it (or one of its pools) a pool of its own. Without a live worker, its tasks wait.
 */
function WorkerPools({ pools }: { pools: WorkerPool[] }) {
  return (
    <div className="mt-8">
      <h2 className="text-sm font-semibold text-slate-900">Worker pools</h2>
      <p className="mt-1 mb-3 text-sm text-slate-600">
        The machines your tasks run on. While other workspaces wait for a pool, each gets a share of its slots
        in proportion to its plan's weight.
      </p>
      <Table
        caption="Worker pools"
        columns={["Worker pool", "Live workers", "Slots", "Your running tasks", "State"]}
      >
        <Rows>
          {pools.map((pool) => (
            <tr key={pool.name}>
              <Cell className="font-mono text-slate-900">{pool.name}</Cell>
              <Cell>{pool.workers}</Cell>
              <Cell>{pool.slots}</Cell>
              <Cell>{pool.running}</Cell>
              <Cell>
                {pool.workers === 0 ? (
                  <span className="font-medium text-red-700">No live worker: its tasks wait</span>
                ) : pool.waiting ? (
                  <span className="font-medium text-amber-700">Busy: tasks wait for a slot</span>
                ) : (
                  "Serving"
                )}
              </Cell>
            </tr>
          ))}
        </Rows>
      </Table>
    </div>
  );
}

/** Pool names tasks use right now that have no pool: nothing but the workspace's quota holds them. */
function UnlimitedPools({ pools }: { pools: { name: string; queued: number; running: number }[] }) {
  return (
    <div className="mt-8">
      <h2 className="text-sm font-semibold text-slate-900">Pool names in use without a pool</h2>
      <p className="mt-1 mb-3 text-sm text-slate-600">
        These tasks are limited only by the workspace's concurrent task quota. Create a pool of the same name
        to limit them.
      </p>
      <Table caption="Pool names in use without a pool" columns={["Name", "Running", "Queued tasks"]}>
        <Rows>
          {pools.map((pool) => (
            <tr key={pool.name}>
              <Cell className="font-mono text-slate-900">{pool.name}</Cell>
              <Cell>{pool.running}</Cell>
              <Cell>{pool.queued}</Cell>
            </tr>
          ))}
        </Rows>
      </Table>
    </div>
  );
}

const poolForm = z.object({
  name: z.string().trim().min(1, "Enter a name"),
  slots: z
    .string()
    .trim()
    .min(1, "Enter a number of slots")
    .pipe(z.coerce.number<string>({ error: "Enter a number of slots" }).int("Slots are a whole number")),
  description: z.string(),
  agents: z.boolean(),
});

function PoolDialog({
  pool,
  maxSlots,
  onClose,
  onSaved,
  onJoinToken,
}: {
  pool: Pool | undefined;
  maxSlots: number | undefined;
  onClose: () => void;
  onSaved: () => Promise<unknown>;
  onJoinToken: (pool: string, joinToken: string) => void;
}) {
  const { slug } = useWorkspace();
  const trpc = useTRPC();
  const create = useMutation(trpc.pools.create.mutationOptions({ onSuccess: onSaved }));
  const update = useMutation(trpc.pools.update.mutationOptions({ onSuccess: onSaved }));
  return (
    <CrudDialog
      title={pool ? `Edit pool ${pool.name}` : "New pool"}
      schema={poolForm}
      defaultValues={{
        name: pool?.name ?? "",
        slots: String(pool?.slots ?? 1),
        description: pool?.description ?? "",
        agents: pool?.agents ?? false,
      }}
      submitLabel={pool ? "Save" : "Create pool"}
      onClose={onClose}
      onSubmit={async ({ agents, ...values }) => {
        const input = { workspace: slug, ...values };
        if (pool) return update.mutateAsync(input);
        const created = await create.mutateAsync({ ...input, agents });
        if (created.joinToken) onJoinToken(created.name, created.joinToken);
        return created;
      }}
    >
      {!pool && (
        <FormField
          label="Name"
          name="name"
          autoComplete="off"
          spellCheck={false}
          className="[&_input]:font-mono"
          hint="What tasks write as their pool: lower-case letters, digits, _ and -, starting with a letter."
        />
      )}
      <FormField
        label="Slots"
        name="slots"
        type="number"
        min={0}
        step={1}
        hint={`Tasks of this pool that may run at once${maxSlots !== undefined ? ` (at most ${maxSlots} on this plan)` : ""}. 0 holds them all; with fewer slots than in use, running tasks still finish.`}
      />
      <FormField label="Description" name="description" />
      {!pool && (
        <FormCheckbox
          label="Agent pool"
          name="agents"
          hint="Its tasks run on your own machines, on agents started with its join token (shown once). Needed for shell and python_script tasks."
        />
      )}
    </CrudDialog>
  );
}
