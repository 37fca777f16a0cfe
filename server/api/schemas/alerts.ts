// Answers of the SLA, alert and lineage procedures.
import { z } from "zod";
import { AlertRuleKind, SlaKind } from "@/prisma/generated/enums";
import { alertChannelSchema } from "@/server/alerts/channels";
import { pageOf } from "@/server/pagination";
import { storedJson, timestamp } from "./common";

export const slaMissSchema = z
  .object({
    id: z.string(),
    dagKey: z.string().describe("The DAG's id"),
    runId: z.string(),
    runLogicalDate: timestamp,
    taskId: z.string().nullable().describe("The task whose SLA it is; null for the DAG's own"),
    kind: z.enum(SlaKind).describe("finish_by, max_duration or start_within"),
    deadline: timestamp,
    detectedAt: timestamp,
    metAt: timestamp
      .nullable()
      .describe("When the run (task) succeeded, or started for start_within; null if not yet"),
    lateSeconds: z.number().int().describe("Seconds past the deadline: until metAt, or until now"),
    state: z.string().describe("The run's (task's) state now"),
  })
  .meta({ id: "SlaMiss", description: "A deadline of an SLA that a run missed, and how late" });
export const slaMissPage = pageOf(slaMissSchema);

export const alertChannel = alertChannelSchema.meta({
  id: "AlertChannel",
  description:
    "Where an alert rule's messages go: e-mail, Slack, webhook (the notify operator's channels) or in-app",
});

export const ruleSettings = z
  .object({
    count: z.number().int().optional(),
    factor: z.number().optional(),
    minSamples: z.number().int().optional(),
    refusals: z.number().int().optional(),
    windowMinutes: z.number().int().optional(),
  })
  .meta({ id: "AlertRuleSettings", description: "The settings of the rule's kind, defaults filled in" });

export const alertRuleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(AlertRuleKind),
    dagId: z.string().nullable().describe("The DAG it watches; null for every DAG"),
    settings: ruleSettings,
    channels: z.array(alertChannel),
    throttleMinutes: z.number().int().describe("At most one message per rule and DAG in this many minutes"),
    enabled: z.boolean(),
    mutedUntil: timestamp.nullable(),
    muted: z.boolean(),
    openIncidents: z.number().int().describe("DAGs (or endpoints) whose condition holds now"),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "AlertRule", description: "When to alert, whom, and how often at most" });
export const alertRulePage = pageOf(alertRuleSchema);

export const alertSchema = z
  .object({
    id: z.string(),
    createdAt: timestamp,
    type: z.enum(["firing", "reminder", "resolved"]),
    state: z.enum(["pending", "sent", "partial", "failed", "muted"]),
    ruleId: z.string().nullable().describe("null once the rule is deleted"),
    ruleName: z.string(),
    ruleKind: z.enum(AlertRuleKind),
    dagKey: z.string().nullable(),
    runId: z.string().nullable(),
    title: z.string(),
    text: z.string(),
    trigger: storedJson.describe(
      "What triggered it: the run and failed tasks, the SLA miss, the tasks, the endpoint",
    ),
    deliveries: z.array(
      z.object({
        channel: z.enum(["email", "slack", "webhook", "in_app"]),
        target: z.string(),
        state: z.enum(["pending", "sent", "failed", "muted"]),
        error: z.string().nullable(),
        at: timestamp.nullable(),
      }),
    ),
  })
  .meta({ id: "Alert", description: "A message an alert rule sent (or held back while muted)" });
export const alertPage = pageOf(alertSchema);

const lineageEvent = z
  .object({
    at: timestamp,
    upstreamRunId: z.string().nullable(),
    downstreamRunId: z.string().nullable(),
    state: z.string().nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: "LineageEvent", description: "The last time a link between two DAGs carried something" });

export const lineageEdge = z
  .object({
    id: z.string(),
    kind: z.enum(["dag_trigger", "trigger_dag", "sensor"]),
    from: z.string().describe("The upstream DAG's id"),
    to: z.string().describe("The downstream DAG's id"),
    taskId: z.string().nullable().describe("The trigger_dag task (in from) or the sensor task (in to)"),
    on: z.array(z.string()).describe("The outcomes a trigger follows, or the state a sensor waits for"),
    enabled: z.boolean(),
    pending: z
      .object({ since: timestamp, upstreamRunId: z.string() })
      .nullable()
      .describe("A DAG trigger that fired and waits for its DAG's triggerCondition to hold"),
    lastEvent: lineageEvent.nullable(),
  })
  .meta({ id: "LineageEdge", description: "A link from one DAG to another" });

export const lineageGraph = z
  .object({
    nodes: z.array(
      z.object({
        dagId: z.string(),
        title: z.string().nullable(),
        paused: z.boolean(),
        archived: z.boolean(),
        missing: z.boolean().describe("Named by a link, but no such DAG exists"),
        lastRun: z.object({ id: z.string(), state: z.string(), queuedAt: timestamp }).nullable(),
      }),
    ),
    edges: z.array(lineageEdge),
    unlinked: z.number().int().describe("DAGs without any link, left out of nodes"),
  })
  .meta({ id: "LineageGraph", description: "The DAGs of the workspace and how they feed each other" });

export const dagLineage = z
  .object({
    dagId: z.string(),
    upstream: z.array(lineageEdge).describe("Links into the DAG"),
    downstream: z.array(lineageEdge).describe("Links out of the DAG"),
  })
  .meta({ id: "DagLineage", description: "A DAG's upstream and downstream links" });
