"use client";
import { useState } from "react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { Field, SelectField } from "@/app/_components/field";
// The side panel of the editor: the selected task's form (common fields, dependencies, the
// operator's config form) or, with nothing selected, the DAG's own settings. Every change is a new
// document handed to `onEdit`, with a key so that typing in one field makes one undo step.
import { OperatorIcon } from "@/app/_components/operator-icon";
import { control } from "@/app/_components/styles";
import { TimeZoneField } from "@/app/_components/time-zone-field";
import type { Problem } from "@/server/dags/validate";
import type { OperatorSummary } from "@/server/operators/catalog";
import { configKeyOf, type EditorDocument, type EditorTask, updateTask, withField } from "./document";
import { SchedulePreview } from "./schedule-preview";
import { ConfigField, type JsonSchema, SchemaForm } from "./schema-form";
import type { TaskProblem, Validation } from "./use-validation";

export type Edit = (document: EditorDocument, coalesce?: string) => void;

const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

function ProblemList({ title, problems }: { title: string; problems: readonly Problem[] }) {
  if (problems.length === 0) return null;
  return (
    <Alert tone="error" title={title}>
      <ul className="list-disc space-y-0.5 pl-4">
        {problems.map((problem) => (
          <li key={`${problem.path}:${problem.message}`}>
            {problem.path && <code className="font-mono text-xs">{problem.path}</code>} {problem.message}
          </li>
        ))}
      </ul>
    </Alert>
  );
}

function Group({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <fieldset className="space-y-4 border-t border-slate-200 pt-4">
      <legend className="pr-2 text-xs font-semibold tracking-wide text-slate-500 uppercase">{title}</legend>
      {children}
    </fieldset>
  );
}

/** The task's id, renamed (with the dependencies naming it) when the new one is committed. */
function TaskIdField({
  document,
  task,
  error,
  onRename,
}: {
  document: EditorDocument;
  task: EditorTask;
  error: string | undefined;
  onRename: (id: string) => void;
}) {
  const [draft, setDraft] = useState<string | null>(null);
  const value = draft ?? task.id;
  const taken = draft !== null && draft !== task.id && document.tasks.some((t) => t.id === draft);
  const local = taken ? `Another task is called ${draft}` : draft === "" ? "Enter an id" : undefined;
  function commit() {
    if (draft !== null && !local && draft !== task.id) onRename(draft);
    setDraft(null);
  }
  return (
    <Field
      label="Task id"
      value={value}
      error={local ?? error}
      hint={draft !== null && !local ? "Press Enter to rename; dependencies follow." : undefined}
      spellCheck={false}
      autoComplete="off"
      className="[&_input]:font-mono"
      onChange={(event) => setDraft(event.target.value)}
      onBlur={commit}
      onKeyDown={(event) => {
        if (event.key === "Enter") commit();
        if (event.key === "Escape") setDraft(null);
      }}
    />
  );
}

