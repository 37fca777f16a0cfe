// DAG documents as stored: pushes make immutable versions, identical pushes store nothing, diffs
// and restores work on versions, pause and archive change what runs and what is listed, invalid
// documents come back with every problem and its path, and every example of docs/dag-format.md
// is pushed and read back as it validated.
import { readFileSync } from "node:fs";
import type { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, it } from "vitest";
import { parseDagText } from "@/server/dags/serialize";
import { analyzeDagById, pushDag } from "@/server/dags/service";
import { validateDag } from "@/server/dags/validate";
import { db } from "@/server/db/client";
import type { Problem } from "@/server/errors";
import { openWorkspace, systemScope } from "@/server/tenancy/door";
import { apiAs, codeOf, createUser } from "../support/factories";

let owner: Awaited<ReturnType<typeof createUser>>;
let ws: string;

beforeAll(async () => {
  owner = await createUser("dags");
  ws = owner.workspace.slug;
});

/** A small valid document: extract → transform → load, with optional changes. */
function pipeline(id = "etl", changes: Record<string, unknown> = {}) {
  return {
    id,
    title: "ETL",
    tags: ["nightly"],
    schedule: { type: "cron", cron: "0 2 * * *", timezone: "Europe/Paris" },
    tasks: [
      { id: "extract", operator: "http", config: { url: "https://example.com/data" } },
      { id: "transform", operator: "noop", dependsOn: ["extract"] },
      { id: "load", operator: "noop", dependsOn: ["transform"] },
    ],
    ...changes,
  };
}

/** The problems an UNPROCESSABLE_CONTENT rejection carries. */
async function problemsOf(promise: Promise<unknown>): Promise<{ code: string; problems: Problem[] }> {
  try {
    await promise;
  } catch (error) {
    const cause = (error as TRPCError).cause as { problems?: Problem[] } | undefined;
    return { code: (error as TRPCError).code, problems: cause?.problems ?? [] };
  }
  throw new Error("expected a rejection");
}

