// The process's structured log (pino): one JSON object per line with level, time, message and the
// ids of the work it is about (request, workspace, run, task instance, attempt: context.ts), so
// logs of many processes can be searched and joined. `npm start` and `npm run dev` ask for pretty
// lines (BATON_LOG_FORMAT=pretty). graphile-worker's own logger is adapted into it (graphileLogger).
import { Logger as GraphileLogger } from "graphile-worker";
import pino from "pino";
import pretty from "pino-pretty";
import { env } from "@/server/config";
import { currentContext } from "./context";

function create(destination?: pino.DestinationStream): pino.Logger {
  const options: pino.LoggerOptions = {
    level: env.BATON_LOG_LEVEL,
    base: { pid: process.pid, process: processKind() },
    // Every line carries the ids of the work it is about.
    mixin: () => ({ ...currentContext() }),
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
  };
  if (destination) return pino(options, destination);
  // To stderr, so that a command's results on stdout (`TOKEN=$(baton token create …)`) stay clean;
  // synchronous, so nothing is lost when the process exits.
  if (env.BATON_LOG_FORMAT === "pretty") {
    return pino(
      options,
      pretty({ colorize: process.stderr.isTTY, ignore: "pid,hostname,process", sync: true, destination: 2 }),
    );
  }
  return pino(options, pino.destination({ fd: 2, sync: true }));
}

function processKind(): string {
  const script = process.argv[1] ?? "";
  return process.env.NEXT_RUNTIME ? "web" : script.endsWith("worker/main.ts") ? "worker" : "baton";
}

let root: pino.Logger | undefined;

/** The process's logger; `log.child({ component })` for a part of it. */
export const log: pino.Logger = new Proxy({} as pino.Logger, {
  get(_target, key) {
    root ??= create();
    const value = Reflect.get(root, key);
    return typeof value === "function" ? value.bind(root) : value;
  },
});

/** Sends this process's log to `destination` from now on (tests read it; an embedder may route it). */
export function logTo(destination: pino.DestinationStream, level?: pino.Level): void {
  root = create(destination);
  if (level) root.level = level;
}

/** graphile-worker's log lines, into ours: its per-job info lines only at debug level. */
export function graphileLogger(): GraphileLogger {
  const worker = log.child({ component: "graphile-worker" });
  return new GraphileLogger((scope) => (level, message, meta) => {
    const fields = {
      ...(scope.jobId ? { jobId: scope.jobId } : {}),
      ...(scope.taskIdentifier ? { job: scope.taskIdentifier } : {}),
      ...(meta?.error ? { err: meta.error } : {}),
    };
    if (level === "error") worker.error(fields, message);
    else if (level === "warning") worker.warn(fields, message);
    else worker.debug(fields, message);
  });
}
