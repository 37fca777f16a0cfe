// The client `baton` as its users run it: the single-file build (scripts/build-cli.ts) in an
// empty folder of its own, as a separate process whose environment holds no DATABASE_URL (only
// PATH, a HOME of its own and what a test adds), talking to a running test server over HTTP.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Metafile } from "esbuild";
import { buildClient } from "@/scripts/build-cli";

export interface ClientCli {
  /** The folder the CLI runs in (nothing else is there but what a test writes). */
  folder: string;
  home: string;
  metafile: Metafile;
  env: Record<string, string>;
  run(
    args: string[],
    options?: { stdin?: string; env?: Record<string, string> },
  ): Promise<{ code: number | null; stdout: string; stderr: string }>;
  spawn(args: string[], options?: { env?: Record<string, string> }): ChildProcess;
}

export async function clientCli(): Promise<ClientCli> {
  const root = mkdtempSync(path.join(os.tmpdir(), "baton-client-"));
  const bin = path.join(root, "bin", "baton.mjs");
  const metafile = await buildClient(bin);
  const folder = path.join(root, "work");
  const home = path.join(root, "home");
  mkdirSync(folder);
  mkdirSync(home);
  // Nothing of the test's environment: no DATABASE_URL, no BATON_* settings.
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, ".config"),
  };
  const start = (args: string[], extra: Record<string, string> = {}) =>
    spawn(process.execPath, [bin, ...args], {
      cwd: folder,
      env: { ...env, ...extra } as unknown as NodeJS.ProcessEnv,
      stdio: "pipe",
    });
  return {
    folder,
    home,
    metafile,
    env,
    spawn: (args, options = {}) => start(args, options.env),
    run: (args, options = {}) =>
      new Promise((resolve, reject) => {
        const child = start(args, options.env);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => (stdout += chunk));
        child.stderr.on("data", (chunk) => (stderr += chunk));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(options.stdin ?? "");
      }),
  };
}