describe("pushing", () => {
  it("creates the DAG with version 1 and copies its listing fields", async () => {
    const pushed = await owner.api.dags.push({ workspace: ws, document: pipeline(), message: "first" });
    expect(pushed).toMatchObject({ dagId: "etl", version: 1, created: true, unchanged: false });

    const dag = await owner.api.dags.get({ workspace: ws, dagId: "etl" });
    expect(dag).toMatchObject({
      dagId: "etl",
      title: "ETL",
      tags: ["nightly"],
      paused: false,
      archived: false,
      currentVersion: 1,
      schedule: { type: "cron", cron: "0 2 * * *", timezone: "Europe/Paris" },
      version: { number: 1, message: "first", authorLabel: owner.email, current: true },
    });
    const validated = validateDag(pipeline());
    expect(validated.ok && dag.document).toEqual(validated.ok && JSON.parse(JSON.stringify(validated.dag)));
    expect(dag.analysis.levels).toEqual([["extract"], ["transform"], ["load"]]);
    expect(dag.analysis.criticalPath).toEqual(["extract", "transform", "load"]);
  });

  it("stores a new version on change, and nothing when the document is unchanged", async () => {
    const changed = pipeline("etl", { title: "ETL v2" });
    const second = await owner.api.dags.push({ workspace: ws, document: changed, message: "retitle" });
    expect(second).toMatchObject({ version: 2, created: false, unchanged: false });

    // The same document with its keys in another order and defaults spelled out is the same version.
    const reordered = Object.fromEntries(Object.entries(changed).reverse());
    const again = await owner.api.dags.push({
      workspace: ws,
      document: { ...reordered, catchup: false, maxActiveRuns: 16 },
    });
    expect(again).toMatchObject({ version: 2, unchanged: true, hash: second.hash });

    const { items: versions } = await owner.api.dags.versions({ workspace: ws, dagId: "etl" });
    expect(versions.map((v) => [v.number, v.message, v.current])).toEqual([
      [2, "retitle", true],
      [1, "first", false],
    ]);
    const { items: listed } = await owner.api.dags.list({ workspace: ws });
    expect(listed.find((d) => d.dagId === "etl")).toMatchObject({ title: "ETL v2", currentVersion: 2 });
  });

  it("accepts YAML text and refuses a document whose id is not the one it is saved as", async () => {
    const yaml = "id: from_yaml\ntasks:\n  - id: only\n    operator: noop\n";
    expect(await owner.api.dags.push({ workspace: ws, document: yaml })).toMatchObject({
      dagId: "from_yaml",
      version: 1,
    });
    const mismatch = await problemsOf(owner.api.dags.push({ workspace: ws, document: yaml, dagId: "other" }));
    expect(mismatch.code).toBe("UNPROCESSABLE_CONTENT");
    expect(mismatch.problems).toEqual([{ path: "id", message: expect.stringContaining('"other"') }]);
  });

  it("numbers concurrent pushes without gaps or duplicates", async () => {
    const pushes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        owner.api.dags.push({ workspace: ws, document: pipeline("busy", { title: `take ${i}` }) }),
      ),
    );
    expect(pushes.map((p) => p.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(pushes.filter((p) => p.created)).toHaveLength(1);
    const dag = await owner.api.dags.get({ workspace: ws, dagId: "busy" });
    expect(dag.currentVersion).toBe(6);
  });

  it("keeps DAGs of the same id in two workspaces apart", async () => {
    const other = await createUser("other");
    await other.api.dags.push({
      workspace: other.workspace.slug,
      document: pipeline("etl", { title: "Theirs" }),
    });
    const mine = await owner.api.dags.get({ workspace: ws, dagId: "etl" });
    const theirs = await other.api.dags.get({ workspace: other.workspace.slug, dagId: "etl" });
    expect([mine.title, mine.currentVersion]).toEqual(["ETL v2", 2]);
    expect([theirs.title, theirs.currentVersion]).toEqual(["Theirs", 1]);
    const rows = await db.dagVersion.findMany({
      where: { dag: { key: "etl" } },
      select: { workspaceId: true },
    });
    expect(new Set(rows.map((r) => r.workspaceId))).toEqual(
      new Set([owner.workspace.id, other.workspace.id]),
    );
  });

  it("can be called by background jobs and the CLI with a system scope", async () => {
    const scope = await systemScope(owner.workspace.id);
    const pushed = await pushDag(scope, { document: pipeline("from_cli"), message: "deployed by CI" });
    expect(pushed).toMatchObject({ version: 1, created: true });
    const version = await owner.api.dags.version({ workspace: ws, dagId: "from_cli", number: 1 });
    expect(version).toMatchObject({ authorLabel: "system", message: "deployed by CI" });
  });
});

describe("invalid documents", () => {
  it("answer UNPROCESSABLE_CONTENT with every problem and its path, and store nothing", async () => {
    const before = await db.dagVersion.count();
    const broken = {
      id: "broken",
      schedule: { type: "cron", cron: "not a cron", timezone: "Mars/Olympus" },
      tasks: [
        { id: "a", operator: "noop", dependsOn: ["c"] },
        { id: "b", operator: "noop", dependsOn: ["a", "ghost"] },
        { id: "c", operator: "noop", dependsOn: ["b"] },
        { id: "c", operator: "teleport" },
        { id: "d", operator: "test", config: { output: "{{ vars.missing }} {{ params.nope }}" } },
      ],
    };
    const { code, problems } = await problemsOf(owner.api.dags.push({ workspace: ws, document: broken }));
    expect(code).toBe("UNPROCESSABLE_CONTENT");
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "schedule.cron",
        "schedule.timezone",
        "tasks[1].dependsOn[1]",
        "tasks[3].id",
        "tasks[3].operator",
        "tasks[4].config.output",
      ]),
    );
    expect(problems.find((p) => p.message.startsWith("cycle:"))?.message).toMatch(
      /^cycle: (a → b → c → a|b → c → a → b|c → a → b → c)$/,
    );
    expect(problems.some((p) => p.message.includes('unknown variable "missing"'))).toBe(true);
    expect(problems.some((p) => p.message.includes('unknown param "nope"'))).toBe(true);
    expect(await db.dagVersion.count()).toBe(before);
    expect(await codeOf(owner.api.dags.get({ workspace: ws, dagId: "broken" }))).toBe("NOT_FOUND");
  });

  it("reports YAML syntax errors with their line", async () => {
    const { code, problems } = await problemsOf(
      owner.api.dags.push({ workspace: ws, document: "id: x\ntasks: [\n", format: "yaml" }),
    );
    expect(code).toBe("UNPROCESSABLE_CONTENT");
    expect(problems[0]).toMatchObject({
      path: "",
      message: expect.stringMatching(/YAML syntax error at line/),
    });
  });

  it("accept variables once they exist in the workspace", async () => {
    const document = {
      id: "uses_vars",
      tasks: [{ id: "t", operator: "test", config: { output: "{{ vars.region }}" } }],
    };
    const check = await owner.api.dags.validate({ workspace: ws, document });
    expect(check.ok).toBe(false);
    expect(check.problems).toEqual([
      { path: "tasks[0].config.output", message: expect.stringContaining("region") },
    ]);
    await owner.api.variables.create({ workspace: ws, key: "region", value: "eu" });
    const ok = await owner.api.dags.validate({ workspace: ws, document });
    expect(ok).toMatchObject({ ok: true, problems: [], analysis: { maxWidth: 1, criticalPath: ["t"] } });
    expect(await owner.api.dags.push({ workspace: ws, document })).toMatchObject({ version: 1 });
  });
});

