// What can start a run, as each run records it (`triggeredBy`): by hand in the web app, by the
// scheduler, a backfill, a webhook delivery, the REST API, or another DAG (DAG triggers and
// trigger_dag tasks).
export const runTriggers = ["manual", "schedule", "backfill", "webhook", "api", "dag"] as const;

export type RunTrigger = (typeof runTriggers)[number];
