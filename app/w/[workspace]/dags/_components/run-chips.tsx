// A DAG's latest runs as small state chips, newest first, each linking to its run.
import Link from "next/link";
import { stateLabel, stateLook } from "@/app/_components/state-badge";
import { focusRing } from "@/app/_components/styles";

interface RunSummary {
  id: string;
  state: string;
  queuedAt: Date;
}

const format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function RunChips({ workspace, runs }: { workspace: string; runs: readonly RunSummary[] }) {
  if (runs.length === 0) return <span className="text-sm text-slate-400">No runs yet</span>;
  return (
    <ul className="flex flex-wrap gap-1" aria-label="Latest runs, newest first">
      {runs.map((run) => {
        const look = stateLook(run.state);
        const when = format.format(run.queuedAt);
        return (
          <li key={run.id}>
            <Link
              href={`/w/${workspace}/runs/${run.id}`}
              title={`${stateLabel(run.state)}, ${when}`}
              aria-label={`Run of ${when}: ${stateLabel(run.state)}`}
              className={`inline-flex items-center gap-1 rounded-full px-1.5 py-0.5 text-[11px] font-medium ring-1 ring-inset ${look.badge} ${focusRing}`}
            >
              <span aria-hidden="true" className={`size-1.5 rounded-full ${look.fill}`} />
              {stateLabel(run.state)}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}
