// Runs the `baton` CLI in-process with captured output.
import { Readable } from "node:stream";
import { runCli } from "@/server/cli/main";

export async function baton(args: string[], stdin = "") {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from([stdin]),
  });
  return { code, stdout, stderr };
}
