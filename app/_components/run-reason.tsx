// Why a run waits or never started, in the words the API returns (DagRun.stateReason): the run
// page shows it as a banner, lists and the grid as a line or a tooltip.
import { Alert } from "./alert";

interface ReasonRun {
  state: string;
  startedAt: Date | null;
  stateReason: string | null;
}

/** The reason worth showing: a queued run's wait, or why a run ended without starting. */
export function runReason(run: ReasonRun): string | null {
  if (!run.stateReason) return null;
  if (run.state === "queued") return run.stateReason;
  return run.startedAt ? null : run.stateReason;
}

/** A banner with the run's reason, or nothing. */
export function RunReasonBanner({ run }: { run: ReasonRun }) {
  const reason = runReason(run);
  if (!reason) return null;
  const waiting = run.state === "queued";
  return (
    <Alert
      tone={waiting ? "warning" : "error"}
      title={waiting ? "Waiting to start" : "Not started"}
      className="mb-4"
    >
      <span data-run-reason>{reason}</span>
    </Alert>
  );
}