describe("versions", () => {
  it("diff two versions: tasks added, removed, changed (with fields) and DAG fields", async () => {
    const v1 = pipeline("diffed");
    const v2 = pipeline("diffed", {
      title: "Diffed",
      tasks: [
        { id: "extract", operator: "http", retries: 3, config: { url: "https://example.com/data" } },
        { id: "transform", operator: "noop", dependsOn: ["extract"] },
        { id: "publish", operator: "noop", dependsOn: ["transform"] },
      ],
    });
    await owner.api.dags.push({ workspace: ws, document: v1 });
    await owner.api.dags.push({ workspace: ws, document: v2 });
    const diff = await owner.api.dags.diff({ workspace: ws, dagId: "diffed", from: 1, to: 2 });
    expect(diff).toMatchObject({
      dagId: "diffed",
      from: 1,
      to: 2,
      added: ["publish"],
      removed: ["load"],
      changed: [{ taskId: "extract", fields: ["retries"] }],
      dagFields: ["title"],
    });
    expect(await codeOf(owner.api.dags.diff({ workspace: ws, dagId: "diffed", from: 1, to: 9 }))).toBe(
      "NOT_FOUND",
    );
  });

  it("restore an old version as a new one, leaving history as it was", async () => {
    const restored = await owner.api.dags.restore({ workspace: ws, dagId: "diffed", number: 1 });
    expect(restored).toMatchObject({ version: 3, restoredFrom: 1, unchanged: false });
    const [one, three] = await Promise.all([
      owner.api.dags.version({ workspace: ws, dagId: "diffed", number: 1 }),
      owner.api.dags.version({ workspace: ws, dagId: "diffed", number: 3 }),
    ]);
    expect(three.document).toEqual(one.document);
    expect(three).toMatchObject({ message: "Restore version 1", current: true, hash: one.hash });
    const two = await owner.api.dags.version({ workspace: ws, dagId: "diffed", number: 2 });
    expect(two.document.title).toBe("Diffed");
    // Restoring what is current stores nothing.
    const again = await owner.api.dags.restore({ workspace: ws, dagId: "diffed", number: 3 });
    expect(again).toMatchObject({ version: 3, unchanged: true });
  });

  it("are immutable: old versions keep their documents and hashes", async () => {
    const stored = await db.dagVersion.findMany({
      where: { workspaceId: owner.workspace.id, dag: { key: "diffed" } },
      orderBy: { number: "asc" },
      select: { number: true, hash: true },
    });
    expect(stored.map((v) => v.number)).toEqual([1, 2, 3]);
    expect(stored[0]!.hash).toBe(stored[2]!.hash);
    expect(stored[0]!.hash).not.toBe(stored[1]!.hash);
  });
});

