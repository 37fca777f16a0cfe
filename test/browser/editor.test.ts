// The DAG editor and run monitoring in a real Chromium, as an author lives them: the weather
// pipeline drawn from scratch (an HTTP fetch from a local server, a code transform, a SQL load into
// this test's database), saved, triggered and watched live; a failing transform fixed and cleared
// with its downstream task; a second version and its diff; the code tab and the canvas in step.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { generateKey } from "@/server/secrets/crypto";
import { type App, launchBrowser, newPerson, screenshot, signIn, startApp } from "../support/browser";
import { startTestWorker, stopTestWorker } from "../support/engine";
import { createUser } from "../support/factories";

// The worker runs in this process and the app in a child: both read these.
process.env.BATON_HTTP_ALLOW = "127.0.0.1/32";
process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

let app: App;
let browser: Browser;
let weather: Server;
let weatherUrl: string;
let admin: pg.Client;
let author: Awaited<ReturnType<typeof createUser>>;
let person: Awaited<ReturnType<typeof newPerson>>;
let page: Page;

/** The forecast API's key, kept as a workspace secret. */
const API_KEY = "k3y-for-the-forecast";

/** A forecast API, slow enough (1.2 s) for the run to be watched as it goes. */
function startWeatherServer(): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.headers.authorization !== `Bearer ${API_KEY}`) {
      response.statusCode = 401;
      response.end("{}");
      return;
    }
    const city = new URL(request.url ?? "/", "http://localhost").searchParams.get("city") ?? "Paris";
    setTimeout(() => {
      response.setHeader("content-type", "application/json");
      response.end(
        JSON.stringify({
          city,
          daily: [
            { date: "2025-01-01", temperature_min: 1.5, temperature_max: 7.25 },
            { date: "2025-01-02", temperature_min: -2, temperature_max: 3 },
          ],
        }),
      );
    }, 1200);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  weather = await startWeatherServer();
  weatherUrl = `http://127.0.0.1:${(weather.address() as AddressInfo).port}/forecast`;
  admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(
    "CREATE TABLE forecast (city text, day date, min numeric, max numeric, PRIMARY KEY (city, day))",
  );
  author = await createUser("author");
  app = await startApp();
  browser = await launchBrowser();
  await startTestWorker(4);
  person = await newPerson(browser, app);
  page = person.page;
  await page.setViewportSize({ width: 1440, height: 960 });
  await signIn(page, author);
});

afterAll(async () => {
  await stopTestWorker();
  await browser?.close();
  await app?.stop();
  await admin?.end();
  weather?.close();
});

