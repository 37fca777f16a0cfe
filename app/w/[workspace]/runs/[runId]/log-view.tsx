"use client";
// An attempt's log, followed live: chunks after the last one seen are asked for every second while
// the attempt runs (and once more after it ends, for the last flush). A search box filters entries
// (a line with its time and level, and the lines after it that belong to it, such as a stack).
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { Alert } from "@/app/_components/alert";
import { errorMessage } from "@/app/_components/errors";
import { Field } from "@/app/_components/field";
import { useWorkspace } from "@/app/_components/shell";
import { useTRPCClient } from "@/app/_lib/trpc";
import { logEntries } from "./log-entries";

const POLL_MS = 1000;

const entries = (count: number) => `${count} ${count === 1 ? "entry" : "entries"}`;

export function LogView({
  runId,
  taskId,
  mapIndex,
  attempt,
  active,
}: {
  runId: string;
  taskId: string;
  mapIndex: number;
  attempt: number;
  /** The task instance may still write to this attempt's log. */
  active: boolean;
}) {
  const { slug } = useWorkspace();
  const client = useTRPCClient();
  const [text, setText] = useState("");
  const [following, setFollowing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [search, setSearch] = useState("");
  const after = useRef<string | undefined>(undefined);
  const logId = useId();

  // A new attempt starts a new log.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset exactly when the attempt changes
  useEffect(() => {
    after.current = undefined;
    setText("");
  }, [runId, taskId, mapIndex, attempt]);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastRound = !active;
    async function poll() {
      try {
        const page = await client.runs.logs.query({
          workspace: slug,
          runId,
          taskId,
          mapIndex,
          attempt,
          ...(after.current ? { afterId: after.current } : {}),
        });
        if (stopped) return;
        setError(null);
        if (page.chunks.length > 0) {
          after.current = page.chunks.at(-1)!.id;
          const added = page.chunks.map((chunk) => chunk.text).join("");
          setText((current) => current + added);
        }
        const more = page.chunks.length >= 500;
        if (more || page.running || !lastRound) {
          if (!page.running && !more) lastRound = true;
          setFollowing(page.running);
          timer = setTimeout(poll, more ? 0 : POLL_MS);
        } else setFollowing(false);
      } catch (caught) {
        if (!stopped) setError(caught);
      }
    }
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, slug, runId, taskId, mapIndex, attempt, active]);

  const lines = useMemo(() => logEntries(text), [text]);
  const needle = search.trim().toLowerCase();
  const shown = needle ? lines.filter((line) => line.toLowerCase().includes(needle)) : lines;

  return (
    <div className="space-y-2">
      <div className="flex items-end gap-3">
        <Field
          label="Search the log"
          type="search"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
          className="min-w-0 flex-1"
        />
        <p className="pb-2 text-xs whitespace-nowrap text-slate-500" aria-live="polite">
          {needle ? `${shown.length} of ${entries(lines.length)}` : entries(lines.length)}
          {following && " · following"}
        </p>
      </div>
      {error ? <Alert tone="error">{errorMessage(error)}</Alert> : null}
      <pre
        id={logId}
        role="log"
        aria-label={`Log of ${taskId}, attempt ${attempt}`}
        className="max-h-80 min-h-24 overflow-auto rounded-md bg-slate-900 p-3 font-mono text-xs leading-5 whitespace-pre-wrap text-slate-100"
      >
        {shown.length === 0 ? (
          <span className="text-slate-400">
            {lines.length === 0 ? (active ? "Waiting for output…" : "The log is empty.") : "No line matches."}
          </span>
        ) : (
          shown.map((line, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines have no identity beyond their position
            <div key={i}>{needle ? <Highlight line={line} needle={needle} /> : line}</div>
          ))
        )}
      </pre>
    </div>
  );
}

function Highlight({ line, needle }: { line: string; needle: string }) {
  const parts: React.ReactNode[] = [];
  const lower = line.toLowerCase();
  let at = 0;
  for (let found = lower.indexOf(needle); found >= 0; found = lower.indexOf(needle, at)) {
    parts.push(line.slice(at, found), <mark key={found}>{line.slice(found, found + needle.length)}</mark>);
    at = found + needle.length;
  }
  parts.push(line.slice(at));
  return parts;
}