describe("pause and archive", () => {
  it("pause and unpause", async () => {
    expect(await owner.api.dags.setPaused({ workspace: ws, dagId: "etl", paused: true })).toMatchObject({
      paused: true,
    });
    expect((await owner.api.dags.get({ workspace: ws, dagId: "etl" })).paused).toBe(true);
    expect(await owner.api.dags.setPaused({ workspace: ws, dagId: "etl", paused: false })).toMatchObject({
      paused: false,
    });
  });

  it("archived DAGs are hidden from the list, paused, readable, and refuse pushes until unarchived", async () => {
    await owner.api.dags.push({ workspace: ws, document: pipeline("old_job") });
    const archived = await owner.api.dags.archive({ workspace: ws, dagId: "old_job" });
    expect(archived).toMatchObject({ archived: true, paused: true });
    expect((await owner.api.dags.list({ workspace: ws })).items.map((d) => d.dagId)).not.toContain("old_job");
    const { items: all } = await owner.api.dags.list({ workspace: ws, includeArchived: true });
    expect(all.find((d) => d.dagId === "old_job")).toMatchObject({ archived: true });
    expect((await owner.api.dags.get({ workspace: ws, dagId: "old_job" })).archived).toBe(true);

    const refused = await problemsOf(
      owner.api.dags.push({ workspace: ws, document: pipeline("old_job", { title: "again" }) }),
    );
    expect(refused.code).toBe("CONFLICT");
    expect(await codeOf(owner.api.dags.restore({ workspace: ws, dagId: "old_job", number: 1 }))).toBe(
      "CONFLICT",
    );
    expect(await codeOf(owner.api.dags.setPaused({ workspace: ws, dagId: "old_job", paused: false }))).toBe(
      "CONFLICT",
    );

    const back = await owner.api.dags.unarchive({ workspace: ws, dagId: "old_job" });
    expect(back).toMatchObject({ archived: false, paused: true });
    expect(
      await owner.api.dags.push({ workspace: ws, document: pipeline("old_job", { title: "again" }) }),
    ).toMatchObject({
      version: 2,
    });
  });

  it("are audited, as are pushes and restores", async () => {
    const { items: events } = await owner.api.audit.list({ workspace: ws, limit: 200 });
    const actions = new Set(events.map((e) => `${e.action} ${e.target}`));
    for (const expected of [
      "dag.push etl",
      "dag.restore diffed",
      "dag.pause etl",
      "dag.unpause etl",
      "dag.archive old_job",
      "dag.unarchive old_job",
    ]) {
      expect(actions).toContain(expected);
    }
  });
});

describe("permissions", () => {
  it("viewers read DAGs but cannot push, restore, pause or archive", async () => {
    const viewer = await createUser("viewer");
    await db.membership.create({
      data: { workspaceId: owner.workspace.id, userId: viewer.user.id, role: "VIEWER" },
    });
    const api = apiAs(viewer.caller);
    expect((await api.dags.list({ workspace: ws })).items.length).toBeGreaterThan(0);
    expect((await api.dags.validate({ workspace: ws, document: pipeline("x") })).ok).toBe(true);
    expect(await codeOf(api.dags.push({ workspace: ws, document: pipeline("x") }))).toBe("FORBIDDEN");
    expect(await codeOf(api.dags.restore({ workspace: ws, dagId: "etl", number: 1 }))).toBe("FORBIDDEN");
    expect(await codeOf(api.dags.setPaused({ workspace: ws, dagId: "etl", paused: true }))).toBe("FORBIDDEN");
    expect(await codeOf(api.dags.archive({ workspace: ws, dagId: "etl" }))).toBe("FORBIDDEN");
  });
});

