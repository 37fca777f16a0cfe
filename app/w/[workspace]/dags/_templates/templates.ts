// Example DAGs a new workspace can start from: picking one opens the editor with it filled in,
// to adapt and save. Plain data (no server code), so the gallery and the editor page can both
// import it; test/unit/dags.templates.test.ts checks each with the server's own validation.
import type { EditorDocument } from "../_editor/document";

export interface DagTemplate {
  /** In the editor's address: /dags/new?template=<key>. */
  key: string;
  title: string;
  summary: string;
  /** What the author must add before it can run (a secret, a connection, a webhook). */
  needs?: string;
  document: EditorDocument;
}

export const dagTemplates: readonly DagTemplate[] = [
  {
    key: "weather",
    title: "Weather pipeline",
    summary: "Fetch a 7-day forecast every night, keep the daily figures, load them into PostgreSQL.",
    needs: "a secret WEATHER_API_KEY and a postgres connection named warehouse",
    document: {
      id: "weather_daily",
      title: "Daily weather forecast",
      description: "Fetch the 7-day forecast, keep the daily figures, load them for the dashboard.",
      tags: ["weather"],
      schedule: { type: "cron", cron: "0 2 * * *", timezone: "Europe/Paris" },
      params: { city: { type: "string", default: "Paris", enum: ["Paris", "Lyon", "Marseille"] } },
      defaults: { retries: 2, retryDelaySeconds: 120 },
      tasks: [
        {
          id: "fetch_weather",
          operator: "http",
          config: {
            url: "https://api.example.com/v1/forecast",
            query: { city: "{{ params.city }}", days: 7 },
            headers: { Authorization: "Bearer {{ secrets.WEATHER_API_KEY }}" },
          },
        },
        {
          id: "transform_weather",
          operator: "code",
          dependsOn: ["fetch_weather"],
          config: {
            inputs: { forecast: "{{ tasks.fetch_weather.output }}", city: "{{ params.city }}" },
            source: [
              "return inputs.forecast.daily.map((day) => ({",
              "  city: inputs.city,",
              "  day: day.date,",
              "  min: day.temperature_min,",
              "  max: day.temperature_max,",
              "}));",
              "",
            ].join("\n"),
          },
        },
        {
          id: "load_to_db",
          operator: "sql",
          dependsOn: ["transform_weather"],
          config: {
            connection: "warehouse",
            statement: [
              "insert into forecast (city, day, min, max)",
              "select city, day, min, max from json_populate_recordset(null::forecast, $1::json)",
              "on conflict (city, day) do update set min = excluded.min, max = excluded.max",
            ].join("\n"),
            parameters: ["{{ tasks.transform_weather.output | json }}"],
          },
        },
      ],
    },
  },
  {
    key: "http-to-sql",
    title: "HTTP → SQL load",
    summary: "Every hour, read the records an API changed in the run's interval and upsert them.",
    needs: "a postgres connection named warehouse",
    document: {
      id: "orders_sync",
      title: "Sync changed orders into the warehouse",
      tags: ["sync"],
      schedule: { type: "interval", every: "1h" },
      defaults: { retries: 3, retryDelaySeconds: 60 },
      tasks: [
        {
          id: "fetch_orders",
          operator: "http",
          config: {
            url: "https://shop.example.com/api/orders",
            query: {
              updatedAfter: "{{ run.data_interval_start }}",
              updatedBefore: "{{ run.data_interval_end }}",
            },
          },
        },
        {
          id: "upsert_orders",
          operator: "sql",
          dependsOn: ["fetch_orders"],
          config: {
            connection: "warehouse",
            statement: [
              "insert into orders (id, status, total)",
              "select id, status, total from json_populate_recordset(null::orders, $1::json)",
              "on conflict (id) do update set status = excluded.status, total = excluded.total",
            ].join("\n"),
            parameters: ["{{ tasks.fetch_orders.output.orders | json }}"],
          },
        },
      ],
    },
  },
  {
    key: "webhook",
    title: "Webhook-triggered deploy check",
    summary: "Runs when a webhook calls it (a push on GitHub, say) with the branch and commit as params.",
    needs: "a webhook pointing at this DAG (Webhooks page) once saved",
    document: {
      id: "on_push",
      title: "Check a pushed commit",
      tags: ["webhook"],
      schedule: null,
      params: {
        branch: { type: "string", default: "main", description: "From the webhook's payload." },
        commit: { type: "string", default: "", description: "The pushed commit's id." },
      },
      tasks: [
        {
          id: "describe_push",
          operator: "code",
          config: {
            inputs: { branch: "{{ params.branch }}", commit: "{{ params.commit }}" },
            source: [
              'log("push to " + inputs.branch + " at " + inputs.commit);',
              'return { release: inputs.branch === "main" };',
              "",
            ].join("\n"),
          },
        },
        {
          id: "check_health",
          operator: "http",
          dependsOn: ["describe_push"],
          config: { url: "https://status.example.com/health", expectedStatus: [200] },
        },
      ],
    },
  },
  {
    key: "fan-out",
    title: "Fan-out",
    summary: "One task lists the work, a mapped task runs once per item, a last one sums up.",
    document: {
      id: "regional_report",
      title: "A report per region",
      tags: ["example"],
      schedule: null,
      tasks: [
        {
          id: "list_regions",
          operator: "code",
          config: { source: 'return { regions: ["eu", "us", "apac"] };\n' },
        },
        {
          id: "report",
          operator: "code",
          dependsOn: ["list_regions"],
          map: { over: "tasks.list_regions.output.regions" },
          config: {
            inputs: { region: "{{ item }}" },
            source: "return { region: inputs.region, rows: inputs.region.length * 10 };\n",
          },
        },
        {
          id: "summarise",
          operator: "code",
          dependsOn: ["report"],
          config: {
            inputs: { reports: "{{ tasks.report.output }}" },
            source: "return { total: inputs.reports.reduce((sum, r) => sum + r.rows, 0) };\n",
          },
        },
      ],
    },
  },
];

export const findTemplate = (key: string | undefined) => dagTemplates.find((t) => t.key === key);
