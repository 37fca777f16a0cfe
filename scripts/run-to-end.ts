import { type SpawnOptions, spawn } from "node:child_process";

/**
 * Runs a program to its end without blocking this process. `npm start` and `npm test` read the
 * embedded PostgreSQL's output; while a synchronous spawn held the event loop, the pipe filled and
 * the server's backends blocked writing their log lines (queries stalled, databases could not be
 * dropped).
 */
export function runToEnd(command: string, args: string[], options: SpawnOptions): Promise<number | null> {
  return new Promise((resolve, reject) => {
    spawn(command, args, options)
      .on("error", reject)
      .on("exit", (code) => resolve(code));
  });
}
