// Runs on another DAG's outcome, on a real worker: the upstream run's outputs become the
// downstream run's params; failure triggers; exactly once per outcome; mapping errors recorded on
// the trigger; no cycles; the engine enqueues the job only when someone listens; REST.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DagDocument } from "@/server/dags/definition";
import { pushDag } from "@/server/dags/service";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { transaction } from "@/server/engine/sql";
import { openWorkspace, type WorkspaceScope } from "@/server/tenancy/door";
import { createToken } from "@/server/tokens/service";
import { createDagTrigger, fireDagTriggers, updateDagTrigger } from "@/server/triggers/dag-triggers";
import { enqueueDagOutcome } from "@/server/triggers/jobs";
import { startTestWorker, stopTestWorker, waitForRun } from "../support/engine";
import { createUser } from "../support/factories";
import { jsonCaller } from "../support/rest";

let owner: Awaited<ReturnType<typeof createUser>>;
let scope: WorkspaceScope;

beforeAll(async () => {
  owner = await createUser("outcomes");
  await db.workspace.update({ where: { id: owner.workspace.id }, data: { maxConcurrentTasks: 50 } });
  scope = await openWorkspace(owner.caller, owner.workspace.slug, "tokens:manage");
  await push({
    id: "extract",
    params: { fail: { type: "boolean", default: false } },
    tasks: [
      { id: "count", operator: "test", config: { output: { rows: 42, table: "orders" } } },
      {
        id: "check",
        operator: "branch",
        dependsOn: ["count"],
        config: { rules: [{ when: "{{ params.fail }}", then: ["boom"] }], default: ["fine"] },
      },
      { id: "boom", operator: "test", dependsOn: ["check"], config: { outcome: "fail" } },
      { id: "fine", operator: "noop", dependsOn: ["check"] },
    ],
  });
  await push({
    id: "report",
    params: {
      rows: { type: "integer", required: true },
      table: { type: "string", default: "?" },
      source_run: { type: "string", default: "" },
      outcome: { type: "string", default: "" },
    },
    tasks: [{ id: "show", operator: "test", config: { output: "{{ params.table }}: {{ params.rows }}" } }],
  });
  await push({
    id: "cleanup",
    params: { failed_run: { type: "string", required: true } },
    tasks: [{ id: "t", operator: "noop" }],
  });
  await startTestWorker(8);
});
afterAll(() => stopTestWorker());

async function push(document: DagDocument) {
  await pushDag(scope, { document });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runsTriggeredBy(key: string, upstreamRunId: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = await db.dagRun.findMany({
      where: {
        workspaceId: owner.workspace.id,
        dag: { key },
        runKey: { startsWith: `dag__${upstreamRunId}` },
      },
    });
    if (runs.length > 0 || Date.now() > deadline) return runs;
    await sleep(50);
  }
}