const ws = () => `/w/${author.workspace.slug}`;
const node = (id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
const handle = (id: string, kind: "source" | "target") => node(id).locator(`.react-flow__handle.${kind}`);

/** Whether the inspector (showing `task`) lists `upstream` among its dependencies. */
async function dependsOn(task: string, upstream: string) {
  const list = page.getByLabel(`Tasks ${task} depends on`);
  return (await list.count()) > 0 && ((await list.textContent()) ?? "").includes(upstream);
}

/**
 * Draws a connection from one task's source handle to another's target handle, in steps, aiming
 * at where the target is at the end of the move (the canvas may still be settling after an edit),
 * and draws it again until `done` says it took: on a loaded machine a drag can miss.
 */
async function connectUntil(from: string, to: string, done: () => Promise<boolean>) {
  const centre = async (kind: "source" | "target", id: string) => {
    const box = (await handle(id, kind).boundingBox())!;
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  };
  await expect
    .poll(
      async () => {
        if (await done()) return true;
        const start = await centre("source", from);
        await page.mouse.move(start.x, start.y);
        await page.mouse.down();
        const end = await centre("target", to);
        await page.mouse.move(end.x, end.y, { steps: 10 });
        const settled = await centre("target", to);
        await page.mouse.move(settled.x, settled.y, { steps: 2 });
        await page.mouse.up();
        return done();
      },
      { timeout: 30_000, interval: 1_000 },
    )
    .toBe(true);
}

/** The state each task shows on the run graph, read from its accessible name ("Task x, Success"). */
async function taskStates(ids: string[]) {
  const states = await Promise.all(
    ids.map(
      async (id) => /^Task \S+, ([^,]+)/.exec((await node(id).getAttribute("aria-label")) ?? "")?.[1] ?? "",
    ),
  );
  return Object.fromEntries(ids.map((id, i) => [id, states[i]!]));
}

const pipeline = ["fetch_weather", "transform_weather", "load_to_db"];

/** Attempts per task of a run, from the database. */
async function attemptsOf(runId: string) {
  const instances = await db.taskInstance.findMany({
    where: { runId, mapIndex: -1 },
    select: { taskId: true, state: true, _count: { select: { attempts: true } } },
  });
  return Object.fromEntries(
    instances.map((t) => [t.taskId, { state: t.state, attempts: t._count.attempts }]),
  );
}

describe("the weather pipeline", () => {
  let firstRun: string;

  it("is authored from scratch in the editor, saved, triggered and watched live", async () => {
    // What the pipeline needs: a warehouse connection (this test's database) and a variable.
    const url = new URL(process.env.DATABASE_URL!);
    await page.goto(`${ws()}/connections`);
    await page.getByRole("button", { name: "New connection" }).click();
    await page.getByLabel("Name").fill("warehouse");
    await page.getByLabel("Host").fill(url.hostname === "localhost" ? "127.0.0.1" : url.hostname);
    await page.getByLabel("Port").fill(url.port || "5432");
    await page.getByLabel("Database").fill(url.pathname.slice(1));
    await page.getByLabel("User").fill(decodeURIComponent(url.username));
    if (url.password) await page.getByLabel("Password").fill(decodeURIComponent(url.password));
    await page.getByLabel("Require TLS").uncheck();
    await page.getByRole("button", { name: "Create connection" }).click();
    await page.getByRole("cell", { name: "warehouse", exact: true }).waitFor();
    await screenshot(page, "connections");

    await page.goto(`${ws()}/variables`);
    await page.getByRole("button", { name: "New variable" }).click();
    await page.getByLabel("Key").fill("units");
    await page.getByLabel("Value").fill("celsius");
    await page.getByRole("button", { name: "Create variable" }).click();
    await page.getByRole("cell", { name: "units", exact: true }).waitFor();
    await screenshot(page, "variables");

    await page.goto(`${ws()}/secrets`);
    await page.getByRole("button", { name: "New secret" }).click();
    await page.getByLabel("Name").fill("WEATHER_API_KEY");
    await page.getByLabel("Value").fill(API_KEY);
    await page.getByRole("button", { name: "Create secret" }).click();
    await page.getByRole("cell", { name: "WEATHER_API_KEY", exact: true }).waitFor();
    expect(await page.content()).not.toContain(API_KEY);
    await screenshot(page, "secrets");

    // The DAG list is empty and says what to do next.
    await page.getByRole("link", { name: "DAGs" }).click();
    await page.getByText("No DAGs yet").waitFor();
    await screenshot(page, "dags-empty");
    await page.getByRole("link", { name: "Create your first DAG" }).click();
    await page.waitForURL(/\/dags\/new$/);

    // DAG settings: id and a city param.
    await page.getByLabel("id (required)").fill("weather_daily");
    await page
      .getByRole("textbox", { name: "params" })
      .fill('{"city": {"type": "string", "enum": ["Paris", "Lyon"], "default": "Paris"}}');

    // fetch_weather: an HTTP request to the local forecast API.
    await page.getByRole("button", { name: "Add HTTP request task" }).click();
    await page.getByLabel("Task id").fill("fetch_weather");
    await page.getByLabel("Task id").press("Enter");
    await page.getByLabel("url (required)").fill(weatherUrl);
    await page.getByRole("textbox", { name: "query" }).fill('{"city": "{{ params.city }}"}');
    const headers = page.getByRole("textbox", { name: "headers" });
    await headers.fill('{"Authorization": ');
    await page.getByLabel("Insert a reference into headers").selectOption("secrets.WEATHER_API_KEY");
    await headers.press("End");
    await headers.pressSequentially("}");
    // A header value is a string with the reference inside: make it "Bearer {{ … }}".
    await headers.fill(
      (await headers.inputValue()).replace(
        '"{{ secrets.WEATHER_API_KEY }}"',
        '"Bearer {{ secrets.WEATHER_API_KEY }}"',
      ),
    );

    // transform_weather: code, depending on fetch_weather through a connection drawn on the canvas.
    await page.getByRole("button", { name: "Add Code task" }).click();
    await page.getByLabel("Task id").fill("transform_weather");
    await page.getByLabel("Task id").press("Enter");
    await connectUntil("fetch_weather", "transform_weather", () =>
      dependsOn("transform_weather", "fetch_weather"),
    );
    await page
      .getByLabel("source (required)")
      .fill(
        [
          "const factor = { celsius: [1, 0], fahrenheit: [1.8, 32] }[inputs.units];",
          'if (!factor) throw new Error("unknown units: " + inputs.units);',
          'console.log("days", inputs.forecast.daily.length);',
          "return inputs.forecast.daily.map((d) => ({ city: inputs.forecast.city, day: d.date,",
          "  min: d.temperature_min * factor[0] + factor[1], max: d.temperature_max * factor[0] + factor[1] }));",
        ].join("\n"),
      );
    // The upstream output comes from the reference picker, at the cursor.
    const inputs = page.getByRole("textbox", { name: "inputs" });
    await inputs.fill('{"units": "{{ vars.units }}", "forecast": ');
    await page.getByLabel("Insert a reference into inputs").selectOption("tasks.fetch_weather.output");
    await inputs.press("End");
    await inputs.pressSequentially("}");
    expect(await inputs.inputValue()).toBe(
      '{"units": "{{ vars.units }}", "forecast": "{{ tasks.fetch_weather.output }}"}',
    );

    // load_to_db: SQL on the warehouse connection.
    await page.getByRole("button", { name: "Add SQL statement task" }).click();
    await page.getByLabel("Task id").fill("load_to_db");
    await page.getByLabel("Task id").press("Enter");
    await connectUntil("transform_weather", "load_to_db", () => dependsOn("load_to_db", "transform_weather"));
    await page.getByLabel("connection (required)").selectOption("warehouse");
    await page
      .getByLabel("statement (required)")
      .fill(
        "insert into forecast (city, day, min, max) select city, day, min, max " +
          "from json_populate_recordset(null::forecast, $1::json) " +
          "on conflict (city, day) do update set min = excluded.min, max = excluded.max",
      );
    await page
      .getByRole("textbox", { name: "parameters" })
      .fill('["{{ tasks.transform_weather.output | json }}"]');

    // A connection that would close a cycle is refused, with the cycle spelt out.
    await connectUntil("load_to_db", "fetch_weather", () =>
      page.getByText("Refused: load_to_db → fetch_weather would close a cycle").isVisible(),
    );

    // Live analysis: valid, the critical path is the whole chain, highlighted on the canvas.
    const analysis = page.getByRole("region", { name: "Analysis" });
    await expect.poll(() => analysis.textContent(), { timeout: 30_000 }).toContain("Valid");
    expect(await analysis.textContent()).toContain("fetch_weather → transform_weather → load_to_db");
    expect(await analysis.textContent()).toContain("Width 1");
    expect(await node("transform_weather").textContent()).toContain("critical");
    await screenshot(page, "editor");

    // Ctrl+S saves a first version with a message, and opens the DAG's page.
    await page.keyboard.press("Control+s");
    await page.getByLabel("What changed?").fill("The weather pipeline");
    await page.getByRole("button", { name: "Save version" }).click();
    await page.waitForURL(/\/dags\/weather_daily$/);

    // Trigger with a param from the generated form.
    await page.getByRole("button", { name: "Trigger" }).click();
    await page.getByLabel("city").selectOption("Lyon");
    await page.getByLabel("Note").fill("first light");
    await screenshot(page, "trigger-dialog");
    await page.getByRole("button", { name: "Trigger run" }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]+$/);
    firstRun = page.url().split("/").at(-1)!;

    // Every task turns green on the graph as the run goes, without reloading.
    const seen: Array<Record<string, string>> = [];
    await expect
      .poll(
        async () => {
          const states = await taskStates(pipeline);
          seen.push(states);
          return Object.values(states).every((s) => s === "Success");
        },
        { timeout: 30_000, interval: 150 },
      )
      .toBe(true);
    // Before the end, the graph showed the run in progress (the fetch takes 1.2 s).
    expect(seen.some((states) => states.load_to_db !== "Success")).toBe(true);
    expect(seen.some((states) => states.fetch_weather === "Running")).toBe(true);
    await page
      .getByRole("heading", { name: /Run of weather_daily/ })
      .getByText("Success")
      .waitFor();
    await screenshot(page, "run");

    // A task's log, with search.
    await node("transform_weather").click();
    const log = page.getByRole("log", { name: "Log of transform_weather, attempt 1" });
    await expect.poll(() => log.textContent(), { timeout: 30_000 }).toContain("days 2");
    await page.getByLabel("Search the log").fill("days");
    await expect.poll(() => log.textContent(), { timeout: 30_000 }).not.toContain("the code returned");
    expect(await page.getByRole("complementary", { name: "Task transform_weather" }).textContent()).toContain(
      '"city": "Lyon"',
    );
    await screenshot(page, "run-task-log");

    const rows = await admin.query(
      "SELECT city, day::text, min::float, max::float FROM forecast ORDER BY day",
    );
    expect(rows.rows).toEqual([
      { city: "Lyon", day: "2025-01-01", min: 1.5, max: 7.25 },
      { city: "Lyon", day: "2025-01-02", min: -2, max: 3 },
    ]);
    expect(person.consoleErrors).toEqual([]);
  });

  it("fails red; after fixing the DAG, clearing with downstream on the latest version re-runs only transform and load", async () => {
    // The `units` variable is set to a unit the transform does not know.
    await setUnits("kelvin");
    await page.goto(`${ws()}/dags/weather_daily`);
    await page.getByRole("button", { name: "Trigger" }).click();
    await page.getByRole("button", { name: "Trigger run" }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]+$/);
    const runId = page.url().split("/").at(-1)!;
    await expect
      .poll(() => taskStates(pipeline), { timeout: 30_000, interval: 200 })
      .toEqual({ fetch_weather: "Success", transform_weather: "Failed", load_to_db: "Upstream failed" });
    await node("transform_weather").click();
    const drawer = page.getByRole("complementary", { name: "Task transform_weather" });
    await expect.poll(() => drawer.textContent(), { timeout: 30_000 }).toContain("unknown units: kelvin");
    await screenshot(page, "run-failed");

    // Fix the DAG: the transform converts to fahrenheit whatever the variable says. Runs pin the
    // version they started on, so the clear asks for the DAG's latest version.
    await page.goto(`${ws()}/dags/weather_daily/edit`);
    await node("transform_weather").click();
    await page
      .getByRole("textbox", { name: "inputs" })
      .fill('{"units": "fahrenheit", "forecast": "{{ tasks.fetch_weather.output }}"}');
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByLabel("What changed?").fill("Always fahrenheit");
    await page.getByRole("button", { name: "Save version" }).click();
    await page.getByText("Saved as version 2.").waitFor();

    await page.goto(`${ws()}/runs/${runId}?task=transform_weather`);
    await page.getByRole("button", { name: "Clear…" }).click();
    const clear = page.getByRole("dialog", { name: "Clear transform_weather?" });
    // The dry run lists the tasks the clear resets: the transform and, downstream, the load.
    await clear.getByText("Tasks to clear (2)").waitFor();
    await clear.getByLabel("With the DAG's latest version").check();
    await clear.getByRole("button", { name: "Clear 2 tasks" }).click();
    await page.getByText("Cleared: transform_weather, load_to_db").waitFor();
    await expect
      .poll(() => taskStates(pipeline), { timeout: 30_000, interval: 200 })
      .toEqual({ fetch_weather: "Success", transform_weather: "Success", load_to_db: "Success" });
    // The fetch did not run again; the transform ran a second time and the load for the first time.
    await page.getByRole("img", { name: /^transform_weather attempt 2: Success/ }).waitFor();
    expect(await page.getByRole("img", { name: /^fetch_weather attempt 2/ }).count()).toBe(0);
    expect(await attemptsOf(runId)).toEqual({
      fetch_weather: { state: "success", attempts: 1 },
      transform_weather: { state: "success", attempts: 2 },
      load_to_db: { state: "success", attempts: 1 },
    });
    const rows = await admin.query("SELECT min::float FROM forecast WHERE city = 'Paris' ORDER BY day");
    expect(rows.rows.map((r) => r.min)).toEqual([34.7, 28.4]);
    await screenshot(page, "run-cleared");

    // The grid shows both runs, the first all green, the second recovered.
    await page.goto(`${ws()}/dags/weather_daily`);
    await page
      .getByRole("link", { name: /transform_weather in the run of .*: Success/ })
      .first()
      .waitFor();
    expect(await page.getByRole("link", { name: /in the run of .*: Failed/ }).count()).toBe(0);
    expect(await page.getByRole("link", { name: /^Run of .*: Success$/ }).count()).toBe(2);
    expect(firstRun).toBeTruthy();
    expect(person.consoleErrors).toEqual([]);
  });

  it("gets a second version in the editor, with its diff", async () => {
    await page.goto(`${ws()}/dags/weather_daily/edit`);
    await node("fetch_weather").click();
    await page.getByLabel("retries", { exact: true }).fill("3");
    await expect.poll(() => page.getByText("Unsaved changes").count(), { timeout: 30_000 }).toBe(1);
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByLabel("What changed?").fill("Retry the fetch");
    await page.getByRole("button", { name: "Save version" }).click();
    await page.getByText("Saved as version 3.").waitFor();
    await page.getByRole("toolbar", { name: "Editor" }).getByRole("link", { name: "Runs" }).click();
    await page.waitForURL(/\/dags\/weather_daily$/);
    const changes = page.getByRole("list", { name: "Changed tasks" });
    await expect
      .poll(() => changes.textContent(), { timeout: 30_000 })
      .toContain("Changed fetch_weather (retries)");
    await page.getByText("Retry the fetch").waitFor();
    await screenshot(page, "dag");

    await page.goto(ws());
    await page.getByRole("table", { name: "Recent runs" }).waitFor();
    await screenshot(page, "overview");

    await page.goto(`${ws()}/dags`);
    await page.getByRole("link", { name: "weather_daily" }).waitFor();
    await expect
      .poll(() => page.getByRole("link", { name: /^Run of .*: Success$/ }).count(), { timeout: 30_000 })
      .toBe(2);
    await screenshot(page, "dags");
    expect(person.consoleErrors).toEqual([]);
  });
});