describe("analysis", () => {
  it("uses the median of recent successful attempts, else the document's estimate, else the default", async () => {
    const document = {
      id: "timed",
      tasks: [
        { id: "a", operator: "noop" },
        { id: "b", operator: "noop", dependsOn: ["a"], estimatedDurationSeconds: 5 },
        { id: "c", operator: "noop", dependsOn: ["a"] },
      ],
    };
    await owner.api.dags.push({ workspace: ws, document });
    const scope = await openWorkspace(owner.caller, ws, "workspace:read");
    const before = await analyzeDagById(scope, { dagId: "timed" });
    expect(before.estimates).toEqual({
      a: { ms: 60_000, source: "default", samples: 0 },
      b: { ms: 5000, source: "document", samples: 0 },
      c: { ms: 60_000, source: "default", samples: 0 },
    });
    expect(before.criticalPath).toEqual(["a", "c"]);

    // History: task a took 1, 2 and 30 s (median 2 s); c took 1 s; one failed attempt of c is ignored.
    const dag = await db.dag.findFirstOrThrow({ where: { workspaceId: owner.workspace.id, key: "timed" } });
    const start = new Date("2025-01-01T00:00:00Z").getTime();
    const durations: Array<[string, number, string]> = [
      ["a", 1000, "success"],
      ["a", 2000, "success"],
      ["a", 30_000, "success"],
      ["c", 1000, "success"],
      ["c", 500_000, "failed"],
    ];
    for (const [i, [taskId, ms, state]] of durations.entries()) {
      const run = await scope.db.dagRun.create({
        data: {
          workspaceId: owner.workspace.id,
          dagId: dag.id,
          dagVersionId: dag.currentVersionId!,
          runKey: `manual-${i}`,
          triggeredBy: "manual",
          logicalDate: new Date(start + i * 3_600_000),
          state: "success",
        },
      });
      const instance = await scope.db.taskInstance.create({
        data: { workspaceId: owner.workspace.id, runId: run.id, taskId, state: "success" },
      });
      await scope.db.taskAttempt.create({
        data: {
          workspaceId: owner.workspace.id,
          taskInstanceId: instance.id,
          number: 1,
          state,
          workerId: "test",
          startedAt: new Date(start + i * 3_600_000),
          endedAt: new Date(start + i * 3_600_000 + ms),
        },
      });
    }
    const after = await owner.api.dags.analysis({ workspace: ws, dagId: "timed" });
    expect(after.estimates).toEqual({
      a: { ms: 2000, source: "history", samples: 3 },
      b: { ms: 5000, source: "document", samples: 0 },
      c: { ms: 1000, source: "history", samples: 1 },
    });
    expect(after).toMatchObject({ criticalPath: ["a", "b"], criticalPathMs: 7000, maxWidth: 2, version: 1 });
    expect(after.upwardRank).toEqual({ a: 7000, b: 5000, c: 1000 });
  });
});

describe("docs/dag-format.md", () => {
  const markdown = readFileSync("docs/dag-format.md", "utf8");
  const blocks = [...markdown.matchAll(/^```(json|yaml)\n([\s\S]*?)^```$/gm)].map((match) => ({
    format: match[1] as "json" | "yaml",
    text: match[2]!,
    line: markdown.slice(0, match.index).split("\n").length,
  }));

  it("has the worked examples", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
  });

  for (const block of blocks) {
    it(`the ${block.format} example at line ${block.line} is pushed and read back as it validated`, async () => {
      // Variables the example reads must exist in the workspace, as they would for its author.
      for (const [, key] of block.text.matchAll(/vars\.([A-Za-z_][A-Za-z0-9_-]*)/g)) {
        await owner.api.variables
          .create({ workspace: ws, key: key!, value: "example" })
          .catch(() => undefined);
      }
      const parsed = parseDagText(block.text, block.format);
      expect(parsed.ok).toBe(true);
      const expected = validateDag(parsed.ok ? parsed.document : null);
      expect(expected.ok ? [] : expected.problems).toEqual([]);

      const pushed = await owner.api.dags.push({ workspace: ws, document: block.text, format: block.format });
      const id = expected.ok ? expected.dag.id : "";
      expect(pushed).toMatchObject({ dagId: id, unchanged: false });
      const read = await owner.api.dags.version({ workspace: ws, dagId: id, number: pushed.version });
      expect(read.document).toEqual(expected.ok ? JSON.parse(JSON.stringify(expected.dag)) : null);
      const dag = await owner.api.dags.get({ workspace: ws, dagId: id });
      expect(dag.document).toEqual(read.document);
      // Pushing it again (as JSON this time) is the same version.
      expect(await owner.api.dags.push({ workspace: ws, document: read.document })).toMatchObject({
        version: pushed.version,
        unchanged: true,
      });
    });
  }
});
