// The alerts a workspace's rules sent (or held back while muted), newest first, each with what
// triggered it and how each channel took it.
import { notFound } from "@/server/errors";
import { keyset, type PageInput } from "@/server/pagination";
import type { WorkspaceScope } from "@/server/tenancy/door";
import type { AlertState, AlertType, Delivery } from "./incidents";

const alertsOrder = keyset([
  ["createdAt", "desc", "date"],
  ["id", "desc"],
]);

export async function listAlerts(
  scope: WorkspaceScope,
  input: PageInput & { ruleId?: string | undefined; dagKey?: string | undefined },
) {
  if (input.ruleId && !(await scope.db.alertRule.count({ where: { id: input.ruleId } }))) {
    throw notFound("Alert rule");
  }
  let dagId: string | undefined;
  if (input.dagKey) {
    const dag = await scope.db.dag.findFirst({ where: { key: input.dagKey }, select: { id: true } });
    if (!dag) throw notFound("DAG");
    dagId = dag.id;
  }
  const page = await alertsOrder.page(input, ({ where, ...query }) =>
    scope.db.alert.findMany({
      ...query,
      where: { ...(input.ruleId ? { ruleId: input.ruleId } : {}), ...(dagId ? { dagId } : {}), ...where },
      select: {
        id: true,
        createdAt: true,
        type: true,
        state: true,
        ruleId: true,
        ruleName: true,
        ruleKind: true,
        dagKey: true,
        runId: true,
        title: true,
        text: true,
        trigger: true,
        deliveries: true,
      },
    }),
  );
  return {
    items: page.items.map((alert) => ({
      ...alert,
      type: alert.type as AlertType,
      state: alert.state as AlertState,
      deliveries: (alert.deliveries as unknown as Delivery[]).map((d) => ({
        channel: d.channel.channel,
        target: d.target,
        state: d.state,
        error: d.error ?? null,
        at: d.at ? new Date(d.at) : null,
      })),
    })),
    nextCursor: page.nextCursor,
  };
}
