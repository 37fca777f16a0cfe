"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { errorCode } from "@/app/_components/errors";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader, Section } from "@/app/_components/page-header";
import { useWorkspace } from "@/app/_components/shell";
import { buttonClass, link } from "@/app/_components/styles";
import { formatDuration } from "@/app/_components/time";
import { useTRPC } from "@/app/_lib/trpc";
import type { ParamSpec } from "@/server/dags/definition";
import { DagLineage } from "../../_alerts/lineage-links";
import { SlaMissTable } from "../../_alerts/sla-misses";
import { PauseSwitch } from "../_components/pause-switch";
import { describeSchedule, scheduleTimezone } from "../_components/schedule";
import { BackfillDialog, BackfillList } from "./backfills";
import { RunGrid } from "./run-grid";
import { RunList } from "./run-list";
import { TriggerDialog } from "./trigger-dialog";
import { Versions } from "./versions";

export default function DagPage() {
  const { dagId } = useParams<{ dagId: string }>();
  const workspace = useWorkspace();
  const trpc = useTRPC();
  const dag = useQuery(trpc.dags.get.queryOptions({ workspace: workspace.slug, dagId }));
  const [triggering, setTriggering] = useState(false);
  const [backfilling, setBackfilling] = useState(false);
  const [backfillStarted, setBackfillStarted] = useState<number | null>(null);

  if (errorCode(dag.error) === "NOT_FOUND") {
    return (
      <Alert tone="warning" title="DAG not found">
        There is no DAG “{dagId}” in this workspace.{" "}
        <Link href={`/w/${workspace.slug}/dags`} className={link}>
          All DAGs
        </Link>
      </Alert>
    );
  }

  return (
    <Loaded query={dag} label="the DAG">
      {(data) => (
        <>
          <PageHeader
            title={<span className="font-mono">{data.dagId}</span>}
            description={
              <div className="space-y-1">
                {data.title && <p className="text-slate-800">{data.title}</p>}
                <p className="flex flex-wrap items-center gap-x-3 gap-y-1">
                  <span>
                    Version {data.version.number} · {data.document.tasks.length} tasks ·{" "}
                    {describeSchedule(data.schedule)} · estimated{" "}
                    {formatDuration(data.analysis.criticalPathMs)}
                  </span>
                  <PauseSwitch dagId={data.dagId} paused={data.paused} />
                </p>
              </div>
            }
            actions={
              <>
                {workspace.can("dags:write") && (
                  <Link href={`/w/${workspace.slug}/dags/${dagId}/edit`} className={buttonClass("secondary")}>
                    Edit
                  </Link>
                )}
                {workspace.can("runs:operate") && (
                  <>
                    <Button
                      variant="secondary"
                      disabled={!data.schedule}
                      disabledReason="Backfill needs a schedule: this DAG runs only by hand"
                      onClick={() => {
                        setBackfillStarted(null);
                        setBackfilling(true);
                      }}
                    >
                      Backfill
                    </Button>
                    <Button onClick={() => setTriggering(true)}>Trigger</Button>
                  </>
                )}
              </>
            }
          />
          {data.scheduleError && (
            <Alert tone="error" title="Schedule stopped" className="mb-6">
              {data.scheduleError}
            </Alert>
          )}
          {data.archived && (
            <Alert tone="warning" className="mb-6">
              This DAG is archived: it is hidden from the list and cannot run until it is unarchived.
            </Alert>
          )}
          <Section title="Grid" description="Each column is a run (newest on the right); each row a task.">
            <RunGrid
              dagId={dagId}
              tasks={data.analysis.levels.flat()}
              groups={data.document.groups?.map((group) => group.id)}
            />
          </Section>
          <Section title="Runs">
            <RunList dagId={dagId} />
          </Section>
          <Section
            title="SLA misses"
            description="Deadlines of this DAG's sla (and its tasks') that runs missed, newest first."
          >
            <SlaMissTable dagId={dagId} />
          </Section>
          <Section title="Lineage" description="The DAGs this one follows and those that follow it.">
            <DagLineage dagId={dagId} />
          </Section>
          <Section
            title="Backfills"
            description={`Runs for past logical dates of the schedule (${scheduleTimezone(data.schedule)}).`}
          >
            {backfillStarted !== null && (
              <Alert tone="success" className="mb-3">
                Backfill started: {backfillStarted} run{backfillStarted === 1 ? "" : "s"} to create.
              </Alert>
            )}
            <BackfillList
              dagId={dagId}
              timezone={scheduleTimezone(data.schedule)}
              scheduled={Boolean(data.schedule)}
            />
          </Section>
          <Section
            title="Versions"
            description="Every save is a version; runs keep the version they started on."
          >
            <Versions dagId={dagId} />
          </Section>
          {triggering && (
            <TriggerDialog
              dagId={dagId}
              params={data.document.params as Record<string, ParamSpec>}
              open
              onClose={() => setTriggering(false)}
            />
          )}
          {backfilling && (
            <BackfillDialog
              dagId={dagId}
              timezone={scheduleTimezone(data.schedule)}
              params={data.document.params as Record<string, ParamSpec>}
              open
              onClose={() => setBackfilling(false)}
              onCreated={(backfill) => {
                setBackfilling(false);
                setBackfillStarted(backfill.total);
              }}
            />
          )}
        </>
      )}
    </Loaded>
  );
}
