// Lineage over REST, on a chain of three DAGs that really ran: ingest → transform by a DAG trigger,
// transform → publish by a trigger_dag task, and publish's sensor waiting for transform. Each edge
// carries the runs of its last event; a DAG's upstream and downstream lists; a link to a DAG that
// does not exist shows a missing node.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unwrap } from "@/server/client";
import { pushDag } from "@/server/dags/service";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { openWorkspace, type WorkspaceScope } from "@/server/tenancy/door";
import { createToken } from "@/server/tokens/service";
import { createDagTrigger } from "@/server/triggers/dag-triggers";
import { startTestWorker, stopTestWorker, waitForRun } from "../support/engine";
import { createUser } from "../support/factories";
import { restClient } from "../support/rest";
import { until } from "../support/until";

let owner: Awaited<ReturnType<typeof createUser>>;
let scope: WorkspaceScope;
const runs: Record<string, string> = {};

beforeAll(async () => {
  owner = await createUser("lineage");
  await db.workspace.update({ where: { id: owner.workspace.id }, data: { maxConcurrentTasks: 20 } });
  scope = await openWorkspace(owner.caller, owner.workspace.slug, "tokens:manage");
  await pushDag(scope, { document: { id: "ingest", tasks: [{ id: "load", operator: "noop" }] } });
  await pushDag(scope, {
    document: {
      id: "transform",
      tasks: [
        { id: "work", operator: "noop" },
        { id: "kick", operator: "trigger_dag", dependsOn: ["work"], config: { dagId: "publish" } },
      ],
    },
  });
  await pushDag(scope, {
    document: {
      id: "publish",
      tasks: [
        {
          id: "wait_transform",
          operator: "external_run_sensor",
          config: { dagId: "transform", match: "latest", state: "success", pokeIntervalSeconds: 1 },
        },
        { id: "send", operator: "noop", dependsOn: ["wait_transform"] },
      ],
    },
  });
  await pushDag(scope, { document: { id: "alone", tasks: [{ id: "t", operator: "noop" }] } });
  // Names a DAG nobody made yet (never run).
  await pushDag(scope, {
    document: {
      id: "orphan",
      tasks: [{ id: "archive", operator: "trigger_dag", config: { dagId: "archive" } }],
    },
  });
  await createDagTrigger(scope, { dagId: "transform", upstreamDagId: "ingest", on: ["success"] });
  await startTestWorker(4);

  runs.ingest = (await triggerRun(scope, { dagKey: "ingest" })).id;
  await waitForRun(runs.ingest);
  const started = (key: string) =>
    until(
      `a run of ${key}`,
      async () => (await db.dagRun.findFirst({ where: { dag: { key } }, select: { id: true } }))?.id,
    );
  runs.transform = await started("transform");
  runs.publish = await started("publish");
  for (const id of [runs.transform, runs.publish]) await waitForRun(id, 30_000);
});
afterAll(() => stopTestWorker());

describe("lineage", () => {
  it("answers the edges of the chain, each with its last event", async () => {
    const { token } = await createToken(scope, { name: "lineage", role: "VIEWER" });
    const graph = await unwrap(restClient(token).GET("/lineage"));
    const edges = graph.edges
      .map(({ id: _, ...edge }) => edge)
      .sort((a, b) => `${a.kind} ${a.from}`.localeCompare(`${b.kind} ${b.from}`));
    expect(edges).toEqual([
      {
        kind: "dag_trigger",
        from: "ingest",
        to: "transform",
        taskId: null,
        on: ["success"],
        enabled: true,
        pending: null,
        lastEvent: {
          at: expect.any(String),
          upstreamRunId: runs.ingest,
          downstreamRunId: runs.transform,
          state: "success",
          error: null,
        },
      },
      {
        kind: "sensor",
        from: "transform",
        to: "publish",
        taskId: "wait_transform",
        on: ["success"],
        enabled: true,
        pending: null,
        lastEvent: {
          at: expect.any(String),
          upstreamRunId: runs.transform,
          downstreamRunId: runs.publish,
          state: "success",
          error: null,
        },
      },
      {
        kind: "trigger_dag",
        from: "orphan",
        to: "archive",
        taskId: "archive",
        on: [],
        enabled: true,
        pending: null,
        lastEvent: null,
      },
      {
        kind: "trigger_dag",
        from: "transform",
        to: "publish",
        taskId: "kick",
        on: [],
        enabled: true,
        pending: null,
        lastEvent: {
          at: expect.any(String),
          upstreamRunId: runs.transform,
          downstreamRunId: runs.publish,
          state: "success",
          error: null,
        },
      },
    ]);
    expect(graph.nodes.map((n) => [n.dagId, n.missing, n.lastRun?.id ?? null])).toEqual([
      ["archive", true, null],
      ["ingest", false, runs.ingest],
      ["orphan", false, null],
      ["publish", false, runs.publish],
      ["transform", false, runs.transform],
    ]);
    expect(graph.unlinked).toBe(1);
  });

  it("lists a DAG's upstream and downstream links", async () => {
    const { token } = await createToken(scope, { name: "lineage-dag", role: "VIEWER" });
    const api = restClient(token);
    const transform = await unwrap(
      api.GET("/dags/{dagId}/lineage", { params: { path: { dagId: "transform" } } }),
    );
    expect(transform.upstream.map((e) => [e.kind, e.from])).toEqual([["dag_trigger", "ingest"]]);
    expect(transform.downstream.map((e) => [e.kind, e.to, e.taskId]).sort()).toEqual([
      ["sensor", "publish", "wait_transform"],
      ["trigger_dag", "publish", "kick"],
    ]);
    const alone = await unwrap(api.GET("/dags/{dagId}/lineage", { params: { path: { dagId: "alone" } } }));
    expect(alone).toEqual({ dagId: "alone", upstream: [], downstream: [] });
    expect(
      (await api.GET("/dags/{dagId}/lineage", { params: { path: { dagId: "nope" } } })).response.status,
    ).toBe(404);
  });
});
