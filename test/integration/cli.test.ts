// The `baton` CLI against a real database: commands run in-process through runCli with captured
// output (DATABASE_URL points at this file's database, so no embedded server starts), plus one
// run of the real bin from another directory to prove the launcher.
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { authenticate } from "@/server/auth/accounts";
import { db } from "@/server/db/client";
import { authenticateToken } from "@/server/tokens/service";
import { baton } from "../support/cli";
import { uniqueEmail } from "../support/factories";

/** `key   value` lines of `user create` as an object. */
const fields = (stdout: string) =>
  Object.fromEntries(
    stdout
      .trim()
      .split("\n")
      .map((line) => line.split(/\s+/, 2) as [string, string]),
  );

async function newUser(name = "Ada Lovelace") {
  const email = uniqueEmail("cli");
  const result = await baton([
    "user",
    "create",
    "--email",
    email,
    "--name",
    name,
    "--password",
    "correct horse battery",
  ]);
  expect(result.code, result.stderr).toBe(0);
  return { email, id: fields(result.stdout).id!, workspace: fields(result.stdout).workspace! };
}

describe("baton user", () => {
  it("creates a user with a given password and prints the id and first workspace", async () => {
    const email = uniqueEmail("ada");
    const result = await baton([
      "user",
      "create",
      "--email",
      email.toUpperCase(),
      "--name",
      "Ada Lovelace",
      "--password",
      "correct horse battery",
    ]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const out = fields(result.stdout);
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    expect(out).toMatchObject({ id: user.id, email, workspace: expect.stringMatching(/^ada-s-workspace/) });
    expect(out.password).toBeUndefined();
    const membership = await db.membership.findFirstOrThrow({
      where: { userId: user.id },
      include: { workspace: true },
    });
    expect(membership).toMatchObject({ role: "OWNER", workspace: { slug: out.workspace } });
    await expect(
      authenticate({ email, password: "correct horse battery", ip: "127.0.0.1" }),
    ).resolves.toMatchObject({ id: user.id });
  });

  it("generates a strong password when none is given and prints it once", async () => {
    const email = uniqueEmail("gen");
    const result = await baton(["--json", "user", "create", "--email", email, "--name", "Grace"]);
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as { password: string; workspace: string };
    expect(out.password).toMatch(/^[\w-]{24}$/);
    expect(result.stderr).toMatch(/shown only this once/);
    await expect(authenticate({ email, password: out.password, ip: "127.0.0.1" })).resolves.toMatchObject({
      email,
    });
  });

  it("reads the password from stdin with --password-stdin", async () => {
    const email = uniqueEmail("stdin");
    const result = await baton(
      ["user", "create", "--email", email, "--name", "Stdin", "--password-stdin"],
      "from standard input\n",
    );
    expect(result.code, result.stderr).toBe(0);
    await expect(
      authenticate({ email, password: "from standard input", ip: "127.0.0.1" }),
    ).resolves.toMatchObject({ email });
  });

  it("refuses an e-mail that already has an account", async () => {
    const { email } = await newUser();
    const result = await baton([
      "user",
      "create",
      "--email",
      email,
      "--name",
      "Again",
      "--password",
      "another password!",
    ]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: "baton: An account with this e-mail already exists (--email)\n",
    });
    expect(await db.user.count({ where: { email } })).toBe(1);
  });

  it("validates with the API's shapes and names the option", async () => {
    const badEmail = await baton([
      "user",
      "create",
      "--email",
      "not-an-email",
      "--name",
      "X",
      "--password",
      "long enough pw",
    ]);
    expect(badEmail).toMatchObject({ code: 2, stdout: "" });
    expect(badEmail.stderr).toMatch(
      /^baton: option '--email <address>' argument 'not-an-email' is invalid\. Enter a valid e-mail address\n$/,
    );

    const email = uniqueEmail("short");
    const short = await baton(["user", "create", "--email", email, "--name", "X", "--password", "short"]);
    expect(short.code).toBe(2);
    expect(short.stderr).toBe(
      "baton: option '--password' is invalid. Passwords need at least 10 characters\n",
    );
    expect(short.stderr).not.toContain("'short'");
    expect(await db.user.count({ where: { email } })).toBe(0);

    const both = await baton([
      "user",
      "create",
      "--email",
      email,
      "--name",
      "X",
      "--password",
      "long enough pw",
      "--password-stdin",
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(
      /^baton: option '--password-stdin' cannot be used with option '--password <password>'/,
    );

    const missing = await baton(["user", "create", "--email", email]);
    expect(missing).toMatchObject({
      code: 2,
      stderr: "baton: required option '--name <name>' not specified\n",
    });
  });

  it("lists users", async () => {
    const { email } = await newUser();
    const table = await baton(["user", "list"]);
    expect(table.stdout).toMatch(/^EMAIL\s+NAME\s+WORKSPACES\s+ID\s+CREATED\n/);
    expect(table.stdout).toContain(email);
    const json = await baton(["user", "list", "--json"]);
    expect(JSON.parse(json.stdout)).toContainEqual(expect.objectContaining({ email, workspaces: 1 }));
  });
});

describe("baton workspace", () => {
  it("creates a workspace for an existing owner and prints only its slug", async () => {
    const owner = await newUser();
    const result = await baton(["workspace", "create", "--name", "Data Platform", "--owner", owner.email]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^data-platform(-[0-9a-f]{6})?\n$/);
    const slug = result.stdout.trim();
    const workspace = await db.workspace.findUniqueOrThrow({
      where: { slug },
      include: { memberships: true },
    });
    expect(workspace.memberships).toEqual([expect.objectContaining({ userId: owner.id, role: "OWNER" })]);
  });

  it("answers NOT_FOUND for an unknown owner", async () => {
    const email = uniqueEmail("nobody");
    const result = await baton(["workspace", "create", "--name", "Orphan", "--owner", email]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `baton: No user with the e-mail ${email}; create one with \`baton user create\` (--owner)\n`,
    );
  });

  it("lists every workspace, as a table or as JSON", async () => {
    const owner = await newUser();
    const table = await baton(["workspace", "list"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^SLUG\s+NAME\s+MEMBERS\s+OWNERS\s+CREATED\n/);
    expect(table.stdout).toContain(owner.workspace);
    // The global option works before or after the command.
    for (const args of [
      ["--json", "workspace", "list"],
      ["workspace", "list", "--json"],
    ]) {
      const json = await baton(args);
      expect(JSON.parse(json.stdout)).toContainEqual(
        expect.objectContaining({ slug: owner.workspace, members: 1, owners: [owner.email] }),
      );
    }
  });
});

describe("baton member", () => {
  it("adds a member, then updates the role, audited as the system", async () => {
    const owner = await newUser();
    const guest = await newUser("Guest");
    const add = await baton([
      "member",
      "add",
      "--workspace",
      owner.workspace,
      "--email",
      guest.email,
      "--role",
      "viewer",
    ]);
    expect(add).toMatchObject({ code: 0, stdout: `Added ${guest.email} to ${owner.workspace} as viewer.\n` });
    const where = { userId: guest.id, workspace: { slug: owner.workspace } };
    expect(await db.membership.findFirstOrThrow({ where })).toMatchObject({ role: "VIEWER" });

    const update = await baton([
      "member",
      "add",
      "--workspace",
      owner.workspace,
      "--email",
      guest.email,
      "--role",
      "EDITOR",
    ]);
    expect(update.stdout).toBe(
      `Changed ${guest.email}'s role in ${owner.workspace} from viewer to editor.\n`,
    );
    expect(await db.membership.findFirstOrThrow({ where })).toMatchObject({ role: "EDITOR" });

    const again = await baton([
      "--json",
      "member",
      "add",
      "--workspace",
      owner.workspace,
      "--email",
      guest.email,
      "--role",
      "editor",
    ]);
    expect(JSON.parse(again.stdout)).toMatchObject({
      change: "unchanged",
      role: "EDITOR",
      previousRole: "EDITOR",
    });

    const events = await db.auditEvent.findMany({
      where: { workspace: { slug: owner.workspace }, action: { startsWith: "member." } },
      orderBy: { id: "asc" },
    });
    expect(events).toMatchObject([
      {
        actor: "system",
        actorLabel: "system",
        action: "member.add",
        target: guest.email,
        metadata: { role: "VIEWER" },
      },
      { actor: "system", action: "member.role_change", metadata: { from: "VIEWER", to: "EDITOR" } },
    ]);

    const list = await baton(["member", "list", "--workspace", owner.workspace, "--json"]);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ email: owner.email, role: "OWNER" }),
      expect.objectContaining({ email: guest.email, role: "EDITOR" }),
    ]);
  });

  it("keeps the last owner, and requires an existing user", async () => {
    const owner = await newUser();
    const demote = await baton([
      "member",
      "add",
      "--workspace",
      owner.workspace,
      "--email",
      owner.email,
      "--role",
      "admin",
    ]);
    expect(demote.code).toBe(1);
    expect(demote.stderr).toMatch(/^baton: A workspace needs at least one owner/);

    const stranger = uniqueEmail("stranger");
    const missing = await baton([
      "member",
      "add",
      "--workspace",
      owner.workspace,
      "--email",
      stranger,
      "--role",
      "admin",
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`No user with the e-mail ${stranger}`);
  });

  it("stays within the member quota, where a pending invitation holds a seat", async () => {
    const owner = await newUser();
    const [guest, late, invited] = [await newUser("Guest"), await newUser("Late"), await newUser("Invited")];
    const workspace = await db.workspace.update({
      where: { slug: owner.workspace },
      data: { maxMembers: 3 },
      select: { id: true },
    });
    await db.invitation.create({
      data: {
        workspaceId: workspace.id,
        email: invited.email,
        role: "VIEWER",
        tokenHash: `cli-test-${invited.id}`,
        expiresAt: new Date(Date.now() + 86_400_000),
      },
    });
    const add = (email: string) =>
      baton(["member", "add", "--workspace", owner.workspace, "--email", email, "--role", "viewer"]);

    expect((await add(guest.email)).code).toBe(0);
    // The owner, the guest and the pending invitation hold the three seats.
    const refused = await add(late.email);
    expect(refused).toMatchObject({ code: 1, stdout: "" });
    expect(refused.stderr).toMatch(
      /^baton: This workspace has 3 of 3 members \(pending invitations included\) allowed by its plan \(quota maxMembers\)\./,
    );
    expect(await db.membership.count({ where: { userId: late.id, workspaceId: workspace.id } })).toBe(0);

    // The invited user takes the seat their invitation held, which is then used up.
    expect((await add(invited.email)).code).toBe(0);
    expect(await db.membership.count({ where: { workspaceId: workspace.id } })).toBe(3);
    expect(await db.invitation.findFirstOrThrow({ where: { email: invited.email } })).toMatchObject({
      acceptedAt: expect.any(Date),
    });
  });

  it("rejects an unknown role as a usage error naming --role", async () => {
    const owner = await newUser();
    const result = await baton([
      "member",
      "add",
      "--workspace",
      owner.workspace,
      "--email",
      owner.email,
      "--role",
      "boss",
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "baton: option '--role <role>' argument 'boss' is invalid. Role must be one of OWNER, ADMIN, EDITOR, OPERATOR, VIEWER, GUEST\n",
    );
  });
});

describe("baton token", () => {
  it("prints only the token, which then authenticates with its role in its workspace", async () => {
    const owner = await newUser();
    const result = await baton([
      "token",
      "create",
      "--workspace",
      owner.workspace,
      "--name",
      "CI",
      "--role",
      "operator",
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^baton_[\w-]+\n$/);
    expect(result.stderr).toContain("shown only this once");
    const caller = await authenticateToken(result.stdout.trim());
    expect(caller).toMatchObject({
      kind: "token",
      workspaceSlug: owner.workspace,
      role: "OPERATOR",
      name: "CI",
    });
    const event = await db.auditEvent.findFirstOrThrow({
      where: { action: "token.create", target: "CI", workspace: { slug: owner.workspace } },
    });
    expect(event).toMatchObject({ actor: "system" });
  });

  it("lists and revokes tokens over the API, with a token of the workspace", async () => {
    const owner = await newUser();
    const token = (
      await baton(["token", "create", "--workspace", owner.workspace, "--name", "deploy", "--role", "admin"])
    ).stdout.trim();
    const { tokenId } = await authenticateToken(token);

    const table = await baton(["token", "list"], { token });
    expect(table.stdout).toMatch(/^ID\s+NAME\s+ROLE\s+PREFIX\s+EXPIRES\s+LAST USED\n/);
    expect(table.stdout).toContain(tokenId);
    expect(table.stdout).not.toContain(token);
    const json = await baton(["token", "list", "--json"], { token });
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ id: tokenId, name: "deploy", role: "ADMIN" }),
    ]);

    const forever = await baton([
      ...["token", "create", "--workspace", owner.workspace, "--name", "forever", "--role", "viewer"],
      ...["--no-expiry", "--json"],
    ]);
    expect(JSON.parse(forever.stdout)).toMatchObject({ name: "forever", expiresAt: null });
    const week = await baton([
      ...["token", "create", "--workspace", owner.workspace, "--name", "week", "--role", "viewer"],
      ...["--expires-in-days", "7", "--json"],
    ]);
    expect(new Date(JSON.parse(week.stdout).expiresAt).getTime()).toBeGreaterThan(
      Date.now() + 6 * 86_400_000,
    );
    const both = await baton([
      ...["token", "create", "--workspace", owner.workspace, "--name", "x", "--role", "viewer"],
      ...["--expires-in-days", "7", "--no-expiry"],
    ]);
    expect(both.code).toBe(2);

    const revoke = await baton(["token", "revoke", JSON.parse(week.stdout).id], { token });
    expect(revoke).toMatchObject({ code: 0, stdout: `Revoked token ${JSON.parse(week.stdout).id}.\n` });
    const twice = await baton(["token", "revoke", JSON.parse(week.stdout).id], { token });
    expect(twice).toMatchObject({ code: 1, stderr: "baton: Token not found\n" });
    const badId = await baton(["token", "revoke", "42"], { token });
    expect(badId).toMatchObject({
      code: 2,
      stderr: "baton: give the token's id (a uuid from `baton token list`)\n",
    });
    // A token revoking itself: what it asks is done, and it stops working.
    expect((await baton(["token", "revoke", tokenId], { token })).code).toBe(0);
    await expect(authenticateToken(token)).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("cannot reach another workspace's token", async () => {
    const a = await newUser();
    const b = await newUser();
    const tokenOf = async (workspace: string) =>
      (
        await baton(["token", "create", "--workspace", workspace, "--name", "t", "--role", "admin"])
      ).stdout.trim();
    const tokenA = await tokenOf(a.workspace);
    const { tokenId } = await authenticateToken(tokenA);
    const result = await baton(["token", "revoke", tokenId], { token: await tokenOf(b.workspace) });
    expect(result).toMatchObject({ code: 1, stderr: "baton: Token not found\n" });
    await expect(authenticateToken(tokenA)).resolves.toMatchObject({ tokenId });
  });

  it("answers NOT_FOUND for an unknown workspace", async () => {
    const result = await baton([
      "token",
      "create",
      "--workspace",
      "no-such-workspace",
      "--name",
      "x",
      "--role",
      "viewer",
    ]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: 'baton: Workspace "no-such-workspace" not found (--workspace)\n',
    });
  });
});

