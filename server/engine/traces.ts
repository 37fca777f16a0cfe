// The engine's part of a trace (server/observability/tracing.ts), when tracing is on: a span for
// each run created (`baton.run`, a child of the request or tick that made it), its traceparent
// kept on the run (DagRun.traceContext) so that each attempt of its tasks, on whichever worker
// runs it, records its span (`baton.attempt`) under the run's. With tracing off, nothing here
// reads or writes anything.
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { contextOf, inSpan, traceparentOf, tracer, tracingEnabled } from "@/server/observability/tracing";
import type { ClaimedAttempt } from "./claim";
import type { Sql } from "./sql";

/** Records a span for each run just created and keeps its traceparent with the run. */
export async function traceNewRuns(
  sql: Sql,
  workspaceId: string,
  runs: Array<{ id: string; dagId: string; triggeredBy: string }>,
): Promise<void> {
  if (!tracingEnabled() || runs.length === 0) return;
  const parents = runs.map((run) => {
    const span = tracer.startSpan("baton.run", {
      kind: SpanKind.PRODUCER,
      attributes: {
        "baton.workspace.id": workspaceId,
        "baton.run.id": run.id,
        "baton.dag.id": run.dagId,
        "baton.run.triggered_by": run.triggeredBy,
      },
    });
    span.end();
    return traceparentOf(span) ?? null;
  });
  await sql.query(
    `UPDATE "DagRun" r SET "traceContext" = x.parent FROM unnest($2::uuid[], $3::text[]) AS x(id, parent)
     WHERE r.id = x.id AND r."workspaceId" = $1`,
    [workspaceId, runs.map((run) => run.id), parents],
  );
}

/**
 * Runs one attempt in its span, a child of its run's (a trace of its own for a run made before
 * tracing was on). `fn` reports its operator and outcome to the span.
 */
export async function inAttemptSpan<T>(
  sql: Sql,
  claimed: ClaimedAttempt,
  fn: (
    ended: (outcome: { operator: string; state: string; error?: string | undefined }) => void,
  ) => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return fn(() => {});
  const { rows } = await sql.query<{ traceContext: string | null }>(
    `SELECT "traceContext" FROM "DagRun" WHERE id = $1 AND "workspaceId" = $2`,
    [claimed.runId, claimed.workspaceId],
  );
  const attributes = {
    "baton.workspace.id": claimed.workspaceId,
    "baton.run.id": claimed.runId,
    "baton.task.id": claimed.taskId,
    "baton.task_instance.id": claimed.id,
    "baton.attempt.id": claimed.attemptId,
    "baton.attempt.try_number": claimed.tryNumber,
    ...(claimed.mapIndex >= 0 ? { "baton.task.map_index": claimed.mapIndex } : {}),
  };
  return inSpan(
    "baton.attempt",
    { kind: SpanKind.CONSUMER, parent: contextOf(rows[0]?.traceContext), attributes },
    (span) =>
      fn((outcome) => {
        span?.setAttributes({ "baton.operator": outcome.operator, "baton.attempt.outcome": outcome.state });
        if (outcome.state === "failed")
          span?.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error ?? "failed" });
      }),
  );
}