describe("a DAG run on another DAG's outcome", () => {
  it("success: the downstream run gets the upstream outputs as params", async () => {
    const trigger = await createDagTrigger(scope, {
      dagId: "report",
      upstreamDagId: "extract",
      on: ["success"],
      paramMapping: {
        rows: "/outputs/count/rows",
        table: "/outputs/count/table",
        source_run: "/runId",
        outcome: "/state",
      },
    });
    expect(trigger).toMatchObject({
      dagId: "report",
      upstreamDagId: "extract",
      on: ["success"],
      enabled: true,
    });
    const upstream = await triggerRun(scope, { dagKey: "extract" });
    expect((await waitForRun(upstream.id)).state).toBe("success");
    const [downstream] = await runsTriggeredBy("report", upstream.id);
    expect(downstream).toMatchObject({
      triggeredBy: "dag",
      triggeredByLabel: "dag extract",
      runKey: `dag__${upstream.id}__success`,
      params: { rows: 42, table: "orders", source_run: upstream.id, outcome: "success" },
    });
    const done = await waitForRun(downstream!.id);
    expect(done.taskInstances[0]!.output).toBe("orders: 42");
    const after = await db.dagTrigger.findUniqueOrThrow({ where: { id: trigger.id } });
    expect(after).toMatchObject({ lastRunId: downstream!.id, lastError: null });

    // The job again (a retry): still one downstream run.
    await fireDagTriggers({ runId: upstream.id, workspaceId: owner.workspace.id, state: "success" });
    expect(await runsTriggeredBy("report", upstream.id)).toHaveLength(1);
  });

  it("failed: a failure trigger fires, the success one does not", async () => {
    await createDagTrigger(scope, {
      dagId: "cleanup",
      upstreamDagId: "extract",
      on: ["failed"],
      paramMapping: { failed_run: "/runId" },
    });
    const upstream = await triggerRun(scope, { dagKey: "extract", params: { fail: true } });
    expect((await waitForRun(upstream.id)).state).toBe("failed");
    const [cleanup] = await runsTriggeredBy("cleanup", upstream.id);
    expect(cleanup).toMatchObject({
      params: { failed_run: upstream.id },
      runKey: `dag__${upstream.id}__failed`,
    });
    expect(await runsTriggeredBy("report", upstream.id, 1000)).toHaveLength(0);
  });

  it("a mapping the downstream params refuse is recorded on the trigger, and starts nothing", async () => {
    await push({
      id: "strict",
      params: { rows: { type: "string", required: true } },
      tasks: [{ id: "t", operator: "noop" }],
    });
    const trigger = await createDagTrigger(scope, {
      dagId: "strict",
      upstreamDagId: "extract",
      paramMapping: { rows: "/outputs/count/rows" },
    });
    const upstream = await triggerRun(scope, { dagKey: "extract" });
    await waitForRun(upstream.id);
    let lastError: string | null = null;
    for (let i = 0; i < 100 && !lastError; i++) {
      await sleep(50);
      lastError = (await db.dagTrigger.findUniqueOrThrow({ where: { id: trigger.id } })).lastError;
    }
    expect(lastError).toMatch(/params\.rows: .*mapped from "\/outputs\/count\/rows"/);
    expect(await runsTriggeredBy("strict", upstream.id, 500)).toHaveLength(0);
    await updateDagTrigger(scope, { dagId: "strict", triggerId: trigger.id, enabled: false });
  });

  it("refuses a trigger on itself, a cycle, a duplicate and unknown params", async () => {
    await expect(
      createDagTrigger(scope, { dagId: "report", upstreamDagId: "report", on: ["success"] }),
    ).rejects.toMatchObject({ code: "UNPROCESSABLE_CONTENT" });
    // extract → report exists; report → extract would close a cycle.
    await expect(
      createDagTrigger(scope, { dagId: "extract", upstreamDagId: "report", on: ["success"] }),
    ).rejects.toMatchObject({ code: "UNPROCESSABLE_CONTENT", problems: [{ path: "upstreamDagId" }] });
    await expect(
      createDagTrigger(scope, { dagId: "report", upstreamDagId: "extract", on: ["failed"] }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(
      createDagTrigger(scope, {
        dagId: "cleanup",
        upstreamDagId: "report",
        on: ["success"],
        paramMapping: { nope: "/x" },
      }),
    ).rejects.toMatchObject({ problems: [{ path: "paramMapping.nope" }] });
  });

  it("the engine enqueues the outcome job only when an enabled trigger listens", async () => {
    const extract = await db.dag.findFirstOrThrow({
      where: { workspaceId: owner.workspace.id, key: "extract" },
    });
    const cleanup = await db.dag.findFirstOrThrow({
      where: { workspaceId: owner.workspace.id, key: "cleanup" },
    });
    /** Jobs the hook adds, counted inside a transaction that is then rolled back. */
    const count = async (state: string, dagId: string) => {
      let n = -1;
      const rollback = new Error("rollback");
      await transaction(async (tx) => {
        const run = { id: "00000000-0000-4000-8000-000000000001", workspaceId: owner.workspace.id, dagId };
        await enqueueDagOutcome(tx, run, state);
        const { rows } = await tx.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
           WHERE t.identifier = 'triggers:dag-outcome' AND j.payload->>'runId' = $1`,
          [run.id],
        );
        n = rows[0]!.n;
        throw rollback;
      }).catch((error) => {
        if (error !== rollback) throw error;
      });
      return n;
    };
    expect(await count("success", extract.id)).toBe(1);
    expect(await count("failed", extract.id)).toBe(1);
    expect(await count("cancelled", extract.id)).toBe(0);
    expect(await count("success", cleanup.id)).toBe(0); // nobody listens to cleanup
  });

  it("is managed over REST", async () => {
    const token = (await createToken(scope, { name: "ops", role: "EDITOR" })).token;
    const call = jsonCaller(token);
    await push({ id: "archive_copy", tasks: [{ id: "t", operator: "noop" }] });
    const created = await call("POST", "/dags/archive_copy/triggers", {
      upstreamDagId: "report",
      on: ["success", "failed"],
    });
    expect(created).toMatchObject({
      status: 201,
      body: { upstreamDagId: "report", on: ["success", "failed"] },
    });
    const listed = await call("GET", "/dags/report/triggers");
    expect(listed.body.items.map((t: { dagId: string }) => t.dagId)).toEqual(
      expect.arrayContaining(["report", "archive_copy"]),
    );
    const id = created.body.id as string;
    expect((await call("PATCH", `/dags/archive_copy/triggers/${id}`, { enabled: false })).body.enabled).toBe(
      false,
    );
    expect((await call("DELETE", `/dags/archive_copy/triggers/${id}`)).status).toBe(204);
    expect((await call("DELETE", `/dags/archive_copy/triggers/${id}`)).status).toBe(404);
  });
});

describe("trigger conditions (Airflow's asset conditions)", () => {
  const pendingOf = async (dagId: string) =>
    (await db.dagTrigger.findMany({ where: { workspaceId: owner.workspace.id, dag: { key: dagId } } }))
      .filter((t) => t.pendingRunId !== null)
      .map((t) => t.pendingRunId);
  const runsOf = (dagId: string) =>
    db.dagRun.findMany({ where: { workspaceId: owner.workspace.id, dag: { key: dagId } } });

  beforeAll(async () => {
    await Promise.all(
      ["produce_1", "produce_2", "produce_3"].map((id) =>
        push({ id, tasks: [{ id: "t", operator: "noop" }] }),
      ),
    );
  });

  async function produced(dagId: string) {
    const run = await triggerRun(scope, { dagKey: dagId });
    expect((await waitForRun(run.id)).state).toBe("success");
    return run.id;
  }

  it("by default a DAG with two triggers waits for both (consume_1_and_2), then waits afresh", async () => {
    await push({ id: "consume_1_and_2", tasks: [{ id: "t", operator: "noop" }] });
    for (const upstream of ["produce_1", "produce_2"])
      await createDagTrigger(scope, { dagId: "consume_1_and_2", upstreamDagId: upstream });

    const first = await produced("produce_1");
    await expect.poll(() => pendingOf("consume_1_and_2"), { timeout: 20_000 }).toEqual([first]);
    expect(await runsOf("consume_1_and_2")).toHaveLength(0);
    // The DAG page's upstream links show which trigger waits.
    const links = await owner.api.lineage.dag({ workspace: owner.workspace.slug, dagId: "consume_1_and_2" });
    expect(links.upstream.map((edge) => [edge.from, edge.pending?.upstreamRunId ?? null])).toEqual([
      ["produce_1", first],
      ["produce_2", null],
    ]);
    // The same producer again is still one of the two.
    await produced("produce_1");
    await expect.poll(async () => (await pendingOf("consume_1_and_2")).length, { timeout: 20_000 }).toBe(1);
    expect(await runsOf("consume_1_and_2")).toHaveLength(0);

    const second = await produced("produce_2");
    const [run] = await runsTriggeredBy("consume_1_and_2", second, 20_000);
    expect(run).toBeDefined();
    expect(await pendingOf("consume_1_and_2")).toEqual([]);
    // Consumed: one more event of either is not enough.
    const again = await produced("produce_2");
    await expect.poll(() => pendingOf("consume_1_and_2"), { timeout: 20_000 }).toEqual([again]);
    expect(await runsOf("consume_1_and_2")).toHaveLength(1);
  });

  it("triggerCondition combines any and all; with a schedule, runs come from both", async () => {
    await push({
      id: "either",
      schedule: { type: "cron", cron: "0 4 * * *", timezone: "UTC" },
      triggerCondition: { any: ["produce_3", { all: ["produce_1", "produce_2"] }] },
      tasks: [{ id: "t", operator: "noop" }],
    });
    for (const upstream of ["produce_1", "produce_2", "produce_3"])
      await createDagTrigger(scope, { dagId: "either", upstreamDagId: upstream });
    const three = await produced("produce_3");
    expect(await runsTriggeredBy("either", three, 20_000)).toHaveLength(1);
    const one = await produced("produce_1");
    await expect.poll(() => pendingOf("either"), { timeout: 20_000 }).toEqual([one]);
    const two = await produced("produce_2");
    expect(await runsTriggeredBy("either", two, 20_000)).toHaveLength(1);
    // The schedule stays: the DAG still has its next scheduled run.
    const dag = await db.dag.findFirstOrThrow({ where: { workspaceId: owner.workspace.id, key: "either" } });
    expect(dag.nextRunAt).not.toBeNull();
  });

  it("refuses a condition that is not DAG ids, all and any", async () => {
    await expect(
      pushDag(scope, {
        document: {
          id: "bad_condition",
          triggerCondition: { both: ["a"] },
          tasks: [{ id: "t", operator: "noop" }],
        },
      }),
    ).rejects.toMatchObject({ code: "UNPROCESSABLE_CONTENT" });
  });
});