describe("usage", () => {
  it("exits 2 on unknown commands and options, 0 on --help", async () => {
    expect(await baton(["dance"])).toMatchObject({ code: 2, stderr: "baton: unknown command 'dance'\n" });
    expect(await baton(["token", "list", "--verbose"])).toMatchObject({
      code: 2,
      stderr: "baton: unknown option '--verbose'\n",
    });
    expect((await baton(["token"])).code).toBe(2);
    const help = await baton(["token", "create", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--role <role>");
    expect(help.stdout).toContain("--json");
  });
});

describe("the bin", () => {
  it("runs scripts/baton.mjs from another directory with the caller's DATABASE_URL", async () => {
    const owner = await newUser();
    const bin = fileURLToPath(new URL("../../scripts/baton.mjs", import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [bin, "workspace", "list", "--json"], {
      cwd: tmpdir(),
      env: { ...process.env, DATABASE_URL: process.env.DATABASE_URL },
    });
    expect(JSON.parse(stdout)).toContainEqual(
      expect.objectContaining({ slug: owner.workspace, owners: [owner.email] }),
    );

    const failed = await promisify(execFile)(process.execPath, [bin, "user", "create", "--email", "x"], {
      cwd: tmpdir(),
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^baton: option '--email <address>'/),
    });
  });
});