async function setUnits(value: string) {
  await page.goto(`${ws()}/variables`);
  await page.getByRole("button", { name: "Edit variable units" }).click();
  await page.getByLabel("Value").fill(value);
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("cell", { name: `"${value}"` }).waitFor();
}

describe("the editor", () => {
  it("keeps the code tab and the canvas in step both ways, with undo, delete and the unsaved guard", async () => {
    await page.goto(`${ws()}/dags/new`);
    await page.getByLabel("id (required)").fill("sync_demo");
    // Dragged from the palette onto the canvas (HTML drag and drop needs moves in steps).
    const from = (await page.getByRole("button", { name: "Add Test task" }).boundingBox())!;
    const to = (await page.locator(".react-flow__pane").boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(from.x + from.width / 2 + 10, from.y + from.height / 2 + 10, { steps: 5 });
    await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 10 });
    await page.mouse.up();
    await node("test").waitFor();

    // Canvas → code.
    await page.getByRole("tab", { name: "Code" }).click();
    const code = page.getByLabel("DAG document (YAML)");
    // biome-ignore lint/performance/useDomNodeTextContent: CodeMirror's lines are elements; innerText puts the newlines between them
    const codeText = () => code.innerText();
    await expect.poll(codeText, { timeout: 30_000 }).toContain("operator: test");
    expect(await codeText()).toContain("id: sync_demo");

    // Code → canvas.
    await code.fill(
      [
        "id: sync_demo",
        "tasks:",
        "  - id: extract",
        "    operator: noop",
        "  - id: report",
        "    operator: test",
        "    dependsOn: [extract]",
        "    config:",
        "      outcome: success",
      ].join("\n"),
    );
    await page.getByText("The document is valid").waitFor();
    await screenshot(page, "editor-code");
    await page.getByRole("tab", { name: "Canvas" }).click();
    await node("extract").waitFor();
    await node("report").waitFor();
    expect(await node("test").count()).toBe(0);
    expect(await page.locator('.react-flow__edge[data-id="extract->report"]').count()).toBe(1);

    // Canvas → code again: a rename shows in the text, dependencies included.
    await node("report").click();
    await page.getByLabel("Task id").fill("summary");
    await page.getByLabel("Task id").press("Enter");
    await node("summary").waitFor();
    await page.getByRole("tab", { name: "Code" }).click();
    const text = await codeText();
    expect(text).toContain("id: summary");
    expect(text).toMatch(/dependsOn:\s+- extract/);

    // Text that does not parse leaves the canvas as it was and says where the error is.
    await code.fill("id: sync_demo\ntasks: [\n");
    await page.getByText("The text cannot be read").waitFor();
    await page.getByRole("tab", { name: "Canvas" }).click();
    await node("summary").waitFor();

    // Undo and redo (keyboard, focus on the canvas), and Delete.
    await node("summary").click();
    await page.locator(".react-flow__pane").click({ position: { x: 10, y: 10 } });
    await page.keyboard.press("Control+z");
    await node("report").waitFor();
    await page.keyboard.press("Control+Shift+z");
    await node("summary").waitFor();
    await node("summary").click();
    await page.keyboard.press("Delete");
    await expect.poll(() => node("summary").count(), { timeout: 30_000 }).toBe(0);
    expect(await page.locator(".react-flow__edge").count()).toBe(0);

    // Leaving with unsaved changes asks first.
    let asked = "";
    page.once("dialog", (dialog) => {
      asked = dialog.message();
      void dialog.dismiss();
    });
    await page.getByRole("link", { name: "All DAGs" }).click();
    await expect.poll(() => asked, { timeout: 30_000 }).toContain("unsaved changes");
    expect(page.url()).toMatch(/\/dags\/new$/);
    expect(person.consoleErrors).toEqual([]);
  });
});
