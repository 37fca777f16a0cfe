// The operators a task may use, by name: what the validator checks configs against and what the
// editor's palette lists.
import { z } from "zod";
import { approvalOperator } from "./definitions/approval";
import { branchOperator } from "./definitions/branch";
import { codeOperator } from "./definitions/code";
import { externalRunSensorOperator } from "./definitions/external-run-sensor";
import { httpOperator } from "./definitions/http";
import { httpSensorOperator } from "./definitions/http-sensor";
import { noopOperator } from "./definitions/noop";
import { notifyOperator } from "./definitions/notify";
import { pythonOperator } from "./definitions/python";
import { pythonScriptOperator, shellOperator } from "./definitions/shell";
import { sleepOperator } from "./definitions/sleep";
import { sqlOperator } from "./definitions/sql";
import { sqlSensorOperator } from "./definitions/sql-sensor";
import { testOperator } from "./definitions/test";
import { timeSensorOperator } from "./definitions/time-sensor";
import { triggerDagOperator } from "./definitions/trigger-dag";
import type { OperatorIconName } from "./icons";
import type { ConnectionType, OperatorDefinition } from "./types";

/** In palette order. */
const operators: OperatorDefinition[] = [
  httpOperator,
  sqlOperator,
  codeOperator,
  pythonOperator,
  shellOperator,
  pythonScriptOperator,
  branchOperator,
  notifyOperator,
  approvalOperator,
  triggerDagOperator,
  httpSensorOperator,
  sqlSensorOperator,
  timeSensorOperator,
  externalRunSensorOperator,
  sleepOperator,
  noopOperator,
  testOperator,
];

export const operatorCatalog: ReadonlyMap<string, OperatorDefinition> = new Map(
  operators.map((operator) => [operator.name, operator]),
);

/** An operator as the editor's palette sees it: plain data, the config schema as JSON Schema. */
export interface OperatorSummary {
  name: string;
  title: string;
  description: string;
  icon: OperatorIconName;
  docs: string;
  templatedFields: string[];
  connectionFields: Record<string, readonly ConnectionType[]>;
  defaults: unknown;
  configJsonSchema: Record<string, unknown>;
}

let summaries: OperatorSummary[] | undefined;

export function listOperators(): OperatorSummary[] {
  summaries ??= operators.map((operator) => ({
    name: operator.name,
    title: operator.title,
    description: operator.description,
    icon: operator.icon,
    docs: operator.docs,
    templatedFields: operator.templatedFields,
    connectionFields: operator.connectionFields ?? {},
    defaults: operator.defaults ?? {},
    // "input": fields with defaults are optional, as they are when writing a document.
    configJsonSchema: z.toJSONSchema(operator.configSchema, { io: "input" }) as Record<string, unknown>,
  }));
  return summaries;
}
