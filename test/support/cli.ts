// Runs `baton` in-process with captured output. With a token, the workspace commands reach the
// REST API in-process too (handleRest, no HTTP server), as a Baton at http://baton.test.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { runCli } from "@/server/cli/main";
import { inProcess } from "./rest";

export async function baton(
  args: string[],
  input:
    | string
    | {
        stdin?: string;
        token?: string;
        env?: Record<string, string | undefined>;
        /** Sees each request before the in-process REST API answers it. */
        onRequest?: (request: Request) => unknown;
      } = "",
) {
  const options = typeof input === "string" ? { stdin: input } : input;
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from([options.stdin ?? ""]),
    env: {
      ...process.env,
      // Never the developer's own saved logins.
      BATON_CONFIG_DIR: mkdtempSync(path.join(os.tmpdir(), "baton-cli-")),
      ...(options.token ? { BATON_URL: "http://baton.test", BATON_TOKEN: options.token } : {}),
      ...options.env,
    },
    ...(options.token
      ? {
          fetch: (request: Request) => {
            options.onRequest?.(request);
            return inProcess(request);
          },
        }
      : {}),
  });
  return { code, stdout, stderr };
}
