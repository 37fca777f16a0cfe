// The client `baton` as a customer of a hosted Baton uses it: the single-file build, run as a
// separate process from an empty folder with only a URL and a token (no DATABASE_URL, no
// repository), against a running test server over HTTP and an in-process worker.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { generateKey } from "@/server/secrets/crypto";
import { startApiServer } from "../support/api-server";
import { type ClientCli, clientCli } from "../support/client-cli";
import { startTestWorker, stopTestWorker } from "../support/engine";
import { createUser } from "../support/factories";

let owner: Awaited<ReturnType<typeof createUser>>;
let token: string;
let server: Awaited<ReturnType<typeof startApiServer>>;
let cli: ClientCli;
/** The connection of a CI job: only these two settings. */
let ci: Record<string, string>;

const dagYaml = (id: string, extra = "", task = "    operator: noop") =>
  `id: ${id}\n${extra}tasks:\n  - id: only\n${task}\n`;

beforeAll(async () => {
  process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;
  owner = await createUser("client-cli");
  token = (await owner.api.tokens.create({ workspace: owner.workspace.slug, name: "ci", role: "ADMIN" }))
    .token;
  [server, cli] = await Promise.all([startApiServer(), clientCli()]);
  ci = { BATON_URL: server.url, BATON_TOKEN: token };
  await startTestWorker(4);
}, 120_000);
afterAll(async () => {
  await stopTestWorker();
  await server?.close();
});