function Dependencies({
  document,
  task,
  problems,
  onAdd,
  onRemove,
}: {
  document: EditorDocument;
  task: EditorTask;
  problems: readonly TaskProblem[];
  onAdd: (upstream: string) => void;
  onRemove: (upstream: string) => void;
}) {
  const dependsOn = task.dependsOn ?? [];
  const candidates = document.tasks.filter((t) => t.id !== task.id && !dependsOn.includes(t.id));
  return (
    <div>
      <p className="text-sm font-medium text-slate-800">Depends on</p>
      {dependsOn.length === 0 ? (
        <p className="mt-1 text-sm text-slate-500">
          Nothing: it starts first. Connect a task’s right handle to this one.
        </p>
      ) : (
        <ul className="mt-1.5 flex flex-wrap gap-1.5" aria-label={`Tasks ${task.id} depends on`}>
          {dependsOn.map((upstream) => (
            <li
              key={upstream}
              className="inline-flex items-center gap-1 rounded-md bg-slate-100 py-0.5 pr-1 pl-2 font-mono text-xs text-slate-800"
            >
              {upstream}
              <button
                type="button"
                onClick={() => onRemove(upstream)}
                className="rounded px-1 text-slate-500 hover:bg-slate-200 hover:text-slate-900"
                aria-label={`Remove the dependency on ${upstream}`}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {problems.map((problem) => (
        <p key={problem.path} className="mt-1.5 text-sm text-red-700">
          {problem.message}
        </p>
      ))}
      {candidates.length > 0 && (
        <select
          aria-label={`Add a task that ${task.id} depends on`}
          value=""
          onChange={(event) => event.target.value && onAdd(event.target.value)}
          className={`${control} mt-2 w-full py-1.5 pr-8 text-sm`}
        >
          <option value="">Add a dependency…</option>
          {candidates.map((candidate) => (
            <option key={candidate.id} value={candidate.id}>
              {candidate.id}
            </option>
          ))}
        </select>
      )}
    </div>
  );
}

/** Common task settings: empty means "inherit the DAG's defaults". */
const settingSchemas: Array<[string, JsonSchema]> = [
  ["retries", { type: "integer", minimum: 0, maximum: 100 }],
  ["retryDelaySeconds", { type: "number", minimum: 0 }],
  ["timeoutSeconds", { type: "number", exclusiveMinimum: 0 }],
  ["pool", { type: "string" }],
  ["priorityWeight", { type: "integer", minimum: -1000, maximum: 1000 }],
  ["estimatedDurationSeconds", { type: "number", minimum: 0 }],
];

export function TaskInspector({
  document,
  task,
  operator,
  operators,
  triggerRules,
  problems,
  onEdit,
  onRename,
  onConnect,
  onDelete,
}: {
  document: EditorDocument;
  task: EditorTask;
  operator: OperatorSummary | undefined;
  operators: readonly OperatorSummary[];
  triggerRules: readonly string[];
  problems: readonly TaskProblem[];
  onEdit: Edit;
  onRename: (from: string, to: string) => void;
  onConnect: (upstream: string, downstream: string) => void;
  onDelete: (id: string) => void;
}) {
  const config = asRecord(task.config);
  const defaults = asRecord(document.defaults);
  const set = (field: string, value: unknown) =>
    onEdit(
      updateTask(document, task.id, (t) => withField(t, field, value)),
      `${task.id}.${field}`,
    );
  const setConfig = (next: Record<string, unknown>, key: string) =>
    onEdit(
      updateTask(document, task.id, (t) => ({ ...t, config: next })),
      `${task.id}.config.${key}`,
    );

  // Problems by where they show: config keys, task fields, or the list at the top.
  const configProblems: Record<string, string> = {};
  const fieldProblems: Record<string, string> = {};
  const dependencyProblems: TaskProblem[] = [];
  const rest: TaskProblem[] = [];
  const shownKeys = new Set(Object.keys(asRecord(asRecord(operator?.configJsonSchema).properties)));
  for (const problem of problems) {
    const configKey = configKeyOf(problem.field);
    const top = problem.field.split(/[.[]/)[0]!;
    if (configKey !== undefined && shownKeys.has(configKey)) configProblems[configKey] ??= problem.message;
    else if (top === "dependsOn") dependencyProblems.push(problem);
    else if (top && top !== "config" && !fieldProblems[top]) fieldProblems[top] = problem.message;
    else rest.push(problem);
  }

  return (
    <div className="space-y-4">
      <div className="flex items-start justify-between gap-2">
        <div className="min-w-0">
          <h2 className="flex items-center gap-2 text-base font-semibold text-slate-900">
            <OperatorIcon name={operator?.icon} className="size-4 text-slate-600" />
            <span className="truncate font-mono">{task.id}</span>
          </h2>
          <p className="mt-0.5 text-xs text-slate-600">
            {operator?.description ?? `Unknown operator ${task.operator}`}
          </p>
        </div>
        <Button variant="ghost" size="sm" onClick={() => onDelete(task.id)} title="Delete (Delete key)">
          Delete task
        </Button>
      </div>
      <ProblemList title="Problems with this task" problems={rest} />
      <TaskIdField
        key={task.id}
        document={document}
        task={task}
        error={fieldProblems.id}
        onRename={(id) => onRename(task.id, id)}
      />
      <SelectField
        label="Operator"
        value={task.operator}
        error={fieldProblems.operator}
        onChange={(event) => {
          const next = operators.find((o) => o.name === event.target.value);
          if (!next) return;
          onEdit(
            updateTask(document, task.id, (t) => ({
              ...t,
              operator: next.name,
              config: structuredClone(asRecord(next.defaults)),
            })),
          );
        }}
      >
        {!operator && <option value={task.operator}>{task.operator}</option>}
        {operators.map((o) => (
          <option key={o.name} value={o.name}>
            {o.title} ({o.name})
          </option>
        ))}
      </SelectField>
      <ConfigField
        name="description"
        schema={{ type: "string" }}
        value={task.description}
        required={false}
        error={fieldProblems.description}
        templated={false}
        onChange={(value) => set("description", value)}
      />
      <Dependencies
        document={document}
        task={task}
        problems={dependencyProblems}
        onAdd={(upstream) => onConnect(upstream, task.id)}
        onRemove={(upstream) =>
          onEdit(
            updateTask(document, task.id, (t) => ({
              ...t,
              dependsOn: (t.dependsOn ?? []).filter((d) => d !== upstream),
            })),
          )
        }
      />
      <Group title="Config">
        {operator ? (
          <SchemaForm
            schema={operator.configJsonSchema as JsonSchema}
            config={config}
            problems={configProblems}
            templatedFields={[
              ...operator.templatedFields,
              ...((task.templated as string[] | undefined) ?? []),
            ]}
            connectionFields={operator.connectionFields}
            onField={(key, value) => setConfig(withField(config, key, value), key)}
            onReplace={(next) => setConfig(next, "*")}
          />
        ) : (
          <p className="text-sm text-slate-600">
            Choose a known operator to edit the config here, or use the Code tab.
          </p>
        )}
      </Group>
      <Group title="Running">
        <SelectField
          label="triggerRule"
          value={typeof task.triggerRule === "string" ? task.triggerRule : ""}
          error={fieldProblems.triggerRule}
          onChange={(event) => set("triggerRule", event.target.value || undefined)}
          className="[&_label]:font-mono"
        >
          <option value="">Default (all_success)</option>
          {triggerRules.map((rule) => (
            <option key={rule} value={rule}>
              {rule}
            </option>
          ))}
        </SelectField>
        {settingSchemas.map(([name, schema]) => (
          <ConfigField
            key={name}
            name={name}
            schema={{ ...schema, default: defaults[name] ?? schema.default }}
            value={task[name]}
            required={false}
            error={fieldProblems[name]}
            templated={false}
            onChange={(value) => set(name, value)}
          />
        ))}
      </Group>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------

const topKey = (path: string) => path.split(/[.[]/)[0]!;

function ScheduleFields({
  schedule,
  problems,
  onChange,
}: {
  schedule: Record<string, unknown> | null;
  problems: readonly Problem[];
  onChange: (schedule: Record<string, unknown> | null) => void;
}) {
  const type = typeof schedule?.type === "string" ? schedule.type : "";
  const problemAt = (path: string) => problems.find((p) => p.path === path)?.message;
  return (
    <div className="space-y-3">
      <SelectField
        label="Schedule"
        value={type}
        error={problemAt("schedule") ?? problemAt("schedule.type")}
        onChange={(event) => {
          const next = event.target.value;
          if (next === "cron") onChange({ type: "cron", cron: "0 2 * * *", timezone: "UTC" });
          else if (next === "interval") onChange({ type: "interval", every: "1h" });
          else onChange(null);
        }}
      >
        <option value="">Manual only (no schedule)</option>
        <option value="cron">Cron expression</option>
        <option value="interval">Fixed interval</option>
      </SelectField>
      {type === "cron" && (
        <>
          <Field
            label="Cron expression"
            value={typeof schedule?.cron === "string" ? schedule.cron : ""}
            error={problemAt("schedule.cron")}
            hint="minute hour day-of-month month day-of-week, or @daily, @hourly…"
            className="[&_input]:font-mono"
            onChange={(event) => onChange({ ...schedule, cron: event.target.value })}
          />
          <TimeZoneField
            value={typeof schedule?.timezone === "string" ? schedule.timezone : ""}
            error={problemAt("schedule.timezone")}
            onChange={(zone) => onChange(withField(schedule ?? {}, "timezone", zone || undefined))}
          />
        </>
      )}
      {type === "interval" && (
        <Field
          label="Every"
          value={typeof schedule?.every === "string" ? schedule.every : ""}
          error={problemAt("schedule.every")}
          hint="15m, 1h30m, 1d…"
          onChange={(event) => onChange({ ...schedule, every: event.target.value })}
        />
      )}
    </div>
  );
}

export function DagSettings({
  document,
  problems,
  validation,
  idEditable,
  onEdit,
}: {
  document: EditorDocument;
  problems: readonly Problem[];
  /** The last validation, for the schedule preview. */
  validation: Validation | null;
  idEditable: boolean;
  onEdit: Edit;
}) {
  const set = (field: string, value: unknown) => onEdit(withField(document, field, value), `dag.${field}`);
  const problemOf = (field: string) => problems.find((p) => topKey(p.path) === field)?.message;
  const listed = new Set([
    "id",
    "title",
    "description",
    "tags",
    "schedule",
    "startDate",
    "params",
    "defaults",
  ]);
  const rest = problems.filter((p) => !listed.has(topKey(p.path)));
  const field = (name: string, schema: JsonSchema, required = false) => (
    <ConfigField
      name={name}
      schema={schema}
      value={document[name]}
      required={required}
      error={problemOf(name)}
      templated={false}
      onChange={(value) => set(name, value)}
    />
  );
  return (
    <div className="space-y-4">
      <div>
        <h2 className="text-base font-semibold text-slate-900">DAG settings</h2>
        <p className="mt-0.5 text-xs text-slate-600">Select a task on the canvas to edit it.</p>
      </div>
      <ProblemList title="Problems with the DAG" problems={rest} />
      {idEditable ? (
        field(
          "id",
          { type: "string", description: "a-z, 0-9, _ and -; used in URLs. Cannot change later." },
          true,
        )
      ) : (
        <Field label="id" value={document.id} readOnly className="[&_input]:font-mono [&_label]:font-mono" />
      )}
      {field("title", { type: "string" })}
      {field("description", { type: "string" })}
      {field("tags", { type: "array", items: { type: "string" } })}
      <ScheduleFields
        schedule={(document.schedule as Record<string, unknown> | null | undefined) ?? null}
        problems={problems.filter((p) => topKey(p.path) === "schedule")}
        onChange={(schedule) => set("schedule", schedule)}
      />
      {field("startDate", { type: "string", description: "2025-01-31, or a date-time with offset" })}
      <SchedulePreview schedule={document.schedule} validation={validation} />
      {field("params", {
        description: 'Run parameters, e.g. {"city": {"type": "string", "default": "Paris"}}',
      })}
      {field("defaults", { description: 'Settings every task inherits, e.g. {"retries": 2}' })}
    </div>
  );
}
