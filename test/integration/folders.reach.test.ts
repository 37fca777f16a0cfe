// What a DAG reaches: the DAGs it triggers or senses (trigger_dag, external_run_sensor, DAG
// triggers) and the variables its templates read are the workspace root's and its own folder's;
// another folder's answer as unknown ones, through real runs; secrets and connections may name
// the folders allowed to use them, checked at push and at run time (docs/permissions.md).
import type { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { problemsOf } from "@/server/api/trpc";
import { db } from "@/server/db/client";
import { generateKey } from "@/server/secrets/crypto";
import { fireDagTriggers } from "@/server/triggers/dag-triggers";
import { startTestWorker, stopTestWorker, waitForRun } from "../support/engine";
import { codeOf, createUser } from "../support/factories";

type User = Awaited<ReturnType<typeof createUser>>;
let owner: User;
let slug: string;

beforeAll(async () => {
  process.env.BATON_MASTER_KEYS ??= `1:${generateKey()}`;
  await startTestWorker(4);
});
afterAll(() => stopTestWorker());

beforeEach(async () => {
  owner = await createUser("owner");
  slug = owner.workspace.slug;
  await owner.api.folders.create({ workspace: slug, name: "finance" });
  await owner.api.folders.create({ workspace: slug, name: "platform" });
  await push("ledger", "finance");
  await push("ingest", "platform");
  await push("root_job", null);
});

const noop = [{ id: "t", operator: "noop" }];
async function push(id: string, folder: string | null, tasks: unknown[] = noop) {
  await owner.api.dags.push({ workspace: slug, document: { id, tasks }, ...(folder ? { folder } : {}) });
}

/** Runs a DAG to its end; the task `t`'s instance. */
async function run(dagId: string) {
  const { id } = await owner.api.runs.trigger({ workspace: slug, dagId });
  const ended = await waitForRun(id, 60_000);
  return ended.taskInstances.find((ti) => ti.taskId === "t")!;
}

describe("trigger_dag", () => {
  it("starts DAGs at the root or in its own folder; another folder's is unknown to it", async () => {
    const kick = (dagId: string) => [{ id: "t", operator: "trigger_dag", config: { dagId } }];
    await push("fin_to_ledger", "finance", kick("ledger"));
    await push("fin_to_root", "finance", kick("root_job"));
    await push("fin_to_ingest", "finance", kick("ingest"));
    await push("root_to_ledger", null, kick("ledger"));

    expect((await run("fin_to_ledger")).state).toBe("success");
    expect((await run("fin_to_root")).state).toBe("success");
    const refused = await run("fin_to_ingest");
    expect(refused.state).toBe("failed");
    expect(refused.error).toMatch(/Cannot trigger ingest: DAG not found/);
    // The same answer as for a DAG that does not exist, and no run of it was started.
    expect((await run("root_to_ledger")).error).toMatch(/Cannot trigger ledger: DAG not found/);
    const dagRuns = async (key: string) =>
      db.dagRun.count({ where: { workspaceId: owner.workspace.id, dag: { key } } });
    expect(await dagRuns("ingest")).toBe(0);
    expect(await dagRuns("ledger")).toBe(1);
  });
});

describe("external_run_sensor", () => {
  it("waits for DAGs at the root or in its own folder; another folder's is unknown to it", async () => {
    expect((await run("ingest")).state).toBe("success");
    expect((await run("root_job")).state).toBe("success");
    const sense = (dagId: string) => [
      {
        id: "t",
        operator: "external_run_sensor",
        config: { dagId, match: "latest", pokeIntervalSeconds: 1, timeoutSeconds: 30 },
      },
    ];
    await push("fin_senses_root", "finance", sense("root_job"));
    await push("fin_senses_ingest", "finance", sense("ingest"));
    expect((await run("fin_senses_root")).state).toBe("success");
    const refused = await run("fin_senses_ingest");
    expect(refused.state).toBe("failed");
    expect(refused.error).toMatch(/DAG "ingest" does not exist in this workspace/);
  });
});

describe("DAG triggers", () => {
  it("are refused across folders when made, and fail as unknown when a move takes the upstream away", async () => {
    const refused = owner.api.dagTriggers.create({
      workspace: slug,
      dagId: "ledger",
      upstreamDagId: "ingest",
    });
    expect(await codeOf(refused)).toBe("UNPROCESSABLE_CONTENT");
    await expect(refused).rejects.toThrow(/ledger does not reach ingest/);

    const trigger = await owner.api.dagTriggers.create({
      workspace: slug,
      dagId: "ledger",
      upstreamDagId: "root_job",
    });
    const fire = async () => {
      const { id } = await owner.api.runs.trigger({ workspace: slug, dagId: "root_job" });
      await waitForRun(id, 60_000);
      return fireDagTriggers({ runId: id, workspaceId: owner.workspace.id, state: "success" });
    };
    const [fired] = await fire();
    expect(fired?.runId).toBeDefined();

    // The upstream DAG moves into another folder: the trigger no longer reaches it.
    await owner.api.folders.moveDag({ workspace: slug, dagId: "root_job", folder: "platform" });
    const [failed] = await fire();
    expect(failed).toEqual({ triggerId: trigger.id, error: "Upstream DAG not found" });
    const listed = await owner.api.dagTriggers.list({ workspace: slug, dagId: "ledger" });
    expect(listed.items[0]?.lastError).toBe("Upstream DAG not found");
  });
});

describe("variables", () => {
  it("serve the DAGs of their folder, and root variables every DAG", async () => {
    await owner.api.variables.create({ workspace: slug, key: "fx_source", value: "ecb", folder: "finance" });
    await owner.api.variables.create({ workspace: slug, key: "region", value: "eu" });
    const uses = (key: string) => [{ id: "t", operator: "test", config: { output: `{{ vars.${key} }}` } }];
    await push("fin_reads", "finance", uses("fx_source"));
    await push("plat_reads_root", "platform", uses("region"));
    // Another folder's variable is unknown at push…
    expect(await codeOf(push("plat_reads", "platform", uses("fx_source")))).toBe("UNPROCESSABLE_CONTENT");
    expect(await codeOf(push("root_reads", null, uses("fx_source")))).toBe("UNPROCESSABLE_CONTENT");

    const read = await run("fin_reads");
    expect([read.state, read.output]).toEqual(["success", "ecb"]);
    // …and at run time, when the DAG moved out of the variable's folder.
    await owner.api.folders.moveDag({ workspace: slug, dagId: "fin_reads", folder: "platform" });
    const refused = await run("fin_reads");
    expect(refused.state).toBe("failed");
    expect(refused.error).toMatch(/fx_source/);
    expect((await run("plat_reads_root")).output).toBe("eu");
  });
});

describe("connections", () => {
  it("kept in a folder are unknown to another folder's tasks that name them", async () => {
    await owner.api.connections.create({
      workspace: slug,
      name: "ledger_api",
      type: "http",
      config: { baseUrl: "https://ledger.invalid", authHeaderValue: "fin-credential" },
      folder: "finance",
    });
    const call = [{ id: "t", operator: "http", config: { url: "/accounts", connection: "ledger_api" } }];
    expect(await codeOf(push("plat_calls", "platform", call))).toBe("UNPROCESSABLE_CONTENT");
    // Pushed where it may use it, then moved away: unknown at run time.
    await push("plat_calls", "finance", call);
    await owner.api.folders.moveDag({ workspace: slug, dagId: "plat_calls", folder: "platform" });
    const refused = await run("plat_calls");
    expect(refused.state).toBe("failed");
    expect(refused.error).toMatch(/Connection "ledger_api" does not exist in this workspace/);
    expect(refused.attempts).toHaveLength(1);
  });
});

describe("allowed folders of secrets and connections", () => {
  it("are checked at push, naming the task field and the secret, and again at run time", async () => {
    const output = (secret: string) => [
      { id: "t", operator: "test", config: { output: `{{ secrets.${secret} }}` } },
    ];
    // A root secret for the finance DAGs only; a finance secret shared with platform.
    const prod = await owner.api.secrets.create({
      workspace: slug,
      name: "PROD",
      value: "prod-value",
      allowedFolders: ["finance"],
    });
    expect(prod.allowedFolders).toEqual(["finance"]);
    await owner.api.secrets.create({
      workspace: slug,
      name: "FIN",
      value: "fin-value",
      folder: "finance",
      allowedFolders: ["platform"],
    });
    expect(
      await codeOf(
        owner.api.secrets.create({ workspace: slug, name: "X", value: "x", allowedFolders: ["nope"] }),
      ),
    ).toBe("NOT_FOUND");

    const refusedPush = async (document: unknown, folder?: string) => {
      try {
        await owner.api.dags.push({ workspace: slug, document, ...(folder ? { folder } : {}) });
        return [];
      } catch (error) {
        return problemsOf(error as TRPCError);
      }
    };
    expect(await refusedPush({ id: "plat_prod", tasks: output("PROD") }, "platform")).toEqual([
      {
        path: "tasks[0].config.output",
        message: `{{ secrets.PROD }}: secret "PROD" may not be used by this DAG's folder (see the secret's allowed folders)`,
      },
    ]);
    expect(await refusedPush({ id: "root_prod", tasks: output("PROD") })).toHaveLength(1);
    await owner.api.connections.create({
      workspace: slug,
      name: "prod_api",
      type: "http",
      config: { baseUrl: "https://prod.invalid" },
      allowedFolders: ["finance"],
    });
    const call = [{ id: "t", operator: "http", config: { url: "/x", connection: "prod_api" } }];
    expect(await refusedPush({ id: "plat_call", tasks: call }, "platform")).toEqual([
      {
        path: "tasks[0].config.connection",
        message: `connection "prod_api" may not be used by this DAG's folder (see the connection's allowed folders)`,
      },
    ]);

    await push("fin_prod", "finance", output("PROD"));
    await push("plat_fin", "platform", output("FIN"));
    // (Outputs holding a secret's value are masked.)
    expect((await run("fin_prod")).state).toBe("success");
    expect((await run("plat_fin")).state).toBe("success");

    // Taken back after the push: the run fails, naming the secret.
    const updated = await owner.api.secrets.update({ workspace: slug, name: "FIN", allowedFolders: [] });
    expect(updated.allowedFolders).toEqual([]);
    const refused = await run("plat_fin");
    expect(refused.state).toBe("failed");
    expect(refused.error).toMatch(/FIN/);
  });
});