describe("the client build", () => {
  it("holds no database driver and none of the server, and says where installation commands run", async () => {
    const modules = Object.keys(cli.metafile.inputs);
    expect(modules.filter((m) => /node_modules\/(pg|@prisma|prisma|graphile-worker)\//.test(m))).toEqual([]);
    expect(
      modules.filter((m) => m.startsWith("server/") && !/^server\/(cli|client)\//.test(m)).sort(),
    ).toEqual(["server/errors.ts", "server/pagination.ts"]);
    expect(cli.env).not.toHaveProperty("DATABASE_URL");
    const user = await cli.run(["user", "list"]);
    expect(user.code).toBe(2);
    expect(user.stderr).toMatch(/`baton user` is an installation command/);
    const lost = await cli.run(["dag", "list"]);
    expect(lost.code).toBe(2);
    expect(lost.stderr).toMatch(/baton login --url/);
  });
});

describe("login", () => {
  it("saves profiles readable by their owner only, checked against the API; env and --profile override", async () => {
    const login = await cli.run(["login", "--url", server.url], { stdin: `${token}\n` });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`workspace ${owner.workspace.slug} as admin (profile default)`);
    expect(login.stdout + login.stderr).not.toContain(token);
    const file = path.join(cli.home, ".config", "baton", "config.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({
      default: "default",
      profiles: { default: { url: server.url } },
    });

    // A refused token is not saved.
    const refused = await cli.run(["login", "--url", server.url, "--token", "baton_nope", "--name", "bad"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Invalid, expired or revoked/);
    expect(JSON.parse(readFileSync(file, "utf8")).profiles).not.toHaveProperty("bad");

    // A second Baton's login, used when named; the environment wins over the saved default.
    const other = await createUser("client-cli-2");
    const otherToken = (
      await other.api.tokens.create({ workspace: other.workspace.slug, name: "x", role: "VIEWER" })
    ).token;
    expect(
      (await cli.run(["login", "--url", server.url, "--token", otherToken, "--name", "second"])).code,
    ).toBe(0);
    expect((await cli.run(["whoami"])).stdout).toContain(`workspace ${owner.workspace.slug}`);
    expect((await cli.run(["whoami", "--profile", "second"])).stdout).toContain(
      `workspace ${other.workspace.slug}`,
    );
    const overridden = await cli.run(["whoami", "--json"], { env: { BATON_TOKEN: otherToken } });
    expect(JSON.parse(overridden.stdout)).toMatchObject({ workspace: other.workspace.slug, role: "VIEWER" });
    expect((await cli.run(["whoami", "--profile", "nope"])).code).toBe(2);
    const logout = await cli.run(["logout", "--profile", "second", "--json"]);
    expect(JSON.parse(logout.stdout)).toEqual({ profile: "second", forgotten: true });
    expect((await cli.run(["whoami", "--profile", "second"])).code).toBe(2);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe("pushing and syncing DAG files", () => {
  it("pushes, naming each problem with its path when refused", async () => {
    writeFileSync(path.join(cli.folder, "pushed.yaml"), dagYaml("pushed"));
    const pushed = await cli.run(["dag", "push", "pushed.yaml", "-m", "by hand"], { env: ci });
    expect(pushed).toMatchObject({ code: 0, stdout: "pushed: created version 1\n" });
    writeFileSync(
      path.join(cli.folder, "broken.yaml"),
      dagYaml("broken", "", "    operator: nope\n    dependsOn: [ghost]"),
    );
    const broken = await cli.run(["dag", "push", "broken.yaml"], { env: ci });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^baton: broken\.yaml: The DAG document has 2 problems$/m);
    expect(broken.stderr).toMatch(/^ {2}tasks\[0\]\.operator: /m);
    expect(broken.stderr).toMatch(/^ {2}tasks\[0\]\.dependsOn\[0\]: /m);
  });

  it("plans (exit 3), applies, shows diffs, and archives only with --prune", async () => {
    const dags = path.join(cli.folder, "dags");
    mkdirSync(path.join(dags, "team"), { recursive: true });
    writeFileSync(path.join(dags, "alpha.yaml"), dagYaml("alpha"));
    writeFileSync(
      path.join(dags, "team", "beta.json"),
      JSON.stringify({ id: "beta", tasks: [{ id: "only", operator: "noop" }] }),
    );
    const sync = (...args: string[]) =>
      cli.run(["sync", "dags", ...args], { env: { ...ci, GIT_COMMIT: "c0ffee" } });

    const plan = await sync();
    expect(plan.code).toBe(3);
    expect(plan.stdout).toMatch(/^\+ alpha {2}new {2}\(dags\/alpha\.yaml\)$/m);
    expect(plan.stdout).toMatch(/^\+ beta {2}new/m);
    expect(plan.stdout).toMatch(/^- pushed {2}not in the folder \(--prune archives it\)$/m);
    expect(await db.dag.count({ where: { workspaceId: owner.workspace.id, key: "alpha" } })).toBe(0);

    const applied = await sync("--apply");
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/^alpha: created version 1$/m);
    // DAGs the folder lacks are reported, not pending, until --prune asks to archive them.
    expect((await sync()).code).toBe(0);
    const inSync = await sync("--json");
    expect(JSON.parse(inSync.stdout).summary).toMatchObject({
      create: 0,
      change: 0,
      unchanged: 2,
      missing: 1,
    });

    // Change one, drop one, add one: the plan says so, with the change's diff.
    writeFileSync(path.join(dags, "alpha.yaml"), dagYaml("alpha", "title: Alpha\n"));
    rmSync(path.join(dags, "team", "beta.json"));
    writeFileSync(path.join(dags, "gamma.yml"), dagYaml("gamma"));
    const changed = await sync("--prune");
    expect(changed.code).toBe(3);
    expect(changed.stdout).toMatch(/^~ alpha {2}changed/m);
    expect(changed.stdout).toMatch(/^ {4}\+title: Alpha$/m);
    expect(changed.stdout).toMatch(/^- beta {2}not in the folder: to archive$/m);
    expect(changed.stdout).toMatch(/^\+ gamma {2}new/m);

    const pruned = await sync("--apply", "--prune");
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(/^alpha: saved version 2$/m);
    expect(pruned.stdout).toMatch(/^beta: archived$/m);
    const rows = await db.dag.findMany({
      where: { workspaceId: owner.workspace.id },
      orderBy: { key: "asc" },
    });
    expect(rows.map((d) => [d.key, d.archivedAt !== null])).toEqual([
      ["alpha", false],
      ["beta", true],
      ["gamma", false],
      ["pushed", true],
    ]);
    const version = await db.dagVersion.findFirstOrThrow({
      where: { workspaceId: owner.workspace.id, number: 2 },
    });
    expect(version.message).toBe("c0ffee");
    expect((await sync("--prune")).code).toBe(0);

    // An invalid file stops everything before anything is applied.
    writeFileSync(path.join(dags, "alpha.yaml"), dagYaml("alpha", "title: Alpha 3\n"));
    writeFileSync(path.join(dags, "bad.yaml"), "id: bad\ntasks: [");
    const invalid = await sync("--apply");
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toMatch(/^dags\/bad\.yaml: \(document\): YAML syntax error/m);
    expect(invalid.stderr).toMatch(/1 invalid DAG file\(s\): nothing applied/);
    expect(
      await db.dagVersion.count({ where: { workspaceId: owner.workspace.id, dag: { key: "alpha" } } }),
    ).toBe(2);
  });
});

describe("runs", () => {
  beforeAll(async () => {
    writeFileSync(
      path.join(cli.folder, "good.yaml"),
      dagYaml("good", "", "    operator: test\n    config: { output: done }"),
    );
    writeFileSync(
      path.join(cli.folder, "doomed.yaml"),
      dagYaml("doomed", "", "    operator: test\n    config: { outcome: fail }"),
    );
    writeFileSync(
      path.join(cli.folder, "slow.yaml"),
      dagYaml("slow", "", "    operator: test\n    config: { durationMs: 3000 }"),
    );
    const pushed = await cli.run(["dag", "push", "good.yaml", "doomed.yaml", "slow.yaml"], { env: ci });
    expect(pushed.code, pushed.stderr).toBe(0);
  });

  it("trigger --wait: exit 0 when the run succeeds, 1 (naming the failed task) when it fails", async () => {
    const good = await cli.run(["run", "trigger", "good", "--wait"], { env: ci });
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/^[0-9a-f-]{36} success\n$/);
    writeFileSync(path.join(cli.folder, "params.json"), "{}");
    const doomed = await cli.run(
      ["run", "trigger", "doomed", "--wait", "--params-file", "params.json", "--json"],
      {
        env: ci,
      },
    );
    expect(doomed.code).toBe(1);
    expect(JSON.parse(doomed.stdout)).toMatchObject({ state: "failed" });
    expect(doomed.stderr).toMatch(/ended failed: only failed \(The test task failed/);
  });

  it("logs --follow prints a running task's lines as they come, and ends with the attempt", async () => {
    const triggered = await cli.run(["run", "trigger", "slow"], { env: ci });
    const runId = triggered.stdout.trim();
    const follow = cli.spawn(["run", "logs", runId, "only", "--follow"], { env: ci });
    let stdout = "";
    let stateAtFirstLine: string | undefined;
    follow.stdout!.on("data", async (chunk) => {
      stdout += chunk;
      // The first line arrives while the task still runs: follow does not wait for the end.
      if (stateAtFirstLine === undefined && stdout.includes("runs for 3000 ms")) {
        stateAtFirstLine = "pending";
        stateAtFirstLine = (
          await db.taskInstance.findFirstOrThrow({
            where: { runId, taskId: "only" },
            select: { state: true },
          })
        ).state;
      }
    });
    const code = await new Promise<number | null>((resolve) => follow.on("close", resolve));
    expect(code).toBe(0);
    expect(stateAtFirstLine).toBe("running");
    expect(stdout).toMatch(/the test task runs for 3000 ms[\s\S]*the test task succeeded/);
  });

  it("waits out a 429 as Retry-After says", async () => {
    server.throttleNext(1);
    const listed = await cli.run(["run", "list", "--dag", "good", "--json"], { env: ci });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).toMatch(/Rate limited by the Baton; trying again in 1 s/);
    expect(JSON.parse(listed.stdout).length).toBeGreaterThan(0);
  });
});

describe("configuration", () => {
  it("reads secret values from standard input and never prints them", async () => {
    const value = "s3cret-from-stdin-7f2a";
    const set = await cli.run(["secret", "set", "API_KEY", "--description", "the API"], {
      stdin: `${value}\n`,
      env: ci,
    });
    expect(set).toMatchObject({ code: 0, stdout: "Created secret API_KEY.\n" });
    const replaced = await cli.run(["secret", "set", "API_KEY", "--json"], {
      stdin: `${value}-2\n`,
      env: ci,
    });
    const list = await cli.run(["secret", "list"], { env: ci });
    const json = await cli.run(["secret", "list", "--json"], { env: ci });
    for (const output of [set, replaced, list, json])
      expect(output.stdout + output.stderr).not.toContain(value);
    expect(list.stdout).toMatch(/^API_KEY\s+the API/m);
    const stored = await db.secret.findFirstOrThrow({
      where: { workspaceId: owner.workspace.id, name: "API_KEY" },
    });
    expect(stored.ciphertext).not.toContain(value);

    const variable = await cli.run(["variable", "set", "batch", "--value-json", "500", "--json"], {
      env: ci,
    });
    expect(JSON.parse(variable.stdout)).toMatchObject({ key: "batch", value: 500 });
    const connection = await cli.run(["connection", "set", "crm", "--type", "http"], {
      stdin: JSON.stringify({ baseUrl: "https://crm.example.com", authHeaderValue: `Bearer ${value}` }),
      env: ci,
    });
    expect(connection.code, connection.stderr).toBe(0);
    const connections = await cli.run(["connection", "list", "--json"], { env: ci });
    expect(JSON.parse(connections.stdout)[0]).toMatchObject({
      name: "crm",
      config: { authHeaderValue: "••••••••" },
    });
    expect(connections.stdout).not.toContain(value);
  });
});
