#!/usr/bin/env node
// The `baton` bin: runs server/cli/main.ts with this Node and tsx, from the repository root (where
// tsconfig.json, prisma/migrations and .data are found), whatever directory it is invoked from.
// BATON_CWD tells the CLI where the user was, for path arguments. Stdio and the exit code pass
// through; signals are forwarded to the CLI.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const child = spawn(
  process.execPath,
  [
    "--import",
    import.meta.resolve("tsx"),
    fileURLToPath(new URL("../server/cli/main.ts", import.meta.url)),
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: "inherit", env: { ...process.env, BATON_CWD: process.env.BATON_CWD ?? process.cwd() } },
);

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("error", (error) => {
  console.error(`baton: cannot start the CLI: ${error.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
